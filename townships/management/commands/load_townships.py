from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from townships.management.commands._acting_user import (
    acting_user,
    add_user_argument,
    command_errors,
)
from townships.reference import townships_load


class Command(BaseCommand):
    help = "Load or update the county's township list from a CSV file (code,name,kind)."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=str(settings.TOWNSHIPS_FILE))
        add_user_argument(parser)

    def handle(self, *args, file, user, **options):
        with command_errors(user):
            created, updated = townships_load(path=Path(file), acting_user=acting_user(user))
        self.stdout.write(f"townships: {created} created, {updated} updated from {file}")
