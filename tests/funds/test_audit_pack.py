"""The audit pack: for a township-year every voucher file is in the ZIP with the
manifest's hash equal to the stored file; the ledger sheet's rows equal the database; the
index lists every file; only those who see everything may make it, and each is audited."""

import datetime
import hashlib
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import load_workbook

from demo.data import DEMO_PDF
from funds.inspection.pack import ledger_rows, pack_stream
from funds.models import Expenditure, FundYear, SpendingCategory, Voucher
from funds.spending import services as spending
from tests.conftest import login
from townships.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(demo, taiping, clerk_user, staff_user, finance_user):
    """Three expenditures of 太平镇 with vouchers: one paid, one waiting, one voided."""
    made = []
    for i, (amount, purpose) in enumerate([("1200.00", "党员教育培训资料"),
                                           ("800.00", "阵地标识牌"), ("300.00", "录错")]):
        expenditure = spending.expenditure_create(
            township=taiping, date=datetime.date(2020, 4, 1 + i), amount=Decimal(amount),
            category=SpendingCategory.objects.get(name="教育培训"), purpose=purpose,
            payee="万源市新华书店", acting_user=clerk_user,
            uploads=[SimpleUploadedFile(f"发票{i}.pdf", DEMO_PDF + bytes([i])),
                     SimpleUploadedFile(f"照片{i}.png", b"\x89PNG\r\n\x1a\n" + bytes(40 + i))])
        made.append(expenditure)
    spending.expenditure_submit(expenditure=made[0], acting_user=clerk_user)
    spending.expenditure_approve(expenditure=made[0], acting_user=staff_user)
    spending.expenditure_reimburse(expenditure=made[0], acting_user=finance_user,
                                   reimbursed_on=datetime.date.today(), accounting_voucher="记-7")
    spending.expenditure_submit(expenditure=made[1], acting_user=clerk_user)
    spending.expenditure_void(expenditure=made[2], acting_user=staff_user, note="录错")
    return made


def _zip(taiping, staff_user):
    data = b"".join(pack_stream(fund_year=FundYear.objects.get(year=2020), township=taiping,
                                acting_user=staff_user))
    return zipfile.ZipFile(io.BytesIO(data))


def test_every_voucher_is_in_the_pack_with_its_hash(ledger, taiping, staff_user):
    archive = _zip(taiping, staff_user)
    assert archive.testzip() is None
    manifest = dict(reversed(line.split("  ", 1)) for line in
                    archive.read("manifest-sha256.txt").decode().splitlines())
    vouchers = Voucher.objects.filter(expenditure__township=taiping, expenditure__year=2020)
    assert vouchers.count() == 6
    voucher_paths = [p for p in manifest if p.startswith("03_凭证/")]
    assert len(voucher_paths) == vouchers.count()
    for voucher in vouchers:
        with voucher.file.open("rb") as handle:
            stored = handle.read()
        (path,) = [p for p in voucher_paths if f"_{voucher.pk}_" in p]
        assert path.startswith(f"03_凭证/太平镇/{voucher.expenditure_id}_")
        assert manifest[path] == hashlib.sha256(stored).hexdigest()
        assert archive.read(path) == stored
    # every file but the manifest itself is listed with its true hash
    for path, digest in manifest.items():
        assert hashlib.sha256(archive.read(path)).hexdigest() == digest
    assert set(manifest) | {"manifest-sha256.txt"} == set(archive.namelist())


def test_the_ledger_sheet_equals_the_database(ledger, taiping, staff_user):
    archive = _zip(taiping, staff_user)
    (name,) = [n for n in archive.namelist() if n.startswith("02_支出台账/")]
    workbook = load_workbook(io.BytesIO(archive.read(name)))
    sheet = workbook.worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    expected = list(ledger_rows(Expenditure.objects.filter(township=taiping, year=2020)
                           .select_related("township", "category", "decision")
                           .order_by("township__code", "date", "pk")))
    assert len(rows) == len(expected) == Expenditure.objects.filter(
        township=taiping, year=2020).count()
    for got, want in zip(rows, expected, strict=True):
        assert got[0] == want[0] and got[3] == want[3] and got[6] == want[6]
        assert Decimal(str(got[4])) == want[4] and got[8] == want[8]
    history = [[c.value for c in row] for row in workbook.worksheets[1].iter_rows(min_row=3)]
    assert {row[0] for row in history} == {e.pk for e in ledger}
    index = load_workbook(io.BytesIO(archive.read("00_目录.xlsx"))).active
    listed = {row[1].value for row in index.iter_rows(min_row=3) if row[0].value}
    assert listed == set(archive.namelist()) - {"00_目录.xlsx", "manifest-sha256.txt"}
    assert "08_承诺书.docx" in listed


def test_only_the_county_may_download_it_and_each_is_audited(client, ledger, taiping,
                                                              clerk_user, staff_user,
                                                              finance_user):
    login(client, clerk_user)
    assert client.post("/audit-pack/2020/", {"township": taiping.code}).status_code == 403
    login(client, finance_user)
    assert client.get("/audit-pack/2020/").status_code == 403
    login(client, staff_user)
    assert client.get("/audit-pack/2020/").status_code == 200
    response = client.post("/audit-pack/2020/", {"township": taiping.code})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert "manifest-sha256.txt" in archive.namelist()
    event = AuditEvent.objects.get(action=AuditEvent.Action.AUDIT_PACK_GENERATED)
    assert event.actor == staff_user and event.details["township"] == taiping.code
    assert client.post("/audit-pack/2020/", {"township": "nope"}).status_code == 400


def test_the_command_writes_the_zip_and_refuses_who_may_not(ledger, taiping, staff_user,
                                                             clerk_user, tmp_path, capsys):
    call_command("audit_pack", "--year", "2020", "--township", taiping.code,
                 "--out", str(tmp_path), "--user", staff_user.username)
    written = capsys.readouterr().out.strip()
    assert written.endswith("（太平镇）.zip")
    assert zipfile.ZipFile(written).testzip() is None
    assert not list(tmp_path.glob("*.part"))
    with pytest.raises(Exception, match="may not make"):
        call_command("audit_pack", "--year", "2020", "--out", str(tmp_path),
                     "--user", clerk_user.username)
