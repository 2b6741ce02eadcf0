import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from funds.budget.exports import csv_lines
from funds.inspection.selectors import flag_export_header, flag_export_rows, red_flags_get
from funds.models import FundYear
from funds.workdays import WorkingCalendar
from townships.models import Township


class Command(BaseCommand):
    help = ("List a year's red flags, computed from the records (the flags page's rows): "
            "as text, or as CSV with --csv.")

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--township", help="a township's code: its flags only")
        parser.add_argument("--csv", action="store_true",
                            help="CSV (UTF-8 with BOM, for Excel and WPS) on standard output")
        parser.add_argument("--open", action="store_true", help="open flags only")

    def handle(self, *args, year, township, csv, open, **options):  # noqa: A002
        fund_year = FundYear.objects.filter(year=year).first()
        if fund_year is None:
            raise CommandError(f"there is no fund year {year}")
        townships = {t.pk: t for t in Township.objects.in_service(year)}
        ids = None
        if township:
            chosen = next((t for t in townships.values() if t.code == township), None)
            if chosen is None:
                raise CommandError(f"there is no township {township} in {year}")
            ids = {chosen.pk}
        calendar = WorkingCalendar()
        with translation.override("zh-hans"):
            flags = [f for f in red_flags_get(fund_year=fund_year, township_ids=ids,
                                              calendar=calendar)
                     if f.township_id in townships and not (open and f.is_closed)]
            for flag in flags:
                flag.township = townships[flag.township_id]
            if csv:
                sys.stdout.writelines(csv_lines(flag_export_header(), flag_export_rows(flags)))
                return
            for row in flag_export_rows(flags, totals=False):
                rule, _code, name, figure, items, findings, _amount, state = row[:8]
                linked = items or findings
                self.stdout.write(f"{rule}\t{name}\t{figure}\t{linked}\t{state}")
            self.stderr.write(f"{len(flags)} flags")
            if calendar.unknown_years:
                self.stderr.write(calendar.unknown_notice())
