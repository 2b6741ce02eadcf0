"""The spending loop: every rule the server enforces, every state transition and its
record, vouchers, inspections, and execution sums equal to the ledgers to the yuan."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from demo.data import DEMO_PDF
from funds.budget.selectors import execution_total_get, township_budget_get
from funds.models import (
    Expenditure,
    ExpenditureTransition,
    Finding,
    FundYear,
    SpendingCategory,
    Voucher,
)
from funds.spending import services as spending
from tests.conftest import login
from townships.models import Township

S = Expenditure.Status
DAY = datetime.date(2020, 5, 1)


def _fund_year():
    return FundYear.objects.get(year=2020)


def _category():
    return SpendingCategory.objects.get(name="教育培训")


def _new(township, user, amount="1000.00", day=DAY):
    return spending.expenditure_create(
        township=township, date=day, amount=Decimal(amount), category=_category(),
        purpose="党员培训", payee="党校", acting_user=user)


def _pdf(name="发票.pdf", data=DEMO_PDF):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def _submitted(township, clerk, amount="1000.00"):
    expenditure = _new(township, clerk, amount)
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk)
    return Expenditure.objects.get(pk=expenditure.pk)


def _states(expenditure):
    return list(ExpenditureTransition.objects.filter(expenditure=expenditure)
                .values_list("from_status", "to_status", "actor__username"))


# --- Rule: a clerk acts only for the own township, and sees nothing of another ---------


def test_clerk_cannot_create_for_another_township(taiping, other_clerk_user):
    with pytest.raises(PermissionDenied):
        _new(taiping, other_clerk_user)
    assert not Expenditure.objects.exists()


def test_clerk_gets_404_for_everything_of_another_township(
        client, taiping, clerk_user, other_clerk_user):
    expenditure = _new(taiping, clerk_user)
    voucher = spending.voucher_add(expenditure=expenditure, kind="invoice", upload=_pdf(),
                                   acting_user=clerk_user)
    login(client, other_clerk_user)
    for url in (
        reverse("expenditure-detail", args=[expenditure.pk]),
        reverse("expenditure-edit", args=[expenditure.pk]),
        reverse("voucher-download", args=[voucher.pk]),
        reverse("ledger", args=[taiping.code, 2020]),
        reverse("ledger-export-csv", args=[taiping.code, 2020]),
        reverse("expenditure-create", args=[taiping.code, 2020]),
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(reverse("expenditure-action", args=[expenditure.pk, "submit"]))
    assert response.status_code == 404
    assert Expenditure.objects.get(pk=expenditure.pk).status == S.DRAFT


def test_clerk_records_and_submits_through_the_pages(client, taiping, clerk_user):
    login(client, clerk_user)
    response = client.post(reverse("expenditure-create", args=[taiping.code, 2020]), {
        "date": "2020-05-01", "amount": "1234.56", "category": _category().pk,
        "purpose": "<script>alert(1)</script>", "payee": "党校"})
    expenditure = Expenditure.objects.get()
    assert response["Location"] == reverse("expenditure-detail", args=[expenditure.pk])
    assert expenditure.amount == Decimal("1234.56") and expenditure.created_by == clerk_user
    page = client.get(reverse("expenditure-detail", args=[expenditure.pk])).content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    client.post(reverse("expenditure-action", args=[expenditure.pk, "submit"]))
    assert Expenditure.objects.get().status == S.SUBMITTED
    # a clerk never approves, not even another clerk's submission
    response = client.post(reverse("expenditure-action", args=[expenditure.pk, "approve"]))
    assert response.status_code == 403


# --- Rule: nobody approves an expenditure they submitted ---------------------------------


def test_self_approval_is_refused(client, taiping, admin_user):
    expenditure = _new(taiping, admin_user)
    spending.expenditure_submit(expenditure=expenditure, acting_user=admin_user)
    with pytest.raises(spending.SpendingError, match="他人审批"):
        spending.expenditure_approve(expenditure=expenditure, acting_user=admin_user)
    login(client, admin_user)
    page = client.get(reverse("expenditure-detail", args=[expenditure.pk])).content.decode()
    assert "审批通过" not in page  # no button offered
    response = client.post(reverse("expenditure-action", args=[expenditure.pk, "approve"]),
                           follow=True)
    assert "他人审批" in response.content.decode()
    assert Expenditure.objects.get(pk=expenditure.pk).status == S.SUBMITTED


def test_the_database_refuses_a_self_approval_too(taiping, clerk_user):
    expenditure = _submitted(taiping, clerk_user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Expenditure.objects.filter(pk=expenditure.pk).update(approved_by=clerk_user,
                                                             status=S.APPROVED)


# --- Rule: large spending needs a collective decision -----------------------------------


def test_large_spending_needs_a_collective_decision(taiping, clerk_user, staff_user):
    at_threshold = _submitted(taiping, clerk_user, amount="10000.00")  # the demo threshold
    with pytest.raises(spending.SpendingError, match="集体决策"):
        spending.expenditure_approve(expenditure=at_threshold, acting_user=staff_user)
    below = _submitted(taiping, clerk_user, amount="9999.99")
    spending.expenditure_approve(expenditure=below, acting_user=staff_user)
    assert Expenditure.objects.get(pk=below.pk).status == S.APPROVED


def test_a_recorded_decision_allows_the_approval(client, taiping, clerk_user, staff_user):
    expenditure = _new(taiping, clerk_user, amount="38000.00")
    login(client, clerk_user)
    missing_minutes = client.post(reverse("decision-create", args=[expenditure.pk]), {
        "meeting_type": "party_committee", "meeting_date": "2020-04-20",
        "attendance": "应到9人，实到8人"}, follow=True)
    assert "请填写会议纪要编号或上传会议纪要" in missing_minutes.content.decode()
    client.post(reverse("decision-create", args=[expenditure.pk]), {
        "meeting_type": "party_committee", "meeting_date": "2020-04-20",
        "attendance": "应到9人，实到8人", "minutes_file": _pdf("纪要.pdf")})
    expenditure.refresh_from_db()
    assert expenditure.decision.minutes_file and expenditure.decision.recorded_by == clerk_user
    assert client.get(reverse("decision-minutes", args=[expenditure.decision.pk])).status_code \
        == 200
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk_user)
    spending.expenditure_approve(expenditure=expenditure, acting_user=staff_user)
    assert Expenditure.objects.get(pk=expenditure.pk).status == S.APPROVED


# --- Rule: beyond the remaining budget, stop or warn ---------------------------------------


def _spend_all_but(township, clerk, staff, left: Decimal):
    """Approve spending until only ``left`` yuan of the 200,000 remain (with decisions)."""
    amount = Decimal("200000.00") - left
    expenditure = _new(township, clerk, amount=str(amount))
    spending.decision_record(expenditure=expenditure, meeting_type="party_committee",
                             meeting_date=DAY, attendance="全体", minutes_reference="纪〔1〕",
                             acting_user=clerk)
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk)
    spending.expenditure_approve(expenditure=expenditure, acting_user=staff)


def test_beyond_the_budget_is_stopped_and_only_an_administrator_overrides(
        taiping, clerk_user, staff_user, admin_user):
    _spend_all_but(taiping, clerk_user, staff_user, left=Decimal("500.00"))
    over = _submitted(taiping, clerk_user, amount="500.01")
    with pytest.raises(spending.SpendingError, match="超出预算余额"):
        spending.expenditure_approve(expenditure=over, acting_user=staff_user)
    with pytest.raises(spending.SpendingError, match="只有管理员"):
        spending.expenditure_approve(expenditure=over, acting_user=staff_user,
                                     override_reason="急需")
    with pytest.raises(spending.SpendingError):
        spending.expenditure_approve(expenditure=over, acting_user=admin_user)  # no reason
    warnings = spending.expenditure_approve(expenditure=over, acting_user=admin_user,
                                            override_reason="市委同意追加")
    assert warnings and Expenditure.objects.get(pk=over.pk).status == S.APPROVED
    note = ExpenditureTransition.objects.filter(expenditure=over).last().note
    assert "强制审批" in note and "市委同意追加" in note
    assert township_budget_get(township=taiping, fund_year=_fund_year()).remaining == Decimal("-0.01")


def test_exactly_the_remaining_budget_is_allowed(taiping, clerk_user, staff_user):
    _spend_all_but(taiping, clerk_user, staff_user, left=Decimal("500.00"))
    exact = _submitted(taiping, clerk_user, amount="500.00")
    assert spending.expenditure_approve(expenditure=exact, acting_user=staff_user) == []
    assert township_budget_get(township=taiping, fund_year=_fund_year()).remaining == Decimal("0.00")


def test_warn_policy_approves_with_a_warning(taiping, clerk_user, staff_user):
    FundYear.objects.filter(year=2020).update(overspend_policy="warn")
    _spend_all_but(taiping, clerk_user, staff_user, left=Decimal("100.00"))
    over = _submitted(taiping, clerk_user, amount="300.00")
    warnings = spending.expenditure_approve(expenditure=over, acting_user=staff_user)
    assert len(warnings) == 1 and "超出预算余额" in warnings[0]
    assert Expenditure.objects.get(pk=over.pk).status == S.APPROVED


# --- Rule: positive amounts with at most two decimals ----------------------------------


@pytest.mark.parametrize("amount", ["0", "-5", "0.001", "12.345", "1e3x", "",
                                    "1000000000000000"])
def test_bad_amounts_are_refused_in_the_form(client, taiping, clerk_user, amount):
    login(client, clerk_user)
    response = client.post(reverse("expenditure-create", args=[taiping.code, 2020]), {
        "date": "2020-05-01", "amount": amount, "category": _category().pk,
        "purpose": "x", "payee": "y"})
    assert response.status_code == 400
    assert not Expenditure.objects.exists()


@pytest.mark.parametrize("amount", ["0.00", "-1.00", "1.005"])
def test_bad_amounts_are_refused_by_the_service(taiping, clerk_user, amount):
    with pytest.raises(spending.SpendingError):
        _new(taiping, clerk_user, amount=amount)
    assert not Expenditure.objects.exists()


def test_a_date_outside_any_fund_year_is_refused(client, taiping, clerk_user):
    login(client, clerk_user)
    response = client.post(reverse("expenditure-create", args=[taiping.code, 2020]), {
        "date": "1999-05-01", "amount": "10", "category": _category().pk,
        "purpose": "x", "payee": "y"})
    assert response.status_code == 400
    assert "没有 1999 经费年度" in response.content.decode()


# --- Every state transition, with its record ------------------------------------------


def test_the_happy_path_records_every_transition(taiping, clerk_user, staff_user,
                                                  finance_user):
    from django.utils import timezone

    start = timezone.now()
    expenditure = _new(taiping, clerk_user)
    spending.voucher_add(expenditure=expenditure, kind="invoice", upload=_pdf(),
                         acting_user=clerk_user)
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk_user)
    spending.expenditure_approve(expenditure=expenditure, acting_user=staff_user)
    spending.expenditure_reimburse(expenditure=expenditure, acting_user=finance_user,
                                   reimbursed_on=timezone.localdate(),
                                   accounting_voucher="记-001")
    assert Expenditure.objects.get(pk=expenditure.pk).status == S.REIMBURSED
    assert _states(expenditure) == [
        ("", "draft", "clerk1"), ("draft", "draft", "clerk1"),  # created, voucher added
        ("draft", "submitted", "clerk1"), ("submitted", "approved", "staff1"),
        ("approved", "reimbursed", "finance1"),
    ]
    times = list(ExpenditureTransition.objects.order_by("pk").values_list("at", flat=True))
    assert len(times) == 5
    assert start <= times[0] and times == sorted(times) and times[-1] <= timezone.now()


def test_reimbursement_needs_the_invoice(taiping, clerk_user, staff_user, finance_user):
    expenditure = _submitted(taiping, clerk_user)
    spending.expenditure_approve(expenditure=expenditure, acting_user=staff_user)
    with pytest.raises(spending.SpendingError, match="发票"):
        spending.expenditure_reimburse(expenditure=expenditure, acting_user=finance_user, reimbursed_on=timezone.localdate(), accounting_voucher="记-001")


def test_returned_with_a_changed_amount_goes_through_approval_again(
        taiping, clerk_user, staff_user):
    expenditure = _submitted(taiping, clerk_user)
    spending.expenditure_approve(expenditure=expenditure, acting_user=staff_user)
    spending.expenditure_return(expenditure=expenditure, acting_user=staff_user,
                                note="金额有误")
    spending.expenditure_update(expenditure=expenditure, acting_user=clerk_user, date=DAY,
                                amount=Decimal("1200.00"), category=_category(),
                                purpose="党员培训", payee="党校")
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk_user)
    expenditure.refresh_from_db()
    assert expenditure.status == S.SUBMITTED and expenditure.approved_by is None
    notes = [t.note for t in ExpenditureTransition.objects.filter(expenditure=expenditure)]
    assert "金额有误" in notes and any("1000.00 → 1200.00" in n for n in notes)


def test_reject_and_void_need_a_reason_and_are_final(taiping, clerk_user, staff_user):
    rejected = _submitted(taiping, clerk_user)
    with pytest.raises(spending.SpendingError):
        spending.expenditure_reject(expenditure=rejected, acting_user=staff_user, note=" ")
    spending.expenditure_reject(expenditure=rejected, acting_user=staff_user, note="不属开支范围")
    with pytest.raises(spending.SpendingError):
        spending.expenditure_submit(expenditure=rejected, acting_user=clerk_user)
    voided = _new(taiping, clerk_user)
    with pytest.raises(spending.SpendingError):
        spending.expenditure_void(expenditure=voided, acting_user=clerk_user, note="")
    spending.expenditure_void(expenditure=voided, acting_user=clerk_user, note="重复录入")
    assert Expenditure.objects.get(pk=voided.pk).status == S.VOIDED
    assert Expenditure.objects.count() == 2  # nothing is deleted
    assert _states(voided)[-1] == ("draft", "voided", "clerk1")


def test_a_clerk_cannot_void_a_submitted_expenditure_but_staff_can(
        taiping, clerk_user, staff_user):
    expenditure = _submitted(taiping, clerk_user)
    with pytest.raises(spending.SpendingError):
        spending.expenditure_void(expenditure=expenditure, acting_user=clerk_user, note="撤回")
    spending.expenditure_void(expenditure=expenditure, acting_user=staff_user, note="乡镇申请撤回")
    assert Expenditure.objects.get(pk=expenditure.pk).status == S.VOIDED


@pytest.mark.parametrize("action", ["approve", "reimburse", "return"])
def test_actions_out_of_order_are_refused(taiping, clerk_user, admin_user, action):
    draft = _new(taiping, clerk_user)
    service = {"approve": spending.expenditure_approve,
               "reimburse": lambda **kw: spending.expenditure_reimburse(
                   reimbursed_on=timezone.localdate(), accounting_voucher="记-001", **kw),
               "return": lambda **kw: spending.expenditure_return(note="x", **kw)}[action]
    with pytest.raises(spending.SpendingError):
        service(expenditure=draft, acting_user=admin_user)  # holds every permission
    assert Expenditure.objects.get(pk=draft.pk).status == S.DRAFT


def test_an_approved_expenditure_cannot_be_edited(client, taiping, clerk_user, staff_user):
    expenditure = _submitted(taiping, clerk_user)
    spending.expenditure_approve(expenditure=expenditure, acting_user=staff_user)
    with pytest.raises(spending.SpendingError):
        spending.expenditure_update(expenditure=expenditure, acting_user=clerk_user, date=DAY,
                                    amount=Decimal("1.00"), category=_category(),
                                    purpose="x", payee="y")
    login(client, clerk_user)
    client.post(reverse("expenditure-edit", args=[expenditure.pk]), {
        "date": "2020-05-01", "amount": "1.00", "category": _category().pk, "purpose": "x",
        "payee": "y"})
    assert Expenditure.objects.get(pk=expenditure.pk).amount == Decimal("1000.00")


def test_finance_reads_and_pays_but_does_not_decide(client, taiping, clerk_user,
                                                   finance_user):
    expenditure = _submitted(taiping, clerk_user)
    login(client, finance_user)
    assert client.get(reverse("ledger", args=[taiping.code, 2020])).status_code == 200
    for action in ("approve", "reject", "return", "void"):
        response = client.post(reverse("expenditure-action", args=[expenditure.pk, action]),
                               {"note": "x"})
        assert response.status_code == 403, action
    assert Expenditure.objects.get(pk=expenditure.pk).status == S.SUBMITTED


# --- Vouchers ----------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "data", "message"), [
    ("发票.exe", b"MZ\x90\x00", "只接受"),
    ("发票.pdf", b"MZ\x90\x00 not a pdf", "不是真正的 PDF"),
    ("照片.jpg", b"\x89PNG\r\n\x1a\n", "不是真正的 JPG"),
    ("空.pdf", b"", "空文件"),
])
def test_bad_voucher_files_are_refused(client, taiping, clerk_user, name, data, message):
    expenditure = _new(taiping, clerk_user)
    login(client, clerk_user)
    response = client.post(reverse("voucher-upload", args=[expenditure.pk]),
                           {"kind": "invoice", "file": SimpleUploadedFile(name, data)},
                           follow=True)
    body = response.content.decode()
    assert message in body
    assert not Voucher.objects.exists()


def test_a_voucher_larger_than_the_limit_is_refused(settings, taiping, clerk_user):
    settings.VOUCHER_MAX_BYTES = 1024
    expenditure = _new(taiping, clerk_user)
    with pytest.raises(spending.SpendingError, match="超过"):
        spending.voucher_add(expenditure=expenditure, kind="photo",
                             upload=_pdf(data=DEMO_PDF + b" " * 2000), acting_user=clerk_user)
    assert not Voucher.objects.exists()


def test_vouchers_are_stored_under_our_name_and_served_after_login(
        client, taiping, clerk_user, settings):
    expenditure = _new(taiping, clerk_user)
    voucher = spending.voucher_add(expenditure=expenditure, kind="invoice",
                                   upload=_pdf("../../etc/发票.pdf"), acting_user=clerk_user)
    assert voucher.original_name == "发票.pdf"
    assert ".." not in voucher.file.name and voucher.file.name.startswith("vouchers/")
    url = reverse("voucher-download", args=[voucher.pk])
    assert client.get(url).status_code == 302  # anonymous: to the login page
    login(client, clerk_user)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == DEMO_PDF
    assert "attachment" in response["Content-Disposition"]


def test_vouchers_preview_inline_on_the_expenditure_page(client, taiping, clerk_user,
                                                         other_clerk_user):
    expenditure = _new(taiping, clerk_user)
    pdf = spending.voucher_add(expenditure=expenditure, kind="invoice", upload=_pdf(),
                               acting_user=clerk_user)
    png = spending.voucher_add(
        expenditure=expenditure, kind="photo", acting_user=clerk_user,
        upload=SimpleUploadedFile("现场.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
                                  content_type="image/png"))
    login(client, clerk_user)
    page = client.get(reverse("expenditure-detail", args=[expenditure.pk])).content.decode()
    png_url = reverse("voucher-download", args=[png.pk])
    pdf_url = reverse("voucher-download", args=[pdf.pk])
    assert f'<img class="voucher-thumb" src="{png_url}?inline=1"' in page
    assert f'href="{pdf_url}?inline=1"' in page
    for voucher, content_type in ((pdf, "application/pdf"), (png, "image/png")):
        url = reverse("voucher-download", args=[voucher.pk])
        inline = client.get(url, {"inline": "1"})
        assert inline["Content-Disposition"].startswith("inline")
        assert inline["Content-Type"] == content_type
        assert inline["X-Content-Type-Options"] == "nosniff"
    login(client, other_clerk_user)
    assert client.get(png_url, {"inline": "1"}).status_code == 404


# --- Inspections ----------------------------------------------------------------------


def test_inspection_findings_show_until_closed(client, taiping, staff_user, admin_user):
    login(client, staff_user)
    response = client.post(reverse("inspection-create"), {
        "date": "2020-10-20", "inspectors": "检查组", "townships": [taiping.pk]})
    inspection = taiping.inspections.get()
    assert response["Location"] == reverse("inspection-detail", args=[inspection.pk])
    early = client.post(reverse("inspection-detail", args=[inspection.pk]), {
        "township": taiping.pk, "description": "签到表缺签名", "deadline": "2020-10-01"})
    assert early.status_code == 400 and "不能早于检查日期" in early.content.decode()
    client.post(reverse("inspection-detail", args=[inspection.pk]), {
        "township": taiping.pk, "description": "签到表缺签名", "deadline": "2020-11-30"})
    finding = Finding.objects.get()
    login(client, admin_user)
    assert "签到表缺签名" in client.get(
        reverse("township-detail", args=[taiping.code])).content.decode()
    assert client.get(reverse("overview")).context["open_findings"] == 1
    refused = client.post(reverse("finding-close", args=[finding.pk]), {"closure_note": ""})
    assert refused.status_code == 302 and Finding.objects.get().is_open
    client.post(reverse("finding-close", args=[finding.pk]), {"closure_note": "已补签"})
    finding.refresh_from_db()
    assert not finding.is_open and finding.closed_by == admin_user
    assert client.get(reverse("overview")).context["open_findings"] == 0


def test_a_finding_is_for_an_inspected_township(taiping, staff_user):
    other = Township.objects.exclude(pk=taiping.pk).first()
    inspection = spending.inspection_record(date=DAY, inspectors="组", townships=[taiping],
                                            acting_user=staff_user)
    with pytest.raises(spending.SpendingError):
        spending.finding_add(inspection=inspection, township=other, description="x",
                             deadline=DAY, acting_user=staff_user)


def test_clerks_cannot_open_the_inspections_or_the_queue(client, demo, clerk_user):
    login(client, clerk_user)
    for name in ("inspection-list", "inspection-create", "approval-queue"):
        assert client.get(reverse(name)).status_code == 403, name


# --- Execution: the overview and the tables equal the ledgers, to the yuan --------------


AMOUNTS = ["0.10", "0.20", "0.30", "1234.56", "999.99", "0.01", "7777.77", "3.33"]


@pytest.fixture
def spent(demo, clerk_user, staff_user, admin_user, finance_user):
    """Reimbursed, approved and pending amounts spread over three townships."""
    townships = list(Township.objects.in_service(2020).order_by("code")[:3])
    for i, township in enumerate(townships):
        for j, amount in enumerate(AMOUNTS):
            expenditure = _new(township, admin_user, amount=amount)
            spending.voucher_add(expenditure=expenditure, kind="invoice", upload=_pdf(),
                                 acting_user=admin_user)
            spending.expenditure_submit(expenditure=expenditure, acting_user=admin_user)
            if (i + j) % 3:
                spending.expenditure_approve(expenditure=expenditure, acting_user=staff_user)
            if (i + j) % 3 == 2:
                spending.expenditure_reimburse(
                    expenditure=expenditure, acting_user=finance_user,
                    reimbursed_on=timezone.localdate(), accounting_voucher="记-001")
    return townships


def _ledger_sums(township):
    rows = Expenditure.objects.filter(township=township, year=2020)
    return (sum((e.amount for e in rows if e.status == S.APPROVED), Decimal("0.00")),
            sum((e.amount for e in rows if e.status == S.REIMBURSED), Decimal("0.00")))


def test_execution_everywhere_equals_the_ledger_sums(client, spent, staff_user, finance_user):
    approved = sum(_ledger_sums(t)[0] for t in spent)
    reimbursed = sum(_ledger_sums(t)[1] for t in spent)
    assert reimbursed > 0 and approved > 0
    totals = execution_total_get(fund_year=_fund_year())
    assert (totals.approved, totals.reimbursed) == (approved, reimbursed)

    login(client, staff_user)
    overview = client.get(reverse("overview"))
    assert overview.context["execution"].reimbursed == reimbursed
    table = client.get(reverse("allocation-list", args=[2020])).context["table"]
    for row in table.rows:
        township = Township.objects.get(pk=row.record["pk"])
        ledger_approved, ledger_reimbursed = _ledger_sums(township)
        assert row.get_cell_value("reimbursed") == ledger_reimbursed
        budget = township_budget_get(township=township, fund_year=_fund_year())
        assert (budget.approved, budget.reimbursed) == (ledger_approved, ledger_reimbursed)
        expected_rate = (ledger_reimbursed / budget.allocation * 100).quantize(Decimal("0.01"))
        assert row.get_cell("rate") == f"{expected_rate}%"

    login(client, finance_user)
    data = b"".join(client.get(reverse("execution-export-csv", args=[2020])).streaming_content)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][5] == "已报账（元）"
    by_code = {r[0]: r for r in rows[1:-1]}
    for township in spent:
        assert Decimal(by_code[township.code][5]) == _ledger_sums(township)[1]
    assert Decimal(rows[-1][5]) == reimbursed and Decimal(rows[-1][4]) == approved


def test_ledger_remaining_after_each_line_and_exports(client, spent, finance_user):
    township = spent[0]
    login(client, finance_user)
    response = client.get(reverse("ledger", args=[township.code, 2020]))
    budget = response.context["budget"]
    lines = response.context["lines"]
    counted = [line for line in lines if line.remaining_after is not None]
    assert counted[-1].remaining_after == budget.remaining
    assert budget.remaining == budget.allocation - sum(_ledger_sums(township))
    from openpyxl import load_workbook

    xlsx = client.get(reverse("ledger-export-xlsx", args=[township.code, 2020]))
    sheet = load_workbook(io.BytesIO(xlsx.content))["2020"]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "太平镇2020年度经费台账（单位：元）"  # the title row
    assert values[1][0] == "日期"
    assert len(values) == 2 + len(lines) + 4
    assert xlsx["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E5%A4%AA%E5%B9%B3%E9%95%872020"
        "%E5%B9%B4%E5%BA%A6%E7%BB%8F%E8%B4%B9%E5%8F%B0%E8%B4%A6.xlsx")
    assert Decimal(str(values[-1][6])).quantize(Decimal("0.01")) == budget.remaining


# --- Query counts of the list pages do not grow with the townships --------------------


@pytest.mark.parametrize("url", ["/approvals/", "/execution/2020/", "/inspections/",
                                 "/ledger/511781100/2020/"])
def test_spending_pages_query_counts_are_pinned(client, spent, admin_user, url):
    from django.test.utils import CaptureQueriesContext

    login(client, admin_user)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    Township.objects.bulk_create(
        Township(code=f"9{i:08d}", name=f"测试乡{i}", kind="township") for i in range(448))
    more = Township.objects.filter(code__startswith="9")[:20]
    for township in more:  # more rows of every kind, too
        spending.expenditure_submit(expenditure=_new(township, admin_user),
                                    acting_user=admin_user)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    # 17: the approval queue's notifications read the user's reminders too (issue 26)
    assert len(large) == len(small) <= 17, "\n".join(q["sql"][:120] for q in large)


def test_detail_and_print_pages_query_counts_are_pinned(client, spent, admin_user, staff_user):
    from django.test.utils import CaptureQueriesContext

    expenditure = Expenditure.objects.filter(township=spent[0]).first()
    inspection = spending.inspection_record(date=DAY, inspectors="组", townships=spent,
                                            acting_user=staff_user)
    spending.finding_add(inspection=inspection, township=spent[0], description="x",
                         deadline=DAY, expenditures=[expenditure], acting_user=staff_user)
    urls = [reverse("expenditure-detail", args=[expenditure.pk]),
            reverse("inspection-detail", args=[inspection.pk]),
            reverse("allocation-print", args=[2020])]
    login(client, admin_user)
    small = {}
    for url in urls:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        small[url] = len(captured)
    Township.objects.bulk_create(
        Township(code=f"9{i:08d}", name=f"测试乡{i}", kind="township") for i in range(448))
    for township in Township.objects.filter(code__startswith="9")[:20]:
        spending.expenditure_submit(expenditure=_new(township, admin_user),
                                    acting_user=admin_user)
    for url in urls:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        assert len(captured) == small[url] <= 20, url


@pytest.mark.skipif("connection.vendor != 'postgresql'",
                    reason="row locks across two connections need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_an_approval_in_progress_does_not_hold_up_writes_referring_to_its_township(
        taiping, clerk_user, staff_user):
    """The approval locks its township against other approvals only: a category or an
    expenditure written for that township meanwhile (their foreign-key checks) goes on."""
    import threading

    from django.db import connections
    from django.utils import timezone

    from townships.models import TownshipCategory

    expenditure = _submitted(taiping, clerk_user)
    outcome = []

    def write_for_the_same_township():
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SET lock_timeout = '3s'")
            TownshipCategory.objects.create(township=taiping, year=2031, category=2,
                                            source="manual", changed_at=timezone.now())
            _new(taiping, clerk_user)
            outcome.append("written")
        except Exception as exc:  # noqa: BLE001 - the lock timeout, reported below
            outcome.append(repr(exc))
        finally:
            connections.close_all()

    with transaction.atomic():
        spending.expenditure_approve(expenditure=expenditure, acting_user=staff_user)
        writer = threading.Thread(target=write_for_the_same_township)
        writer.start()
        writer.join()
    assert outcome == ["written"]
    assert Expenditure.objects.get(pk=expenditure.pk).status == S.APPROVED


def test_the_approval_queue_shows_amounts_in_yuan(client, taiping, clerk_user, staff_user):
    """1,234.56 yuan reads as 1,234.56 in a 元 column, not as 0.12 in 万元."""
    expenditure = _new(taiping, clerk_user, amount="1234.56")
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk_user)
    login(client, staff_user)
    table = client.get(reverse("approval-queue")).context["table"]
    assert table.columns["amount"].header == "金额（元）"
    assert [row.get_cell("amount") for row in table.rows] == ["1,234.56"]


def test_a_clerk_starts_on_the_own_work(client, taiping, clerk_user, staff_user):
    """The budget, the button to record, and the to-do: returned items with the reason,
    drafts, findings with their deadline (overdue marked) and what waits for the county."""
    returned = _new(taiping, clerk_user, amount="1234.56")
    spending.expenditure_submit(expenditure=returned, acting_user=clerk_user)
    spending.expenditure_return(expenditure=returned, acting_user=staff_user,
                                note="请补充签到表")
    draft = _new(taiping, clerk_user, amount="200.00")
    waiting = _new(taiping, clerk_user, amount="300.00")
    spending.expenditure_submit(expenditure=waiting, acting_user=clerk_user)
    inspection = spending.inspection_record(date=DAY, inspectors="市委组织部", notes="",
                                            townships=[taiping], acting_user=staff_user)
    spending.finding_add(inspection=inspection, township=taiping, description="台账不全",
                         deadline=datetime.date(2020, 6, 1), acting_user=staff_user)
    login(client, clerk_user)
    assert client.get(reverse("overview"))["Location"] == reverse("clerk-home")
    response = client.get(reverse("clerk-home"), {"year": 2020})
    todo = response.context["todo"]
    assert ([e.pk for e in todo.returned], [e.pk for e in todo.drafts],
            [e.pk for e in todo.waiting]) == ([returned.pk], [draft.pk], [waiting.pk])
    assert todo.returned[0].return_note == "请补充签到表"
    assert [(f.description, f.is_overdue) for f in todo.findings] == [("台账不全", True)]
    assert response.context["budget"].allocation == Decimal("200000.00")
    body = response.content.decode()
    assert "退回原因： 请补充签到表" in body
    assert reverse("expenditure-create", args=["511781100", 2020]) in body
    assert "已逾期" in body


def test_the_clerk_home_sends_everyone_else_to_the_overview(client, demo, staff_user):
    login(client, staff_user)
    assert client.get(reverse("clerk-home"))["Location"] == reverse("overview")


def test_the_navigation_counts_what_waits_for_approval(client, taiping, clerk_user,
                                                       staff_user, finance_user):
    for amount in ("100.00", "200.00"):
        spending.expenditure_submit(expenditure=_new(taiping, clerk_user, amount=amount),
                                    acting_user=clerk_user)
    _new(taiping, clerk_user)  # a draft waits for nobody
    login(client, staff_user)
    badge = '<span class="badge" title="待审批">2</span>'
    assert badge in client.get(reverse("township-list")).content.decode()
    login(client, finance_user)  # finance does not approve: no link, no count
    assert "待审批" not in client.get(reverse("township-list")).content.decode()


def test_the_execution_xlsx_stores_rates_as_real_percentages(client, spent, finance_user):
    from openpyxl import load_workbook

    login(client, finance_user)
    response = client.get(reverse("execution-export-xlsx", args=[2020]))
    sheet = load_workbook(io.BytesIO(response.content))["2020"]
    rows = [r for r in sheet.iter_rows(min_row=3) if r[5].value][:-1]  # spent, not totals
    assert len(rows) == 3  # each of the three townships has reimbursed something
    for row in rows:
        allocation, reimbursed, rate = row[3].value, row[5].value, row[7]
        assert rate.number_format == "0.00%"
        # a fraction (0.0123) that Excel shows as 1.23%, not the number 1.23
        assert rate.value == pytest.approx(round(reimbursed / allocation, 4), abs=1e-9)


def test_a_reimbursement_records_its_date_and_accounting_voucher(
        client, taiping, clerk_user, staff_user, finance_user):
    expenditure = _submitted(taiping, clerk_user)
    spending.voucher_add(expenditure=expenditure, kind="invoice", upload=_pdf(),
                         acting_user=clerk_user)
    spending.expenditure_approve(expenditure=expenditure, acting_user=staff_user)
    today = timezone.localdate()
    login(client, finance_user)
    url = reverse("expenditure-action", args=[expenditure.pk, "reimburse"])
    for data, message in [
            ({"reimbursed_on": today.isoformat(), "accounting_voucher": " "}, "这个字段是必填项"),
            ({"reimbursed_on": "2099-01-01", "accounting_voucher": "记-7"}, "报账日期不能晚于今天"),
            # after the expenditure, but before it was approved (today): a lie
            ({"reimbursed_on": "2020-05-20", "accounting_voucher": "记-7"},
             "报账日期不能早于支出日期或审批日期")]:
        response = client.post(url, data, follow=True)
        assert message in response.content.decode()
        assert Expenditure.objects.get(pk=expenditure.pk).status == S.APPROVED
    client.post(url, {"reimbursed_on": today.isoformat(), "accounting_voucher": "记-2020-017"})
    expenditure.refresh_from_db()
    assert (expenditure.status, expenditure.reimbursed_on, expenditure.accounting_voucher) == (
        S.REIMBURSED, today, "记-2020-017")
    last = expenditure.transitions.last()
    assert (last.actor, last.note, last.changes) == (
        finance_user, f"会计凭证 记-2020-017，报账日期 {today}",
        {"reimbursed_on": ["", today.isoformat()], "accounting_voucher": ["", "记-2020-017"]})
    ledger = client.get(reverse("ledger", args=[taiping.code, 2020])).content.decode()
    assert f"{today} · 记-2020-017" in strip_tags(ledger)  # each part kept on one line
    body = b"".join(client.get(reverse("ledger-export-csv", args=[taiping.code, 2020]))
                    .streaming_content)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][7:] == ["报账日期", "会计凭证号"]
    assert rows[1][7:] == [today.isoformat(), "记-2020-017"]


def test_the_database_refuses_a_reimbursement_without_its_record(taiping, clerk_user):
    from django.db import IntegrityError, transaction

    expenditure = _new(taiping, clerk_user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Expenditure.objects.filter(pk=expenditure.pk).update(status=S.REIMBURSED)


def test_an_overdue_finding_is_flagged_wherever_it_shows(client, taiping, clerk_user,
                                                         staff_user):
    inspection = spending.inspection_record(date=DAY, inspectors="市委组织部", notes="",
                                            townships=[taiping], acting_user=staff_user)
    late = spending.finding_add(inspection=inspection, township=taiping, description="台账不全",
                                deadline=datetime.date(2020, 6, 1), acting_user=staff_user)
    on_time = spending.finding_add(inspection=inspection, township=taiping,
                                   description="公示不及时", deadline=datetime.date(2099, 1, 1),
                                   acting_user=staff_user)
    assert (late.is_overdue, on_time.is_overdue) == (True, False)
    pages = {clerk_user: [reverse("clerk-home") + "?year=2020",
                          reverse("ledger", args=[taiping.code, 2020]),
                          reverse("township-detail", args=[taiping.code])],
             staff_user: [reverse("inspection-list")]}
    for user, urls in pages.items():
        login(client, user)
        for url in urls:
            body = client.get(url).content.decode()
            assert body.count("已逾期") == 1, url  # the late one only
            # by deadline: the late one first, flagged; the one still in time after it
            assert body.index("台账不全") < body.index("已逾期") < body.index("公示不及时"), url


def test_saving_beyond_the_budget_warns_at_once(client, taiping, clerk_user):
    """200,000 yuan is 太平镇's budget: a draft of 250,000 is saved, with a warning now,
    not a green success alone and a surprise at approval."""
    login(client, clerk_user)
    response = client.post(reverse("expenditure-create", args=[taiping.code, 2020]), {
        "date": "2020-05-01", "amount": "250000.00", "category": _category().pk,
        "purpose": "阵地建设", "payee": "某建筑公司"}, follow=True)
    levels = [(m.level_tag, str(m)) for m in response.context["messages"]]
    assert levels == [
        ("success", "已保存为草稿。请提交审批；报账前须上传发票。"),
        ("warning", "25.00 万元超出预算余额 20.00 万元。"),
        ("warning", "达到 1.00 万元及以上的支出，须有已登记且覆盖该金额的集体决策方可审批。")]


def test_the_approval_queue_flags_what_the_approver_must_look_at(
        client, taiping, clerk_user, staff_user):
    """太平镇 has 200,000 yuan; the large-spending threshold is 10,000."""
    big = _new(taiping, clerk_user, amount="250000.00")  # large, beyond budget, no invoice
    spending.expenditure_submit(expenditure=big, acting_user=clerk_user)
    fine = _new(taiping, clerk_user, amount="500.00")
    spending.voucher_add(expenditure=fine, kind="invoice", upload=_pdf(),
                         acting_user=clerk_user)
    spending.expenditure_submit(expenditure=fine, acting_user=clerk_user)
    login(client, staff_user)
    table = client.get(reverse("approval-queue")).context["table"]
    flags = {row.record.pk: row.get_cell_value("flags") for row in table.rows}
    assert flags == {big.pk: "大额：缺少集体决策；超预算；无发票", fine.pk: ""}


def test_the_clerk_home_query_count_does_not_grow_with_the_work(client, taiping, clerk_user,
                                                                staff_user):
    from django.test.utils import CaptureQueriesContext

    def add(n):
        for _ in range(n):
            spending.expenditure_submit(expenditure=_new(taiping, clerk_user),
                                        acting_user=clerk_user)
            _new(taiping, clerk_user)

    login(client, clerk_user)
    url = reverse("clerk-home") + "?year=2020"
    add(1)
    client.get(url)  # the first visit remembers the year
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    add(20)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert (len(response.context["todo"].drafts), len(response.context["todo"].waiting)) == (
        21, 21)
    assert len(large) == len(small)


def test_a_refused_form_on_the_expenditure_page_keeps_what_was_typed(
        client, taiping, clerk_user, staff_user, finance_user):
    """Issue 17 item 13: a return without a reason, or a reimbursement without its
    voucher number, shows the page again with the form as typed and its errors."""
    expenditure = _submitted(taiping, clerk_user)
    login(client, staff_user)
    url = reverse("expenditure-action", args=[expenditure.pk, "return"])
    page = client.post(url, {"note": ""})
    assert page.status_code == 400
    assert page.context["posted_slot"] == "return"
    assert "<details open>" in page.content.decode()
    assert Expenditure.objects.get(pk=expenditure.pk).status == S.SUBMITTED
    spending.voucher_add(expenditure=expenditure, kind="invoice", upload=_pdf(),
                         acting_user=clerk_user)
    spending.expenditure_approve(expenditure=expenditure, acting_user=staff_user)
    login(client, finance_user)
    page = client.post(reverse("expenditure-action", args=[expenditure.pk, "reimburse"]),
                       {"reimbursed_on": "2020-06-01", "accounting_voucher": ""})
    assert page.status_code == 400
    assert page.context["reimburse_form"]["reimbursed_on"].value() == "2020-06-01"
    assert 'id="reimburse_reimbursed_on"' in page.content.decode()


def test_a_blocked_step_is_explained_instead_of_offered(client, taiping, clerk_user,
                                                        staff_user, finance_user):
    """Issue 17 item 2: the action the state calls for but the rules refuse now is said
    with why, and its button is not offered."""
    large = _submitted(taiping, clerk_user, amount="25000.00")  # above the 10,000 threshold
    login(client, staff_user)
    page = client.get(reverse("expenditure-detail", args=[large.pk]))
    assert "approve" in page.context["blocked"]
    assert page.context["actions"]["approve"] is False
    assert "集体决策" in page.context["blocked"]["approve"]
    small = _submitted(taiping, clerk_user)
    spending.expenditure_approve(expenditure=small, acting_user=staff_user)
    login(client, finance_user)
    page = client.get(reverse("expenditure-detail", args=[small.pk]))
    assert list(page.context["blocked"]) == ["reimburse"]
    assert page.context["actions"]["reimburse"] is False
    assert f'action="/expenditures/{small.pk}/reimburse/"' not in page.content.decode()
    spending.voucher_add(expenditure=small, kind="invoice", upload=_pdf(),
                         acting_user=clerk_user)
    page = client.get(reverse("expenditure-detail", args=[small.pk]))
    assert page.context["blocked"] == {} and page.context["actions"]["reimburse"]
