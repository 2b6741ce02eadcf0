import csv
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from townships.management.commands._acting_user import (
    acting_user,
    add_user_argument,
    command_errors,
)
from townships.reference import merger_apply

DEFAULT_LIST = settings.BASE_DIR / "fixtures" / "wanyuan-townships-2020-reform.csv"
DEFAULT_MAPPING = settings.BASE_DIR / "fixtures" / "wanyuan-merger-2020.csv"


class Command(BaseCommand):
    help = ("Apply a township merger reform: units missing from the new list end the year "
            "before --first-year, new units start in it. Wanyuan's June 2020 reform by default.")

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(DEFAULT_LIST))
        parser.add_argument("--mapping", default=str(DEFAULT_MAPPING),
                            help="CSV abolished_code,merged_into_code of the known mergers")
        parser.add_argument("--first-year", type=int, default=2021)
        add_user_argument(parser)

    def handle(self, *args, file, mapping, first_year, user, **options):
        pairs = {}
        if mapping and Path(mapping).exists():
            with open(mapping, encoding="utf-8-sig") as handle:
                pairs = {r["abolished_code"]: r["merged_into_code"] for r in csv.DictReader(handle)}
        with command_errors(user):
            counts = merger_apply(path=Path(file), first_year=first_year, mapping=pairs,
                                  acting_user=acting_user(user))
        self.stdout.write(
            f"merger from {first_year}: {counts['ended']} units ended, "
            f"{counts['opened']} opened, {counts['mapped']} merge links recorded"
        )
