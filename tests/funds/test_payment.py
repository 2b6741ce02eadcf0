"""Issue 23 item 2: finance records the payment. The payer is a second person: never
the creator, a submitter or an editor (service and database), by default not the
approver (a year's setting, audited); finance opens the documents it co-issues and
reconciles the month's payments with their 会计凭证号."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from demo.data import DEMO_PDF
from funds.models import Expenditure, FundYear, SpendingCategory
from funds.spending import services as spending
from tests.conftest import login, make_user
from townships import roles
from townships.models import AuditEvent, Township

S = Expenditure.Status
DAY = datetime.date(2020, 5, 1)


@pytest.fixture
def taiping(demo):
    return Township.objects.get(name="太平镇")


def _new(township, user, amount="1000.00", **fields):
    values = {"date": DAY, "category": SpendingCategory.objects.get(name="教育培训"),
              "purpose": "党员培训", "payee": "党校"} | fields
    expenditure = spending.expenditure_create(township=township, amount=Decimal(amount),
                                              acting_user=user, **values)
    spending.voucher_add(expenditure=expenditure, kind="invoice",
                         upload=SimpleUploadedFile("发票.pdf", DEMO_PDF), acting_user=user)
    return expenditure


def _approved(township, creator, approver, *, submitter=None, amount="1000.00", **fields):
    expenditure = _new(township, creator, amount, **fields)
    spending.expenditure_submit(expenditure=expenditure, acting_user=submitter or creator)
    spending.expenditure_approve(expenditure=expenditure, acting_user=approver)
    return Expenditure.objects.get(pk=expenditure.pk)


def _pay(expenditure, user, voucher="记-2020-017", on=None):
    return spending.expenditure_reimburse(
        expenditure=expenditure, acting_user=user, reimbursed_on=on or timezone.localdate(),
        accounting_voucher=voucher)


def test_finance_records_the_payment_and_is_named_as_payer(
        client, taiping, clerk_user, staff_user, finance_user):
    expenditure = _approved(taiping, clerk_user, staff_user)
    login(client, finance_user)
    page = client.get(reverse("expenditure-detail", args=[expenditure.pk])).content.decode()
    assert reverse("expenditure-action", args=[expenditure.pk, "reimburse"]) in page
    client.post(reverse("expenditure-action", args=[expenditure.pk, "reimburse"]),
                {"reimbursed_on": timezone.localdate().isoformat(),
                 "accounting_voucher": "记-2020-017"})
    expenditure.refresh_from_db()
    assert (expenditure.status, expenditure.reimbursed_by) == (S.REIMBURSED, finance_user)
    assert expenditure.transitions.last().actor == finance_user
    page = client.get(reverse("expenditure-detail", args=[expenditure.pk])).content.decode()
    assert "记-2020-017 · finance1" in page  # who recorded the payment


def test_staff_approve_but_no_longer_pay(taiping, clerk_user, staff_user):
    expenditure = _approved(taiping, clerk_user, staff_user)
    with pytest.raises(PermissionDenied):
        _pay(expenditure, staff_user)
    assert Expenditure.objects.get(pk=expenditure.pk).status == S.APPROVED


def test_the_creator_does_not_record_the_payment(taiping, clerk_user, staff_user,
                                                 admin_user):
    expenditure = _approved(taiping, admin_user, staff_user, submitter=clerk_user)
    with pytest.raises(spending.SpendingError, match="他人记录付款"):
        _pay(expenditure, admin_user)
    assert Expenditure.objects.get(pk=expenditure.pk).status == S.APPROVED


def test_an_earlier_submitter_or_editor_does_not_record_the_payment(
        taiping, clerk_user, staff_user, admin_user, finance_user):
    submitted_once = _new(taiping, clerk_user)
    spending.expenditure_submit(expenditure=submitted_once, acting_user=admin_user)
    spending.expenditure_return(expenditure=submitted_once, acting_user=staff_user, note="改")
    spending.expenditure_submit(expenditure=submitted_once, acting_user=clerk_user)
    spending.expenditure_approve(expenditure=submitted_once, acting_user=staff_user)
    edited_once = _new(taiping, clerk_user, purpose="慰问")
    spending.expenditure_submit(expenditure=edited_once, acting_user=clerk_user)
    spending.expenditure_return(expenditure=edited_once, acting_user=staff_user, note="改")
    spending.expenditure_update(expenditure=edited_once, acting_user=admin_user, date=DAY,
                                amount=Decimal("900.00"), category=edited_once.category,
                                purpose="慰问", payee="党校")
    spending.expenditure_update(expenditure=edited_once, acting_user=clerk_user, date=DAY,
                                amount=Decimal("800.00"), category=edited_once.category,
                                purpose="慰问", payee="党校")
    spending.expenditure_submit(expenditure=edited_once, acting_user=clerk_user)
    spending.expenditure_approve(expenditure=edited_once, acting_user=staff_user)
    for expenditure in (submitted_once, edited_once):
        with pytest.raises(spending.SpendingError, match="他人记录付款"):
            _pay(expenditure, admin_user)
        _pay(expenditure, finance_user)  # a second person does


def test_the_database_refuses_a_payer_who_created_submitted_or_changed_it(
        taiping, clerk_user, staff_user, admin_user, finance_user):
    expenditure = _approved(taiping, clerk_user, staff_user)
    rows = Expenditure.objects.filter(pk=expenditure.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.update(reimbursed_by=clerk_user)  # the creator and submitter
    rows.update(last_edited_by=finance_user)
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.update(reimbursed_by=finance_user)
    rows.update(reimbursed_by=admin_user)  # anyone else: allowed
    constraint = next(c for c in Expenditure._meta.constraints
                      if c.name == "expenditure_payer_four_eyes")
    assert "付款" in str(constraint.violation_error_message)


def test_the_approver_pays_only_where_the_year_allows_it(taiping, clerk_user, admin_user):
    expenditure = _approved(taiping, clerk_user, admin_user)
    with pytest.raises(spending.SpendingError, match="审批人"):
        _pay(expenditure, admin_user)
    FundYear.objects.filter(year=2020).update(approver_may_pay=True)
    _pay(expenditure, admin_user)
    expenditure.refresh_from_db()
    assert (expenditure.status, expenditure.reimbursed_by, expenditure.approved_by) == (
        S.REIMBURSED, admin_user, admin_user)


def test_the_page_says_why_the_approver_cannot_pay(client, taiping, clerk_user,
                                                   admin_user):
    expenditure = _approved(taiping, clerk_user, admin_user)
    login(client, admin_user)
    page = client.get(reverse("expenditure-detail", args=[expenditure.pk]))
    assert "reimburse" in page.context["blocked"]
    assert page.context["actions"]["reimburse"] is False


def test_the_setting_is_edited_on_the_settings_page_and_audited(client, admin_user, demo):
    from tests.funds.test_fund_year_settings import URL, confirmed, typed

    login(client, admin_user)
    page = client.get(URL)
    assert "approver_may_pay" in page.context["form"].fields
    _page, data = confirmed(client, typed(approver_may_pay="on"))
    assert client.post(URL, data).status_code == 302
    assert FundYear.objects.get(year=2020).approver_may_pay is True
    event = AuditEvent.objects.filter(action=AuditEvent.Action.FUND_YEAR_CHANGED).latest("id")
    assert event.actor == admin_user
    assert event.details["changes"]["approver_may_pay"] == {"old": False, "new": True}


# --- The month's payments, to reconcile with the accounting system ------------------------


@pytest.fixture
def paid(taiping, clerk_user, staff_user, finance_user):
    """Two payments this month (one of another township), one approved and not paid."""
    other = Township.objects.get(name="青花镇")
    first = _approved(taiping, clerk_user, staff_user, amount="1234.50", payee="市委党校")
    other_clerk = make_user("clerk_q", roles.CLERKS, township=other)
    second = _approved(other, other_clerk, staff_user, amount="300.00", payee="红色书店")
    _approved(taiping, clerk_user, staff_user, amount="99.00", payee="未付")
    _pay(first, finance_user, voucher="记-2020-017")
    _pay(second, finance_user, voucher="记-2020-009")
    return first, second


def _month_url(name="payments", suffix=""):
    today = timezone.localdate()
    return reverse(name, args=[today.year, today.month]) + suffix


def test_finance_sees_the_months_payments_with_their_vouchers(client, paid, finance_user):
    login(client, finance_user)
    response = client.get(_month_url())
    assert response.status_code == 200
    rows = [(row.record.accounting_voucher, row.record.payee)
            for row in response.context["table"].rows]
    assert rows == [("记-2020-009", "红色书店"), ("记-2020-017", "市委党校")]
    page = response.content.decode()
    assert "1,234.50" in page and "1,534.50" in page  # the amount and the month's total
    assert "finance1" in page  # who recorded the payment
    assert "未付" not in page


def test_a_month_without_payments_and_a_month_that_is_none(client, paid, finance_user):
    login(client, finance_user)
    assert list(client.get(reverse("payments", args=[2019, 1])).context["table"].rows) == []
    assert client.get("/payments/2020/13/").status_code == 404


def test_the_months_payments_export_as_csv_and_xlsx(client, paid, finance_user):
    from openpyxl import load_workbook

    login(client, finance_user)
    body = b"".join(client.get(_month_url("payments-export-csv")).streaming_content)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["会计凭证号", "报账日期", "乡镇", "金额（元）", "收款方", "用途", "年度",
                       "付款记录人"]
    assert [r[0] for r in rows[1:3]] == ["记-2020-009", "记-2020-017"]
    assert rows[2][3] == "1234.50" and rows[-1][3] == "1534.50"
    response = client.get(_month_url("payments-export-xlsx"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert any(row[:2] == ["记-2020-017", timezone.localdate().isoformat()] for row in values)


def test_the_payments_page_query_count_does_not_grow(client, paid, finance_user, staff_user,
                                                     clerk_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(client, finance_user)
    client.get(_month_url())
    with CaptureQueriesContext(connection) as small:
        assert client.get(_month_url()).status_code == 200
    for _ in range(5):
        _pay(_approved(Township.objects.get(name="太平镇"), clerk_user, staff_user),
             finance_user)
    with CaptureQueriesContext(connection) as large:
        response = client.get(_month_url())
    assert len(response.context["table"].rows) == 7
    assert len(large) == len(small) <= 8, "\n".join(q["sql"][:120] for q in large)
