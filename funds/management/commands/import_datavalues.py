import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from funds.exchange import upper
from funds.exchange.datavalues import from_csv, validate

MAX_BYTES = 20 * 1024 * 1024


class Command(BaseCommand):
    help = ("Check a county's data value set (JSON or CSV) as an upper level receives it: "
            "every conflict with where it is; on an upper-level instance, store it (re-sending "
            "replaces). With --dry-run nothing is written (docs/api.md).")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--source", help="the county code a CSV set comes from")

    def handle(self, *args, file, dry_run, source, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file} is not a file")
        if path.stat().st_size > MAX_BYTES:
            raise CommandError(f"{file} is larger than {MAX_BYTES // 2**20} MB")
        text = path.read_text(encoding="utf-8-sig")
        try:
            if path.suffix.lower() == ".csv":
                if not source:
                    raise CommandError("a CSV set needs --source (the county's code)")
                data = from_csv(text, source=source)
            else:
                data = json.loads(text)
        except (ValueError, json.JSONDecodeError) as exc:
            raise CommandError(f"{file}: {exc}") from exc
        count = len(data.get("dataValues") or []) if isinstance(data, dict) else 0
        if upper.is_upper_level():  # the same receiving as the API's, all or nothing
            summary = upper.data_value_set_receive(
                data_value_set=data, received_from=f"file {path.name}", dry_run=dry_run)
            conflicts = summary.conflicts
        else:
            conflicts = validate(data)
        for conflict in conflicts:
            self.stdout.write(f"conflict\t{conflict.where}\t{conflict.reason}")
        if conflicts:
            raise CommandError(f"{len(conflicts)} conflicts: nothing imported")
        if not upper.is_upper_level():
            if not dry_run:
                raise CommandError("this instance is a county's: it does not store other "
                                   "sets (use --dry-run to check one)")
            self.stdout.write(f"dry run: {count} values would be imported, 0 conflicts")
            return
        counts = (f"{summary.imported} imported, {summary.updated} updated, "
                  f"{summary.ignored} unchanged, {summary.deleted} deleted")
        self.stdout.write(f"dry run: {counts}" if dry_run else f"{counts}; {summary.state}")
