"""Backup and restore of everything the dashboard holds: the database and MEDIA_ROOT.

A backup is one ZIP file: ``data.xml`` (``dumpdata`` with natural keys for content
types and permissions, so that it loads into any freshly migrated database, SQLite or
PostgreSQL), the voucher and minutes files under ``media/``, and ``manifest.json`` with
the row count of every model. A restore goes into an empty, migrated database only, runs
in one transaction, and checks the counts against the manifest before it commits.
For large installations ``pg_dump`` is the faster path (see README.md).
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

FORMAT = 2
#: Not backed up: recreated by migrate (content types, permissions), or transient.
EXCLUDED = ["contenttypes", "auth.permission", "sessions", "axes", "admin.logentry"]
#: Tables whose rows mean "this database is in use": restore refuses to mix.
IN_USE_MODELS = ["townships.Township", "funds.FundYear", "auth.User"]
#: Rows migrate creates in a new database, replaced on restore.
SEEDED_MODELS = ["auth.Group", "funds.SpendingCategory"]


class BackupError(Exception):
    pass


def backed_up_models():
    excluded_apps = {e for e in EXCLUDED if "." not in e}
    excluded_models = {e for e in EXCLUDED if "." in e}
    for model in apps.get_models():
        label = model._meta.label_lower
        if model._meta.app_label in excluded_apps or label in excluded_models:
            continue
        if model._meta.proxy or not model._meta.managed:
            continue
        yield model


def row_counts() -> dict[str, int]:
    return {m._meta.label_lower: m._default_manager.count() for m in backed_up_models()}


def _media_files():
    root = Path(settings.MEDIA_ROOT)
    if not root.exists():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file())


def backup_write(path: Path) -> dict:
    """Write the backup ZIP to ``path``; returns the manifest."""
    data = io.StringIO()
    with transaction.atomic():  # one consistent snapshot of every table
        # XML, not JSON: Django's JSON encoder cuts times to milliseconds; XML keeps the
        # microseconds, so a restore gives back exactly what was saved.
        call_command("dumpdata", exclude=EXCLUDED, natural_foreign=True, stdout=data,
                     verbosity=0, format="xml")
        counts = row_counts()
    root = Path(settings.MEDIA_ROOT)
    files = _media_files()
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "counts": counts,
        "media": [str(p.relative_to(root).as_posix()) for p in files],
    }
    tmp = path.with_suffix(path.suffix + ".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.xml", data.getvalue())
        for file in files:
            archive.write(file, "media/" + file.relative_to(root).as_posix())
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
    tmp.replace(path)  # never a half-written backup under the final name
    return manifest


def _safe_media_path(name: str) -> Path:
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts:
        raise BackupError(f"unsafe path in the backup: {name}")
    return Path(settings.MEDIA_ROOT) / Path(*relative.parts)


def restore_read(path: Path) -> dict:
    """Load a backup into this empty database and MEDIA_ROOT; all or nothing."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise BackupError(f"{path} is not a backup file: {exc}") from exc
    with archive:
        try:
            manifest = json.loads(archive.read("manifest.json"))
            data = archive.read("data.xml").decode("utf-8")
        except KeyError as exc:
            raise BackupError(f"{path} is not a backup file: {exc}") from exc
        if manifest.get("format") != FORMAT:
            raise BackupError(f"unknown backup format {manifest.get('format')!r}")
        in_use = [label for label in IN_USE_MODELS
                  if apps.get_model(label)._default_manager.exists()]
        if in_use:
            raise BackupError("this database already holds data (" + ", ".join(in_use) +
                              "); restore only into a new, migrated, empty database")
        targets = {name: _safe_media_path(name[len("media/"):])
                   for name in archive.namelist() if name.startswith("media/")}
        existing = [str(t) for t in targets.values() if t.exists()]
        if existing:
            raise BackupError(f"files already in MEDIA_ROOT: {existing[:3]}")
        with transaction.atomic(), tempfile.TemporaryDirectory() as tmp:
            # Rows that migrate seeds (the role groups, the default spending categories)
            # are replaced by the backed-up ones.
            for label in SEEDED_MODELS:
                apps.get_model(label)._default_manager.all().delete()
            fixture = Path(tmp) / "data.xml"
            fixture.write_text(data, encoding="utf-8")
            call_command("loaddata", str(fixture), verbosity=0)  # resets the sequences
            counts = row_counts()
            if counts != manifest["counts"]:
                diff = {k: (manifest["counts"].get(k), counts.get(k))
                        for k in set(counts) | set(manifest["counts"])
                        if counts.get(k) != manifest["counts"].get(k)}
                raise BackupError(f"row counts differ from the manifest: {diff}")
            written = []
            try:
                for name, target in targets.items():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(archive.read(name))
                    written.append(target)
            except OSError:
                for target in written:  # no half-restored media either
                    target.unlink(missing_ok=True)
                raise
    return manifest
