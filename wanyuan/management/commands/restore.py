from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from wanyuan.backup import BackupError, restore_read


class Command(BaseCommand):
    help = ("Load a backup written by `backup` into a new, migrated, empty database and "
            "MEDIA_ROOT. All or nothing.")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file, **options):
        try:
            manifest = restore_read(file)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restored {sum(manifest['counts'].values())} rows and "
                          f"{len(manifest['media'])} files from {file} "
                          f"(made {manifest['created_at']})")
