"""Backup and restore of everything the dashboard holds: the database and MEDIA_ROOT.

A backup is one ZIP file: ``data.xml`` (what ``dumpdata`` writes, with natural keys for
content types and permissions, so that it loads into any freshly migrated database, SQLite
or PostgreSQL), the voucher and minutes files under ``media/``, and ``manifest.json`` with
the row count of every model. Every table is in it, the audit trail and the admin site's
own history (``admin.LogEntry``) included, read in one transaction that sees one snapshot
of the database: on PostgreSQL a REPEATABLE READ, READ ONLY one, so that rows committed
meanwhile are in none of its tables; SQLite lets no writer in while it reads. A restore
goes into an empty, migrated database only, runs in one transaction, and checks the
counts against the manifest before it commits. For large installations ``pg_dump``
(itself one snapshot) is the faster path (see README.md).
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

FORMAT = 2
#: Not backed up: recreated by migrate (content types, permissions), or transient.
EXCLUDED = ["contenttypes", "auth.permission", "sessions", "axes"]
#: Tables whose rows mean "this database is in use": restore refuses to mix.
IN_USE_MODELS = ["townships.Township", "funds.FundYear", "auth.User"]
#: Rows migrate creates in a new database, replaced on restore.
SEEDED_MODELS = ["auth.Group", "funds.SpendingCategory"]
#: The audit trail: restored last, into an empty table (see restore_read).
TRAIL_MODELS = ["townships.AuditEvent"]


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


def _dump(stream, counts: dict[str, int], after_model: Callable[[str], None] | None) -> None:
    """Serialize every backed-up model into ``stream`` as ``dumpdata`` would, counting the
    rows of each; ``after_model(label)`` is called once a model's rows have been read."""
    by_app = {}
    for model in backed_up_models():
        by_app.setdefault(apps.get_app_config(model._meta.app_label), []).append(model)
    # models whose natural keys others refer to first, as dumpdata orders them
    models = serializers.sort_dependencies(by_app.items(), allow_cycles=True)

    def objects():
        for model in models:
            label = model._meta.label_lower
            counts[label] = 0
            for obj in model._default_manager.order_by(model._meta.pk.name).iterator():
                counts[label] += 1
                yield obj
            if after_model is not None:
                after_model(label)

    # XML, not JSON: Django's JSON encoder cuts times to milliseconds; XML keeps the
    # microseconds, so a restore gives back exactly what was saved.
    serializers.serialize("xml", objects(), use_natural_foreign_keys=True, stream=stream)


def backup_write(path: Path, *, after_model: Callable[[str], None] | None = None) -> dict:
    """Write the backup ZIP to ``path``; returns the manifest.

    ``after_model`` (tests) is called with each model's label once its rows are read.
    """
    if connection.in_atomic_block:
        raise BackupError("a backup reads in a transaction of its own; "
                          "call it outside any other")
    data = io.StringIO()
    counts: dict[str, int] = {}
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # One snapshot for every table (the first statement of the transaction): rows
            # committed while the tables are read one after another are in none of them.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        _dump(data, counts, after_model)
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
            # loaddata resets the sequences. Saving the rows fires the application's own
            # signals, which audit them as if they were new (a role granted, a fund year
            # created), and the new database audited its seeding by migrate: that is not
            # history. The backed-up trail is loaded last, in place of all of it.
            trail = [apps.get_model(label)._meta.label for label in TRAIL_MODELS]
            call_command("loaddata", str(fixture), exclude=trail, verbosity=0)
            for label in trail:
                apps.get_model(label)._default_manager.all().delete()
            call_command("loaddata", str(fixture), verbosity=0, exclude=[
                m._meta.label for m in backed_up_models() if m._meta.label not in trail])
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
