from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from townships.management.commands._acting_user import (
    USER_HELP,
    acting_user,
    permission_denied,
)
from townships.reference import ReferenceDataError, townships_load


class Command(BaseCommand):
    help = "Load or update the county's township list from a CSV file (code,name,kind)."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=str(settings.TOWNSHIPS_FILE))
        parser.add_argument("--user", required=True, help=USER_HELP)

    def handle(self, *args, file, user, **options):
        try:
            created, updated = townships_load(path=Path(file), acting_user=acting_user(user))
        except PermissionDenied as exc:
            raise permission_denied(user) from exc
        except (OSError, ReferenceDataError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"townships: {created} created, {updated} updated from {file}")
