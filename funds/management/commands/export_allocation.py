import sys

from django.core.management.base import BaseCommand, CommandError

from funds.budget.exports import allocation_file, csv_lines
from funds.models import FundYear


class Command(BaseCommand):
    help = "Write a year's allocation as CSV (UTF-8 with BOM, for Excel and WPS)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--output", help="file to write; standard output when omitted")

    def handle(self, *args, year, output, **options):
        fund_year = FundYear.objects.filter(year=year).first()
        if fund_year is None:
            raise CommandError(f"there is no fund year {year}")
        header, rows, _formats = allocation_file(fund_year=fund_year)
        lines = csv_lines(header, rows)
        if output:
            with open(output, "w", encoding="utf-8", newline="") as handle:
                handle.writelines(lines)
            self.stderr.write(f"wrote {output}")
        else:
            sys.stdout.writelines(lines)
