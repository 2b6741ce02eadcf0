from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from townships.reference import ReferenceDataError, townships_load


class Command(BaseCommand):
    help = "Load or update the county's township list from a CSV file (code,name,kind)."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=str(settings.TOWNSHIPS_FILE))

    def handle(self, *args, file, **options):
        try:
            created, updated = townships_load(path=Path(file))
        except (OSError, ReferenceDataError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"townships: {created} created, {updated} updated from {file}")
