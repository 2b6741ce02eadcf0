"""Red flags from the database: the reads behind the rules, an inspector's closing that
holds while the items stand and opens again when they change, the page's scope (a clerk
sees the own township only), its exports and the command."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from demo.data import DEMO_PDF
from funds.inspection import services
from funds.inspection.selectors import red_flags_get, spending_list
from funds.models import Expenditure, FundYear, RedFlagReview, SpendingCategory
from funds.spending import services as spending
from funds.workdays import WorkingCalendar
from tests.conftest import login
from townships.models import AuditEvent, Township

pytestmark = pytest.mark.django_db
D = datetime.date


def _paid(township, clerk, staff, finance, *, purpose="党员培训资料", amount="5000.00",
          payee="万源市新华书店", date=None):
    date = date or D(2020, 5, 11)
    expenditure = spending.expenditure_create(
        township=township, date=date, amount=Decimal(amount),
        category=SpendingCategory.objects.get(name="教育培训"), purpose=purpose,
        payee=payee, acting_user=clerk)
    # an invoice without a readable QR code: its number is not known (白条 for the rules)
    spending.voucher_add(expenditure=expenditure, kind="invoice", acting_user=clerk,
                         upload=SimpleUploadedFile("发票.pdf", DEMO_PDF))
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk)
    spending.expenditure_approve(expenditure=expenditure, acting_user=staff)
    spending.expenditure_reimburse(expenditure=expenditure, acting_user=finance,
                                   reimbursed_on=timezone.localdate(),
                                   accounting_voucher="记-12")
    return Expenditure.objects.get(pk=expenditure.pk)


@pytest.fixture
def split_pair(demo, taiping, clerk_user, staff_user, finance_user):
    first = _paid(taiping, clerk_user, staff_user, finance_user, date=D(2020, 5, 11))
    second = _paid(taiping, clerk_user, staff_user, finance_user, date=D(2020, 5, 20))
    return first, second


def _flags(rule, township, **kw):
    fund_year = FundYear.objects.get(year=2020)
    return [f for f in red_flags_get(fund_year=fund_year, township_ids={township.pk},
                                     today=D(2020, 6, 1), calendar=WorkingCalendar({}), **kw)
            if f.rule == rule]


def test_the_reads_give_the_rules_what_the_ledger_holds(split_pair, taiping, clerk_user):
    first, second = split_pair
    waiting = spending.expenditure_create(
        township=taiping, date=D(2020, 5, 25), amount=Decimal("300.00"),
        category=SpendingCategory.objects.get(name="教育培训"), purpose="资料",
        payee="党校", acting_user=clerk_user)
    spending.expenditure_submit(expenditure=waiting, acting_user=clerk_user)
    rows = {s.id: s for s in spending_list(year=2020, township_ids={taiping.pk})}
    assert rows[first.pk].paid_on == timezone.localdate() and rows[first.pk].status == "reimbursed"
    assert rows[first.pk].invoice_keys == ()
    assert rows[waiting.pk].submitted_on is not None and rows[waiting.pk].paid_on is None
    # Split: 2 × 5,000 to one payee within 30 days, each under 10,000.
    (flag,) = _flags("SPLIT", taiping)
    assert [i.id for i in flag.items] == [first.pk, second.pk]
    # No invoice: both reimbursed without an invoice voucher.
    (white,) = _flags("NO_INVOICE", taiping)
    assert {i.id for i in white.items} >= {first.pk, second.pk}


def test_the_reads_take_a_fixed_number_of_queries(split_pair, taiping):
    fund_year = FundYear.objects.get(year=2020)
    with CaptureQueriesContext(connection) as few:
        red_flags_get(fund_year=fund_year, township_ids={taiping.pk},
                      calendar=WorkingCalendar({}))
    with CaptureQueriesContext(connection) as all_of_them:
        red_flags_get(fund_year=fund_year, calendar=WorkingCalendar({}))
    assert len(few) == len(all_of_them) <= 9


def test_a_closed_flag_holds_until_its_items_change(split_pair, taiping, staff_user,
                                                    clerk_user, finance_user):
    first, second = split_pair
    (flag,) = _flags("SPLIT", taiping)
    fund_year = FundYear.objects.get(year=2020)
    with pytest.raises(services.InspectionError):
        services.red_flag_close(fund_year=fund_year, township=taiping, rule="SPLIT",
                                subject=flag.subject, fingerprint=flag.fingerprint,
                                explanation=" ", acting_user=staff_user)
    with pytest.raises(Exception) as refused:  # a clerk may not close flags
        services.red_flag_close(fund_year=fund_year, township=taiping, rule="SPLIT",
                                subject=flag.subject, fingerprint=flag.fingerprint,
                                explanation="x", acting_user=clerk_user)
    assert refused.type.__name__ == "PermissionDenied"
    services.red_flag_close(fund_year=fund_year, township=taiping, rule="SPLIT",
                            subject=flag.subject, fingerprint=flag.fingerprint,
                                explanation="两次培训，分别采购，有计划为证",
                            acting_user=staff_user)
    (closed,) = _flags("SPLIT", taiping)
    assert closed.is_closed and closed.review.closed_by == staff_user
    event = AuditEvent.objects.get(action=AuditEvent.Action.FLAG_CLOSED)
    assert event.details["items"] == [first.pk, second.pk]
    with pytest.raises(services.InspectionError):
        services.red_flag_close(fund_year=fund_year, township=taiping, rule="SPLIT",
                                subject=flag.subject, fingerprint=flag.fingerprint,
                                explanation="again",
                                acting_user=staff_user)
    # A third payment joins the run: the flag opens again, its closing kept as history.
    _paid(taiping, clerk_user, staff_user, finance_user, date=D(2020, 5, 28))
    (reopened,) = _flags("SPLIT", taiping)
    assert not reopened.is_closed and reopened.reopened
    assert RedFlagReview.objects.count() == 1


def test_the_page_is_scoped_and_exports_what_it_shows(client, split_pair, taiping,
                                                      clerk_user, other_clerk_user,
                                                      staff_user):
    login(client, clerk_user)
    page = client.get("/flags/2020/")
    assert page.status_code == 200
    assert {f.township_id for f in page.context["flags"]} == {taiping.pk}
    assert "/flags/2020/close/" not in page.content.decode()  # no closing form for a clerk
    # Another township asked for by a clerk is refused as if it did not exist.
    qinghua = Township.objects.get(name="青花镇")
    assert client.get(f"/flags/2020/?township={qinghua.code}").status_code == 404
    login(client, other_clerk_user)
    assert all(f.township_id == qinghua.pk for f in client.get("/flags/2020/").context["flags"])
    login(client, staff_user)
    page = client.get(f"/flags/2020/?township={taiping.code}&rule=SPLIT")
    assert [f.rule for f in page.context["flags"]] == ["SPLIT"]
    exported = client.get(f"/flags/2020/export.csv?township={taiping.code}&rule=SPLIT")
    rows = list(csv.reader(io.StringIO(b"".join(exported.streaming_content)
                                       .decode("utf-8-sig"))))
    assert len(rows) == 3 and rows[1][2] == "太平镇" and rows[2][0] == "合计"
    flag = page.context["flags"][0]
    response = client.post("/flags/2020/close/", {
        "township": taiping.code, "rule": "SPLIT", "subject": flag.subject,
        "fingerprint": flag.fingerprint, "explanation": "已核实", "back": f"township={taiping.code}"})
    assert response.status_code == 302 and RedFlagReview.objects.count() == 1
    closed = client.get(f"/flags/2020/?township={taiping.code}&rule=SPLIT&state=closed")
    assert len(closed.context["flags"]) == 1 and "已核实" in closed.content.decode()


def test_a_closing_is_of_the_flag_as_the_inspector_saw_it(client, split_pair, taiping,
                                                          staff_user, clerk_user,
                                                          finance_user):
    """The page posts the fingerprint it showed; if the items changed between the look and
    the click, nothing is closed and the inspector is told to look again."""
    login(client, staff_user)
    page = client.get(f"/flags/2020/?township={taiping.code}&rule=SPLIT")
    (shown,) = page.context["flags"]
    assert f'value="{shown.fingerprint}"' in page.content.decode()
    _paid(taiping, clerk_user, staff_user, finance_user, date=D(2020, 5, 28))  # meanwhile
    response = client.post("/flags/2020/close/", {
        "township": taiping.code, "rule": "SPLIT", "subject": shown.subject,
        "fingerprint": shown.fingerprint, "explanation": "已核实"}, follow=True)
    assert not RedFlagReview.objects.exists()
    assert "打开页面之后" in response.content.decode()
    (now,) = _flags("SPLIT", taiping)
    services.red_flag_close(fund_year=FundYear.objects.get(year=2020), township=taiping,
                            rule="SPLIT", subject=now.subject, fingerprint=now.fingerprint,
                            explanation="已核实", acting_user=staff_user)
    assert RedFlagReview.objects.get().fingerprint == now.fingerprint


def test_the_command_lists_and_exports(split_pair, taiping, capsys):
    call_command("red_flags", "--year", "2020", "--township", taiping.code, "--csv")
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out.lstrip("\ufeff"))))
    assert rows[0][0] == "规则" and any(r[0].startswith("化整为零") for r in rows[1:])
    call_command("red_flags", "--year", "2020", "--township", taiping.code)
    assert "太平镇" in capsys.readouterr().out
    with pytest.raises(Exception, match="no fund year 1999"):
        call_command("red_flags", "--year", "1999")


def test_a_duplicate_across_townships_shows_on_each_townships_page(demo, taiping, clerk_user,
                                                                   other_clerk_user,
                                                                   admin_user):
    """The same invoice on 太平镇's and 青花镇's expenditures of one year: the flag is on
    each township's own list, not only on the county's, and can be closed there."""
    from tests.funds.test_invoices import DIGITAL, qr_png

    qinghua = Township.objects.get(name="青花镇")
    made = []
    for township, clerk in ((taiping, clerk_user), (qinghua, other_clerk_user)):
        expenditure = spending.expenditure_create(
            township=township, date=D(2020, 5, 11), amount=Decimal("112.00"),
            category=SpendingCategory.objects.get(name="教育培训"), purpose="资料",
            payee="新华书店", acting_user=clerk)
        spending.voucher_add(expenditure=expenditure, kind="invoice", acting_user=admin_user,
                             upload=SimpleUploadedFile("发票.png", qr_png(DIGITAL)),
                             duplicate_reason="两镇分摊（测试）")
        made.append(expenditure)
    for township in (taiping, qinghua):
        (flag,) = _flags("DUPLICATE_INVOICE", township)
        assert {i.id for i in flag.items} == {e.pk for e in made}
    county = [f for f in red_flags_get(fund_year=FundYear.objects.get(year=2020),
                                       today=D(2020, 6, 1), calendar=WorkingCalendar({}))
              if f.rule == "DUPLICATE_INVOICE" and f.township_id == taiping.pk]
    assert county[0].fingerprint == _flags("DUPLICATE_INVOICE", taiping)[0].fingerprint
    # closed on the county's list, it is closed on the township's too, until one changes
    flag = county[0]
    services.red_flag_close(fund_year=FundYear.objects.get(year=2020), township=taiping,
                            rule=flag.rule, subject=flag.subject, fingerprint=flag.fingerprint,
                                explanation="已核实分摊",
                            acting_user=admin_user)
    assert _flags("DUPLICATE_INVOICE", taiping)[0].is_closed
    spending.expenditure_void(expenditure=made[1], acting_user=admin_user, note="作废")
    assert _flags("DUPLICATE_INVOICE", taiping) == []
