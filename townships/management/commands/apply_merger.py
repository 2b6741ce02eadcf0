from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from townships.management.commands._acting_user import (
    acting_user,
    add_user_argument,
    command_errors,
)
from townships.reference import (
    REFORM_2020_LIST,
    REFORM_2020_MAPPING,
    merger_apply,
    read_mapping,
    read_township_list,
)

DEFAULT_LIST = settings.BASE_DIR / "fixtures" / REFORM_2020_LIST
DEFAULT_MAPPING = settings.BASE_DIR / "fixtures" / REFORM_2020_MAPPING


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
        pairs = read_mapping(Path(mapping)) if mapping and Path(mapping).exists() else {}
        with command_errors(user):
            counts = merger_apply(rows=read_township_list(Path(file)),
                                  source_name=Path(file).name, first_year=first_year,
                                  mapping=pairs, acting_user=acting_user(user))
        self.stdout.write(
            f"merger from {first_year}: {counts['ended']} units ended, "
            f"{counts['opened']} opened, {counts['mapped']} merge links recorded"
        )
