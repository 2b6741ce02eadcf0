from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from townships.imports import ImportFileError, parse_categories
from townships.management.commands._acting_user import (
    USER_HELP,
    acting_user,
    permission_denied,
)
from townships.services import categories_import


class Command(BaseCommand):
    help = ("Set a year's categories from a file (CSV or XLSX; columns 乡镇, 类别). "
            "All or nothing; every change is audited.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--user", required=True, help=USER_HELP)
        parser.add_argument("--reason", default="")

    def handle(self, *args, file, year, user, reason, **options):
        path = Path(file)
        try:
            rows = parse_categories(path.read_bytes(), path.name, year=year)
            changed = categories_import(year=year, rows=rows, acting_user=acting_user(user),
                                        source_name=path.name, reason=reason)
        except PermissionDenied as exc:
            raise permission_denied(user) from exc
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        except ImportFileError as exc:
            raise CommandError("\n".join(str(p) for p in exc.problems)) from exc
        self.stdout.write(f"{len(rows)} rows read, {changed} categories of {year} changed")
