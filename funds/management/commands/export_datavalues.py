import json
import sys

from django.core.management.base import BaseCommand, CommandError

from funds.exchange.datavalues import data_value_set_get, to_csv
from funds.models import FundYear


class Command(BaseCommand):
    help = ("Write the county's data value set of a year (allocation, spending and open "
            "findings per township, by category) as JSON or CSV, for an upper level on an "
            "air-gapped intranet (docs/api.md).")

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument("--out", help="the file to write; standard output when omitted")
        parser.add_argument("--incomplete", action="store_true",
                            help="mark the set as not complete (more values will follow)")

    def handle(self, *args, year, format, out, incomplete, **options):  # noqa: A002
        fund_year = FundYear.objects.filter(year=year).first()
        if fund_year is None:
            raise CommandError(f"there is no fund year {year}")
        data = data_value_set_get(fund_year=fund_year, complete=not incomplete)
        text = (json.dumps(data, ensure_ascii=False, indent=1) + "\n" if format == "json"
                else to_csv(data))
        if out:
            with open(out, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
            self.stderr.write(f"wrote {out}: {len(data['dataValues'])} values")
        else:
            sys.stdout.write(text)
