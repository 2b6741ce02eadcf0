from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from townships.imports import ImportFileError, parse_rankings
from townships.management.commands._acting_user import (
    USER_HELP,
    acting_user,
    permission_denied,
)
from townships.services import ReclassificationError, assessment_results_replace


class Command(BaseCommand):
    help = ("Import a year's assessment ranking (CSV or XLSX; columns 乡镇, 排名, optional 得分). "
            "All or nothing: any problem is listed and nothing is written.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--user", required=True, help=USER_HELP)

    def handle(self, *args, file, year, user, **options):
        path = Path(file)
        try:
            rows = parse_rankings(path.read_bytes(), path.name, year=year)
            count = assessment_results_replace(
                year=year, rows=rows, acting_user=acting_user(user), source_name=path.name)
        except PermissionDenied as exc:
            raise permission_denied(user) from exc
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        except ImportFileError as exc:
            raise CommandError("\n".join(str(p) for p in exc.problems)) from exc
        except ReclassificationError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{count} townships ranked for {year} from {path.name}")
