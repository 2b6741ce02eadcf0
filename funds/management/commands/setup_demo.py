import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from funds.demo import demo_accounts_create, demo_data_load, demo_spending_load


class Command(BaseCommand):
    help = ("Load the reference townships and the illustrative demo data once, and create "
            "the demo accounts admin, staff, finance and clerk. Safe to run again.")

    def handle(self, *args, **options):
        if not settings.DEMO_MODE:
            # Demo accounts with a shared password have no place on a real instance.
            raise CommandError("setup_demo runs only with DEMO_MODE=1 (make run sets it); "
                               "a real instance uses createsuperuser and the admin.")
        for line in demo_data_load():
            self.stdout.write(line)
        created, generated = demo_accounts_create(os.environ.get("DEMO_PASSWORD") or None)
        if created:
            self.stdout.write(f"demo accounts created: {', '.join(created)}")
            if generated:
                self.stdout.write(self.style.WARNING(
                    f"generated password for all of them (shown only this once): {generated}"))
            else:
                self.stdout.write("their password is the one in DEMO_PASSWORD")
        for line in demo_spending_load():
            self.stdout.write(line)
        if not created:
            self.stdout.write("demo accounts already present")
