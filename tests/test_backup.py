"""backup → empty database → restore gives back every row of every table and every file."""

import json
import shutil
import threading
import zipfile
from xml.etree import ElementTree

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.utils import timezone

from demo.data import demo_accounts_create, demo_data_load, demo_spending_load
from funds.models import FundYear
from funds.planning import services as planning
from funds.yearly import services
from townships.models import AuditEvent, Township, TownshipCategory
from wanyuan.backup import backed_up_models, backup_write

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def full_database(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DEMO_MODE = True
    demo_data_load()
    demo_accounts_create("a-long-demo-password-for-tests")
    demo_spending_load()
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.get(username="admin")
    services.reclassification_apply(year=2020, acting_user=admin)
    # an allocation plan with its lines, adopted: the fund year points at it
    plan = planning.scenario_create(fund_year=FundYear.objects.get(year=2020), name="按比例",
                                    method="scale", acting_user=admin)
    planning.scenario_adopt(scenario=plan, acting_user=admin, reason="测试")
    # the documents' settings and an uploaded template (issue 16), with its file
    _documents_load(admin)
    # a user's notifications read, and an account's unit (issue 17)
    from django.utils import timezone

    from funds.spending.services import notifications_mark_read
    from townships.models import AccountUnit

    notifications_mark_read(user=admin, until=timezone.now())
    AccountUnit.objects.create(user=admin, unit="市委组织部")
    # a township's existing ledger brought in (issue 23)
    from funds.spending.ledger_import import ledger_import_confirm

    ledger = "日期,凭证号,摘要,收款单位,支出\n2020-03-05,记-301,党员培训教材,新华书店,1234.50\n"
    ledger_import_confirm(township=Township.objects.get(name="青花镇"), year=2020,
                          data=ledger.encode(), filename="青花镇台账.csv", acting_user=admin)
    # the inspection desk and the 绩效 cycle (issues 26, 27): a holiday typed in, an
    # invoice key's lock row, a red flag closed, a reminder, the scoring settings and a
    # target sheet with its indicators
    import datetime

    from funds.inspection.selectors import red_flags_get
    from funds.inspection.services import red_flag_close
    from funds.models import (
        InvoiceKey,
        OrgUnit,
        PerformanceSettings,
        Reminder,
        WorkdayOverride,
    )
    from funds.performance.services import sheet_start

    WorkdayOverride.objects.create(date=datetime.date(2027, 1, 1), is_workday=False,
                                   name="元旦")
    InvoiceKey.objects.create(key="23442000000014209621")
    fund_year = FundYear.objects.get(year=2020)
    flag = next(f for f in red_flags_get(fund_year=fund_year) if f.rule == "IDLE")
    red_flag_close(fund_year=fund_year, township=Township.objects.get(pk=flag.township_id),
                   rule=flag.rule, subject=flag.subject, fingerprint=flag.fingerprint,
                   explanation="年底前已拨付",
                   acting_user=admin)
    Reminder.objects.create(recipient=admin, kind=Reminder.Kind.HALF_YEAR_REPORT,
                            subject="half_year_report:2020", due=datetime.date(2020, 7, 10),
                            message="半年报告")
    PerformanceSettings.objects.create(pk=1)
    sheet_start(fund_year=fund_year, acting_user=admin)
    # an upper level's records (issue 28): units, a key, a county's received set
    from django.conf import settings as django_settings

    from funds.exchange import upper
    from funds.exchange.datavalues import data_value_set_get

    upper.org_units_load(text=(django_settings.BASE_DIR / "fixtures" / "orgunits"
                               / "511700-dazhou.csv").read_text(encoding="utf-8"))
    admin.is_superuser = True
    admin.save()
    upper.api_key_create(name="万源市", org_unit=OrgUnit.objects.get(code="511781"),
                         acting_user=admin,
                         expires_at=timezone.now() + datetime.timedelta(days=30))
    settings.INSTANCE_LEVEL, settings.INSTANCE_ORG_UNIT = "city", "511700"
    assert not upper.data_value_set_receive(
        data_value_set=data_value_set_get(fund_year=fund_year), received_from="test").conflicts
    settings.INSTANCE_LEVEL = "county"
    # the admin site's own history of a change, as the admin writes it
    LogEntry.objects.log_actions(
        user_id=admin.pk, queryset=[FundYear.objects.get(year=2020)], action_flag=CHANGE,
        change_message=[{"changed": {"fields": ["Large-spending threshold"]}}],
        single_object=True)
    return settings.MEDIA_ROOT


def _documents_load(admin):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from docx import Document

    from funds.documents.services import document_template_upload
    from funds.models import DocumentSettings

    DocumentSettings.objects.create(pk=1, copy_to="市审计局")
    template = Document()
    template.add_paragraph("{{ county }}{{ year }}")
    data = io.BytesIO()
    template.save(data)
    document_template_upload(kind="plan", acting_user=admin,
                             upload=SimpleUploadedFile("方案.docx", data.getvalue()))


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
    assert len(files) == 6  # vouchers and minutes, and an uploaded document template
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


def _objects_in(backup):
    """The rows of a backup's data.xml, per model."""
    with zipfile.ZipFile(backup) as archive:
        root = ElementTree.fromstring(archive.read("data.xml"))
        manifest = json.loads(archive.read("manifest.json"))
    rows = {}
    for element in root.findall("object"):
        rows.setdefault(element.get("model"), []).append(element)
    return rows, manifest


def test_the_admin_history_and_the_audit_trail_are_backed_up_and_restored(
        full_database, tmp_path):
    def history():
        return sorted(
            (e.action_time, e.user.username, e.content_type.natural_key(), e.object_id,
             e.object_repr, e.action_flag, e.get_change_message())
            for e in LogEntry.objects.select_related("user", "content_type"))

    def trail():
        return sorted(AuditEvent.objects.values_list(
            "created_at", "action", "year", "summary", "details", "actor__username"))

    before_history, before_trail = history(), trail()
    assert before_history and before_trail
    backup = tmp_path / "backup.zip"
    call_command("backup", "--output", str(backup))
    rows, manifest = _objects_in(backup)
    assert len(rows["admin.logentry"]) == manifest["counts"]["admin.logentry"] == len(
        before_history)
    assert len(rows["townships.auditevent"]) == manifest["counts"]["townships.auditevent"] == (
        len(before_trail))

    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(full_database)
    assert not LogEntry.objects.exists()
    call_command("restore", str(backup))
    assert history() == before_history
    assert trail() == before_trail


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="on SQLite the backup's transaction keeps writers out until it "
                           "ends; two connections at once need PostgreSQL")
def test_a_backup_is_one_snapshot_while_others_write(full_database, tmp_path):
    """Rows committed by another connection while the backup is being read are in none of
    its tables, neither those read before nor those after, so the backup restores."""
    seen = []
    written = threading.Event()

    def write_elsewhere():
        try:
            with transaction.atomic():
                user = get_user_model().objects.create_user("late-admin")
                township = Township.objects.create(code="511781999", name="后来镇",
                                                   kind="town", first_year=2020)
                TownshipCategory.objects.create(township=township, year=2020, category=3,
                                                source="manual", reason="后来",
                                                changed_by=user, changed_at=timezone.now())
                AuditEvent.objects.create(action=AuditEvent.Action.MERGER_APPLIED,
                                          year=2020, summary="后来写入", actor=user)
            written.set()
        finally:
            connections.close_all()

    def after_model(label):
        seen.append(label)
        if label == "townships.township":  # read; its categories and audit trail are not yet
            writer = threading.Thread(target=write_elsewhere)
            writer.start()
            writer.join(20)

    backup = tmp_path / "backup.zip"
    manifest = backup_write(backup, after_model=after_model)
    assert written.is_set()
    assert seen.index("auth.user") < seen.index("townships.township") < seen.index(
        "townships.townshipcategory") < seen.index("townships.auditevent")
    rows, _manifest = _objects_in(backup)
    assert {label: len(objects) for label, objects in rows.items()} == {
        label: count for label, count in manifest["counts"].items() if count}
    data = zipfile.ZipFile(backup).read("data.xml").decode()
    for late in ("late-admin", "511781999", "后来镇", "后来写入"):
        assert late not in data

    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(full_database)
    call_command("restore", str(backup))  # the counts add up, every reference is there
    assert not Township.objects.filter(code="511781999").exists()


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
