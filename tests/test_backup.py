"""backup → empty database → restore gives back every row of every table and every file."""

import json
import shutil
import zipfile

import pytest
from django.core import serializers
from django.core.management import CommandError, call_command

from funds import services
from funds.demo import demo_accounts_create, demo_data_load, demo_spending_load
from townships.models import Township
from wanyuan.backup import backed_up_models

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def full_database(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DEMO_MODE = True
    demo_data_load()
    demo_accounts_create("a-long-demo-password-for-tests")
    demo_spending_load()
    from django.contrib.auth import get_user_model

    services.reclassification_apply(
        year=2020, acting_user=get_user_model().objects.get(username="admin"))
    return settings.MEDIA_ROOT


def _snapshot():
    """Every backed-up table, serialized with natural keys (ids of permissions differ)."""
    return {
        model._meta.label_lower: json.loads(serializers.serialize(
            "json", model._default_manager.order_by("pk"), use_natural_foreign_keys=True))
        for model in backed_up_models()
    }


def _files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file()}


def test_round_trip_restores_every_table_and_file(full_database, tmp_path):
    before, files = _snapshot(), _files(full_database)
    empty = sorted(label for label, rows in before.items() if not rows)
    assert empty == [], "every table holds rows, so the round trip is tested on each"
    assert len(files) == 5
    backup = tmp_path / "backup.zip"
    call_command("backup", "--output", str(backup))

    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(full_database)
    assert not Township.objects.exists()

    call_command("restore", str(backup))
    after = _snapshot()
    assert after.keys() == before.keys()
    for label in before:
        assert after[label] == before[label], label
    assert _files(full_database) == files


def test_restore_refuses_a_database_in_use_and_changes_nothing(full_database, tmp_path):
    backup = tmp_path / "backup.zip"
    call_command("backup", "--output", str(backup))
    before = _snapshot()
    with pytest.raises(CommandError, match="already holds data"):
        call_command("restore", str(backup))
    assert _snapshot() == before


def test_a_backup_that_does_not_add_up_is_rolled_back(full_database, tmp_path):
    backup = tmp_path / "backup.zip"
    call_command("backup", "--output", str(backup))
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(backup) as source, zipfile.ZipFile(tampered, "w") as target:
        for item in source.namelist():
            data = source.read(item)
            if item == "manifest.json":
                manifest = json.loads(data)
                manifest["counts"]["funds.expenditure"] += 1
                data = json.dumps(manifest).encode()
            target.writestr(item, data)
    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(full_database)
    with pytest.raises(CommandError, match="row counts differ"):
        call_command("restore", str(tampered))
    assert not Township.objects.exists() and not full_database.exists()


@pytest.mark.parametrize("name", ["media/../../escape.txt", "media//etc/passwd"])
def test_restore_refuses_paths_outside_media_root(db, tmp_path, settings, name):
    settings.MEDIA_ROOT = tmp_path / "media"
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("manifest.json", json.dumps({"format": 2, "counts": {}, "media": []}))
        archive.writestr("data.xml", '<?xml version="1.0"?><django-objects version="1.0"/>')
        archive.writestr(name, "x")
    with pytest.raises(CommandError, match="unsafe path"):
        call_command("restore", str(evil))
    assert not (tmp_path / "escape.txt").exists()


def test_restore_of_something_else_says_so(db, tmp_path):
    not_a_backup = tmp_path / "x.zip"
    not_a_backup.write_text("hello")
    with pytest.raises(CommandError, match="not a backup file"):
        call_command("restore", str(not_a_backup))
