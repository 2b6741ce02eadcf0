import os
import secrets

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from demo.data import (
    demo_accounts_create,
    demo_accounts_password_is,
    demo_accounts_password_set,
    demo_history_load,
    reference_load,
)


class Command(BaseCommand):
    help = ("Load the reference townships and three illustrative years (2019–2021, across "
            "the 2020 merger) once, and create the demo accounts admin, staff, finance and "
            "clerk. Safe to run again: what is there is kept.")

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset-password", action="store_true",
            help="Give every demo account the password in DEMO_PASSWORD (the local .env "
                 "file's, which `make run` writes), or a new generated one.")

    def handle(self, *args, reset_password=False, **options):
        if not settings.DEMO_MODE:
            # Demo accounts with a shared password have no place on a real instance.
            raise CommandError("setup_demo runs only with DEMO_MODE=1 (make run sets it); "
                               "a real instance uses createsuperuser and the admin.")
        password = os.environ.get("DEMO_PASSWORD") or None
        if reset_password:
            self._reset(password)
            return
        with transaction.atomic():
            for line in reference_load():
                self.stdout.write(line)
            created, generated = demo_accounts_create(password)
            for line in demo_history_load():
                self.stdout.write(line)
        if created:
            self.stdout.write(f"demo accounts created: {', '.join(created)}")
            if generated:
                self.stdout.write(self.style.WARNING(
                    f"generated password for all of them (shown only this once): {generated}"))
            else:
                self.stdout.write("their password is the one in DEMO_PASSWORD")
        else:
            self.stdout.write("demo data and accounts already present")
            if password and not demo_accounts_password_is(password):
                self.stdout.write(self.style.WARNING(
                    "the demo accounts' password is not DEMO_PASSWORD; to give them that one: "
                    ".venv/bin/python manage.py setup_demo --reset-password"))

    def _reset(self, password):
        generated = password is None
        password = password or secrets.token_urlsafe(12)
        names = demo_accounts_password_set(password)
        if not names:
            raise CommandError("there are no demo accounts yet: run setup_demo first")
        shown = password if generated else "the one in DEMO_PASSWORD"
        self.stdout.write(f"new password of {', '.join(names)}: {shown}")
