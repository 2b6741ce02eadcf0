from pathlib import Path

from django.core.management.base import BaseCommand

from townships.imports import parse_categories
from townships.management.commands._acting_user import (
    acting_user,
    add_user_argument,
    command_errors,
)
from townships.services import categories_import


class Command(BaseCommand):
    help = ("Set a year's categories from a file (CSV or XLSX; columns 乡镇, 类别). "
            "All or nothing; every change is audited.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--year", type=int, required=True)
        add_user_argument(parser)
        parser.add_argument("--reason", default="")
        parser.add_argument("--confirm", action="store_true",
                            help="import all the same when it leaves townships' remaining "
                                 "budgets below zero (with --reason)")

    def handle(self, *args, file, year, user, reason, confirm, **options):
        path = Path(file)
        with command_errors(user):
            rows = parse_categories(path.read_bytes(), path.name, year=year)
            changed = categories_import(year=year, rows=rows, acting_user=acting_user(user),
                                        source_name=path.name, reason=reason,
                                        confirmed=confirm)
        self.stdout.write(f"{len(rows)} rows read, {changed} categories of {year} changed")
