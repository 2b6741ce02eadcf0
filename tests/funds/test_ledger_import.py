"""Importing a township's existing ledger (台账): issue 23, item 1.

The files are built here as townships keep them: title rows above the header, blank
rows, a 合计 row, merged cells, GB18030 CSV, amounts and dates written in several ways.
"""

import csv
import datetime
import hashlib
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import connection
from openpyxl import Workbook

from funds.models import Expenditure, ExpenditureTransition, LedgerImport
from funds.spending.ledger_import import (
    ledger_import_confirm,
    ledger_import_preview,
    parse_amount,
    parse_date,
)
from funds.spending.services import SpendingError
from townships.imports import ImportFileError
from townships.models import AuditEvent

HEADER = ["序号", "日期", "凭证号", "摘要", "收款单位", "开支类别", "收入", "支出", "余额"]
ROWS = [
    ["", "2020-01-01", "", "上年结转", "", "", "", "", "50,000.00"],
    ["1", "2020-03-05", "记-3", "七一党员培训教材", "县新华书店", "教育培训", "", "1,234.50",
     "48,765.50"],
    ["2", "2020.4.8", "记-11", "走访慰问困难党员", "困难党员张某", "关怀慰问党员", "", "2000元",
     "46,765.50"],
    ["3", "2020年5月20日", "记-19", "党员活动室桌椅", "万源家具厂", "家具", "", "3500",
     "43,265.50"],
]


def _csv(rows, *, encoding="utf-8", title=True) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    if title:
        writer.writerow(["太平镇2020年党建经费支出台账"])
        writer.writerow(["单位：元"])
        writer.writerow([])
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow(row)
        writer.writerow([])
    writer.writerow(["", "", "", "合计", "", "", "", "6,734.50", ""])
    return out.getvalue().encode(encoding)


def _xlsx(build) -> bytes:
    workbook = Workbook()
    build(workbook.active)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _preview(township, user, data, name="台账.csv"):
    return ledger_import_preview(township=township, year=2020, data=data, filename=name,
                                 acting_user=user)


def _problems(preview):
    return [str(p) for p in preview.problems]


def test_amounts_and_dates_as_people_write_them():
    assert parse_amount("1,234.50") == Decimal("1234.50")
    assert parse_amount("1234.5元") == Decimal("1234.50")
    assert parse_amount("￥800") == Decimal("800.00")
    assert parse_amount("12.345") is None
    assert parse_amount("abc") is None
    for text in ("2020-03-05", "2020.3.5", "2020/3/5", "2020年3月5日", "43895",
                 "2020-03-05 00:00:00"):
        assert parse_date(text) == datetime.date(2020, 3, 5), text
    assert parse_date("2020-02-30") is None
    assert parse_date("三月五日") is None


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_a_csv_ledger_with_title_rows_blank_rows_and_a_total_row_previews(
        taiping, staff_user, encoding):
    preview = _preview(taiping, staff_user, _csv(ROWS, encoding=encoding))
    assert _problems(preview) == []
    assert [(r.line, r.date, r.amount, r.voucher, r.category.name) for r in preview.rows] == [
        (7, datetime.date(2020, 3, 5), Decimal("1234.50"), "记-3", "教育培训"),
        (9, datetime.date(2020, 4, 8), Decimal("2000.00"), "记-11", "关怀慰问党员"),
        (11, datetime.date(2020, 5, 20), Decimal("3500.00"), "记-19", "其他"),
    ]
    assert "家具" in preview.rows[2].category_note and "其他" in preview.rows[2].category_note
    assert preview.total == Decimal("6734.50")
    assert preview.can_confirm
    assert not Expenditure.objects.filter(township=taiping).exists()  # nothing written


def test_an_xlsx_ledger_with_merged_title_date_cells_and_serial_dates(taiping, staff_user):
    def build(sheet):
        sheet.append(["太平镇党建经费台账"])
        sheet.merge_cells("A1:F1")
        sheet.append(["支出日期", "会计凭证号", "事由", "收款人", "支出金额（元）", "报账日期"])
        sheet.append([datetime.datetime(2020, 6, 1), "记-30", "主题党日横幅", "印刷厂",
                      880, datetime.date(2020, 6, 10)])
        sheet.append([None, "记-31", "主题党日茶水", "超市", 120.5, None])
        sheet.merge_cells("A3:A4")  # one date for two rows, as people merge them
        sheet.append([43990, "记-32", "党课讲师交通费", "李老师", "300.00", "2020/6/12"])
        sheet.append(["小计", None, None, None, 1300.5, None])

    preview = _preview(taiping, staff_user, _xlsx(build), "台账.xlsx")
    assert _problems(preview) == []
    assert [(r.line, r.date, r.reimbursed_on, r.amount) for r in preview.rows] == [
        (3, datetime.date(2020, 6, 1), datetime.date(2020, 6, 10), Decimal("880.00")),
        (4, datetime.date(2020, 6, 1), datetime.date(2020, 6, 1), Decimal("120.50")),
        (5, datetime.date(2020, 6, 8), datetime.date(2020, 6, 12), Decimal("300.00")),
    ]
    assert preview.rows[0].category.name == "其他"


def test_a_bad_file_names_every_problem_by_row_and_column_and_writes_nothing(
        taiping, staff_user):
    rows = [
        ["1", "2020-13-05", "记-1", "培训", "书店", "", "", "100", ""],
        ["2", "2021-01-05", "记-2", "慰问", "张某", "", "", "一百", ""],
        ["3", "2020-02-01", "", "", "李某", "", "", "-5", ""],
        ["4", "2020-02-02", "记-4", "桌椅", "厂", "", "", "200", "999"],
        ["5", "2020-02-03", "记-5", "茶水", "超市", "", "", "10", "900.00"],
    ]
    preview = _preview(taiping, staff_user, _csv(rows, title=False))
    problems = _problems(preview)
    assert not preview.can_confirm
    joined = "\n".join(problems)
    assert "第2行 日期：" in joined, joined  # the site speaks Chinese
    with pytest.raises(ImportFileError) as refused:
        ledger_import_confirm(township=taiping, year=2020, data=_csv(rows, title=False),
                              filename="台账.csv", acting_user=staff_user)
    messages = [str(p) for p in refused.value.problems]
    expected = [(2, "日期"), (4, "日期"), (4, "支出"), (6, "支出"), (10, "余额")]
    for line, column in expected:
        assert any(p.row == line and p.column == column for p in refused.value.problems), (
            line, column, messages)
    assert not Expenditure.objects.filter(township=taiping).exists()
    assert not LedgerImport.objects.exists()


def test_a_file_without_a_recognisable_header_is_refused(taiping, staff_user):
    with pytest.raises(ImportFileError):
        _preview(taiping, staff_user, "名称,数量\n桌子,3\n".encode())


def test_confirm_records_reimbursed_rows_approved_by_nobody_and_audits(taiping, staff_user):
    data = _csv(ROWS)
    record = ledger_import_confirm(township=taiping, year=2020, data=data,
                                   filename="台账.csv", acting_user=staff_user)
    assert record.sha256 == hashlib.sha256(data).hexdigest()
    assert (record.rows, record.total, record.imported_by) == (3, Decimal("6734.50"),
                                                               staff_user)
    imported = list(Expenditure.objects.filter(ledger_import=record).order_by("date"))
    assert [(e.status, e.reimbursed_on, e.accounting_voucher, e.approved_by_id,
             e.created_by_id) for e in imported] == [
        ("reimbursed", datetime.date(2020, 3, 5), "记-3", None, staff_user.pk),
        ("reimbursed", datetime.date(2020, 4, 8), "记-11", None, staff_user.pk),
        ("reimbursed", datetime.date(2020, 5, 20), "记-19", None, staff_user.pk),
    ]
    transitions = ExpenditureTransition.objects.filter(expenditure__in=imported)
    assert transitions.count() == 3
    assert all(t.from_status == "" and t.to_status == "reimbursed"
               and "台账.csv" in t.note and record.sha256[:12] in t.note
               for t in transitions)
    event = AuditEvent.objects.get(action=AuditEvent.Action.LEDGER_IMPORTED)
    assert event.actor == staff_user and event.details["sha256"] == record.sha256
    assert event.details["rows"] == 3


def test_the_same_file_is_not_imported_twice(taiping, staff_user):
    data = _csv(ROWS)
    ledger_import_confirm(township=taiping, year=2020, data=data, filename="台账.csv",
                          acting_user=staff_user)
    assert _preview(taiping, staff_user, data).already_imported is not None
    with pytest.raises(SpendingError, match="不能重复导入"):
        ledger_import_confirm(township=taiping, year=2020, data=data, filename="副本.csv",
                              acting_user=staff_user)
    assert Expenditure.objects.filter(township=taiping).count() == 3


def test_a_row_repeating_a_recorded_expenditure_is_flagged_and_needs_acknowledging(
        taiping, staff_user):
    ledger_import_confirm(township=taiping, year=2020, data=_csv(ROWS[:2]),
                          filename="一月.csv", acting_user=staff_user)
    again = [ROWS[1][:2] + ["记-99"] + ROWS[1][3:-1] + [""],  # same date, amount, payee
             ROWS[3][:-1] + [""]]
    voucher = [["9", "2020-07-01", "记-3", "另一笔", "别处", "", "", "50", ""]]  # same 凭证号
    data = _csv(again + voucher)
    preview = _preview(taiping, staff_user, data)
    assert _problems(preview) == []
    assert [r.line for r in preview.duplicates] == [5, 9]
    with pytest.raises(SpendingError):
        ledger_import_confirm(township=taiping, year=2020, data=data, filename="二月.csv",
                              acting_user=staff_user)
    ledger_import_confirm(township=taiping, year=2020, data=data, filename="二月.csv",
                          acting_user=staff_user, acknowledge_duplicates=True)
    assert Expenditure.objects.filter(township=taiping).count() == 4


def test_going_below_zero_needs_a_reason_naming_the_amount(taiping, staff_user):
    remaining = _preview(taiping, staff_user, _csv(ROWS)).remaining_before
    amount = remaining + Decimal("12345.67")
    rows = [["1", "2020-03-05", "记-1", "阵地建设", "建筑公司", "阵地建设", "", str(amount), ""]]
    data = _csv(rows)
    preview = _preview(taiping, staff_user, data)
    assert preview.overdraft == Decimal("12345.67")
    with pytest.raises(SpendingError, match="1.23"):  # 1.23 万元 below zero
        ledger_import_confirm(township=taiping, year=2020, data=data, filename="台账.csv",
                              acting_user=staff_user)
    assert not Expenditure.objects.exists()
    record = ledger_import_confirm(township=taiping, year=2020, data=data,
                                   filename="台账.csv", acting_user=staff_user,
                                   overdraft_reason="县委追加的阵地建设，追加文件待下达")
    assert record.overdraft_reason.startswith("县委追加")
    event = AuditEvent.objects.get(action=AuditEvent.Action.LEDGER_IMPORTED)
    assert event.details["reason"].startswith("县委追加")
    assert event.details["overdraft"] == "12345.67"


def test_a_clerk_imports_for_the_own_township_only(taiping, clerk_user, other_clerk_user):
    assert _preview(taiping, clerk_user, _csv(ROWS)).can_confirm
    with pytest.raises(PermissionDenied):
        _preview(taiping, other_clerk_user, _csv(ROWS))
    with pytest.raises(PermissionDenied):
        ledger_import_confirm(township=taiping, year=2020, data=_csv(ROWS),
                              filename="台账.csv", acting_user=other_clerk_user)


def test_finance_may_not_import(taiping, finance_user):
    with pytest.raises(PermissionDenied):
        _preview(taiping, finance_user, _csv(ROWS))


def test_the_command_previews_and_imports(taiping, staff_user, tmp_path, capsys):
    path = tmp_path / "台账.csv"
    path.write_bytes(_csv(ROWS, encoding="gb18030"))
    call_command("import_expenditures", "--user", "staff1", "--year", "2020",
                 "--township", taiping.code, str(path))
    out = capsys.readouterr().out
    assert "6,734.50" in out
    assert LedgerImport.objects.get().rows == 3
    with pytest.raises(CommandError):
        call_command("import_expenditures", "--user", "staff1", "--year", "2020",
                     "--township", taiping.code, str(path))


def test_the_command_names_the_problems(taiping, staff_user, tmp_path):
    path = tmp_path / "坏.csv"
    path.write_bytes(_csv([["1", "2020-02-30", "记-1", "培训", "书店", "", "", "100", ""]]))
    with pytest.raises(CommandError, match="日期"):
        call_command("import_expenditures", "--user", "staff1", "--year", "2020",
                     "--township", taiping.code, str(path))
    assert not Expenditure.objects.exists()


# --- The page --------------------------------------------------------------------------


def _upload(client, township, data, name="台账.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse
    return client.post(reverse("ledger-import", args=[township.code, 2020]),
                       {"file": SimpleUploadedFile(name, data)})


def test_the_page_previews_then_imports_on_confirmation(client, taiping, clerk_user):
    from django.urls import reverse
    client.force_login(clerk_user)
    assert client.get(reverse("ledger-import", args=[taiping.code, 2020])).status_code == 200
    response = _upload(client, taiping, _csv(ROWS))
    assert response.status_code == 200
    page = response.content.decode()
    assert "七一党员培训教材" in page and "1,234.50" in page and "记-19" in page
    assert "家具" in page  # the unknown category is named, recorded as 其他
    assert not Expenditure.objects.exists()
    response = client.post(reverse("ledger-import", args=[taiping.code, 2020]), {
        "sha256": hashlib.sha256(_csv(ROWS)).hexdigest(), "filename": "台账.csv"})
    assert response.status_code == 302
    assert Expenditure.objects.filter(township=taiping, ledger_import__isnull=False).count() == 3
    ledger = client.get(reverse("ledger", args=[taiping.code, 2020])).content.decode()
    assert "导入" in ledger


def test_the_page_lists_every_problem_and_writes_nothing(client, taiping, staff_user):
    client.force_login(staff_user)
    rows = [["1", "2020/2/30", "记-1", "培训", "书店", "", "", "1,00.0.0", ""]]
    response = _upload(client, taiping, _csv(rows))
    assert response.status_code == 400
    page = response.content.decode()
    assert "第5行 日期" in page and "第5行 支出" in page
    assert "sha256" not in page  # no confirmation offered
    assert not Expenditure.objects.exists()


def test_a_clerk_of_another_township_gets_404(client, taiping, other_clerk_user):
    from django.urls import reverse
    client.force_login(other_clerk_user)
    url = reverse("ledger-import", args=[taiping.code, 2020])
    assert client.get(url).status_code == 404
    assert _upload(client, taiping, _csv(ROWS)).status_code == 404


def test_finance_gets_403(client, taiping, finance_user):
    from django.urls import reverse
    client.force_login(finance_user)
    assert client.get(reverse("ledger-import", args=[taiping.code, 2020])).status_code == 403


def test_the_template_is_read_back_by_the_import(client, taiping, staff_user):
    from django.urls import reverse
    client.force_login(staff_user)
    response = client.get(reverse("ledger-import-template"))
    assert response.status_code == 200
    preview = _preview(taiping, staff_user, response.content, "模板.xlsx")
    assert _problems(preview) == []
    assert [(r.date, r.amount, r.voucher) for r in preview.rows] == [
        (datetime.date(2020, 3, 5), Decimal("1234.50"), "记-3")]


def _rows(n):
    return [[str(i), f"2020-03-{1 + i % 28:02d}", f"记-{i}", f"支出{i}", f"单位{i}", "教育培训",
             "", "10.00", ""] for i in range(n)]


def test_the_preview_page_queries_do_not_grow_with_rows(
        client, taiping, staff_user, django_assert_max_num_queries):
    from django.test.utils import CaptureQueriesContext
    client.force_login(staff_user)
    with CaptureQueriesContext(connection) as few:
        assert _upload(client, taiping, _csv(_rows(3)), "三行.csv").status_code == 200
    with django_assert_max_num_queries(len(few)):
        assert _upload(client, taiping, _csv(_rows(300)), "三百行.csv").status_code == 200


# --- Visible as imported, vouchers afterwards -------------------------------------------


def _imported(taiping, user):
    record = ledger_import_confirm(township=taiping, year=2020, data=_csv(ROWS),
                                   filename="太平镇台账.csv", acting_user=user)
    return record, Expenditure.objects.filter(ledger_import=record).order_by("date").first()


def test_the_expenditure_page_says_who_imported_it_and_that_nobody_approved_it(
        client, taiping, staff_user):
    from django.urls import reverse
    record, expenditure = _imported(taiping, staff_user)
    client.force_login(staff_user)
    page = client.get(reverse("expenditure-detail", args=[expenditure.pk])).content.decode()
    assert "未经本系统审批" in page
    assert "太平镇台账.csv" in page and record.sha256[:12] in page and "staff1" in page


def test_the_ledger_exports_mark_imported_rows(client, taiping, staff_user):
    from django.urls import reverse
    from openpyxl import load_workbook
    _imported(taiping, staff_user)
    client.force_login(staff_user)
    response = client.get(reverse("ledger-export-csv", args=[taiping.code, 2020]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.count("已报账（导入）") == 3
    response = client.get(reverse("ledger-export-xlsx", args=[taiping.code, 2020]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sum(cell.value == "已报账（导入）" for row in sheet.iter_rows() for cell in row) == 3


def test_the_posting_document_marks_imported_rows(taiping, staff_user):
    from funds.documents.figures import posting_figures
    from funds.models import DocumentSettings, FundYear
    _imported(taiping, staff_user)
    figures = posting_figures(FundYear.objects.get(year=2020), DocumentSettings.get(),
                              township=taiping, period="year")
    items = figures["townships"][0]["expenditures"]
    assert [item["decision"] for item in items if item["payee"] == "县新华书店"] == [
        "导入（未经本系统审批）"]


def test_vouchers_are_attached_to_an_imported_row_afterwards(taiping, staff_user, clerk_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from demo.data import DEMO_PDF
    from funds.models import Voucher
    from funds.spending import services as spending
    _record, expenditure = _imported(taiping, staff_user)
    assert spending.allowed("voucher", expenditure, clerk_user)
    spending.voucher_add(expenditure=expenditure, kind="invoice", acting_user=clerk_user,
                         upload=SimpleUploadedFile("发票.pdf", DEMO_PDF,
                                                   content_type="application/pdf"))
    assert Voucher.objects.filter(expenditure=expenditure).count() == 1
    # a row reimbursed in this system keeps the rule: its vouchers came before payment
    regular = Expenditure.objects.create(
        township=taiping, year=2020, date=datetime.date(2020, 8, 1), amount=Decimal("10"),
        category=expenditure.category, purpose="x", payee="y", created_by=clerk_user,
        status="reimbursed", reimbursed_on=datetime.date(2020, 8, 2), accounting_voucher="记-8")
    assert not spending.allowed("voucher", regular, clerk_user)


# --- Two imports at once ------------------------------------------------------------------


@pytest.mark.skipif("connection.vendor != 'postgresql'",
                    reason="two connections racing for one budget need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_imports_at_once_cannot_both_spend_the_last_money(taiping, staff_user,
                                                             monkeypatch):
    """Two files, each within what is left, together beyond it. Both confirmations read
    the budget; a barrier holds each after its read until the other has read too. With
    the township lock the second waits for the first to commit (the barrier times out),
    then reads what is really left and asks for a reason."""
    import contextlib
    import threading

    from django.db import connections

    from funds.spending import ledger_import

    remaining = _preview(taiping, staff_user, _csv(ROWS)).remaining_before
    part = (remaining * Decimal("0.6")).quantize(Decimal("0.01"))
    files = [_csv([["1", "2020-03-05", f"记-{n}", f"阵地建设{n}", f"公司{n}", "", "",
                    str(part), ""]]) for n in (1, 2)]
    barrier = threading.Barrier(2)
    real_budget = ledger_import.township_budget_get

    def budget_then_wait(*args, **kwargs):
        budget = real_budget(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=3)
        return budget

    monkeypatch.setattr(ledger_import, "township_budget_get", budget_then_wait)
    errors = []

    def confirm(data, name):
        try:
            ledger_import_confirm(township=taiping, year=2020, data=data, filename=name,
                                  acting_user=staff_user)
        except SpendingError as exc:
            errors.append(str(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm, args=(data, f"{n}.csv"))
               for n, data in enumerate(files)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert LedgerImport.objects.count() == 1
    assert len(errors) == 1 and "低于零" in errors[0], errors


def test_the_page_asks_for_a_reason_below_zero_and_names_the_amount(client, taiping,
                                                                    staff_user):
    from django.urls import reverse
    remaining = _preview(taiping, staff_user, _csv(ROWS)).remaining_before
    data = _csv([["1", "2020-03-05", "记-1", "阵地建设", "建筑公司", "", "",
                  str(remaining + Decimal("12345.67")), ""]])
    client.force_login(staff_user)
    page = _upload(client, taiping, data).content.decode()
    assert "低于零 1.23 万元" in page and "余额为负的理由" in page
    url = reverse("ledger-import", args=[taiping.code, 2020])
    confirm = {"sha256": hashlib.sha256(data).hexdigest(), "filename": "台账.csv"}
    response = client.post(url, confirm)
    assert response.status_code == 400 and "低于零 1.23 万元" in response.content.decode()
    assert not Expenditure.objects.exists()
    response = client.post(url, confirm | {"overdraft_reason": "追加文件待下达"})
    assert response.status_code == 302
    assert LedgerImport.objects.get().overdraft_reason == "追加文件待下达"


def test_a_ledger_file_is_bounded_like_the_other_imports(taiping, staff_user, settings,
                                                         monkeypatch):
    from funds.spending import ledger_import
    settings.IMPORT_MAX_BYTES = 200
    with pytest.raises(ImportFileError, match="KB"):
        _preview(taiping, staff_user, _csv(ROWS))
    settings.IMPORT_MAX_BYTES = 2 * 1024 * 1024
    monkeypatch.setattr(ledger_import, "MAX_ROWS", 20)
    with pytest.raises(ImportFileError, match="20"):
        _preview(taiping, staff_user, _csv(_rows(40)))
    assert not Expenditure.objects.exists()
