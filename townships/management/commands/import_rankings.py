from pathlib import Path

from django.core.management.base import BaseCommand

from townships.imports import parse_rankings
from townships.management.commands._acting_user import (
    acting_user,
    add_user_argument,
    command_errors,
)
from townships.services import assessment_results_replace


class Command(BaseCommand):
    help = ("Import a year's assessment ranking (CSV or XLSX; columns 乡镇, 排名, optional 得分). "
            "All or nothing: any problem is listed and nothing is written.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--year", type=int, required=True)
        add_user_argument(parser)

    def handle(self, *args, file, year, user, **options):
        path = Path(file)
        with command_errors(user):
            rows = parse_rankings(path.read_bytes(), path.name, year=year)
            count = assessment_results_replace(
                year=year, rows=rows, acting_user=acting_user(user), source_name=path.name)
        self.stdout.write(f"{count} townships ranked for {year} from {path.name}")
