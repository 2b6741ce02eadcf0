from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from townships.imports import ImportFileError, parse_categories
from townships.management.commands._acting_user import acting_user
from townships.services import categories_import


class Command(BaseCommand):
    help = ("Set a year's categories from a file (CSV or XLSX; columns 乡镇, 类别). "
            "All or nothing; every change is audited.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--user", help="user name recorded in the audit trail")
        parser.add_argument("--reason", default="")

    def handle(self, *args, file, year, user, reason, **options):
        path = Path(file)
        try:
            rows = parse_categories(path.read_bytes(), path.name, year=year)
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        except ImportFileError as exc:
            raise CommandError("\n".join(str(p) for p in exc.problems)) from exc
        changed = categories_import(year=year, rows=rows, acting_user=acting_user(user),
                                    source_name=path.name, reason=reason)
        self.stdout.write(f"{len(rows)} rows read, {changed} categories of {year} changed")
