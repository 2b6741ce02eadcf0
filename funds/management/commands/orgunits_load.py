from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from funds.exchange.upper import ExchangeError, org_units_load


class Command(BaseCommand):
    help = ("Load an upper-level instance's org units from a CSV file (code,name,level,"
            "parent,valid_from,valid_to), e.g. fixtures/orgunits/511700-dazhou.csv. All or "
            "nothing; loading again updates names and validity.")

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file} is not a file")
        try:
            count = org_units_load(text=path.read_text(encoding="utf-8-sig"))
        except ExchangeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{count} org units loaded")
