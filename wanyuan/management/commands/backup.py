from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from wanyuan.backup import BackupError, backup_write


class Command(BaseCommand):
    help = "Write the database and MEDIA_ROOT into one ZIP file (see README.md, Backups)."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path,
                            help="file to write (default: wanyuan-backup-<time>.zip here)")

    def handle(self, *args, output=None, **options):
        output = output or Path(f"wanyuan-backup-{timezone.localtime():%Y%m%d-%H%M%S}.zip")
        try:
            manifest = backup_write(output)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest["counts"].values())
        self.stdout.write(f"{output}: {rows} rows in {len(manifest['counts'])} tables, "
                          f"{len(manifest['media'])} files")
