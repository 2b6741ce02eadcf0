"""Who is behind: execution against time progress per township, what waits and for how
many working days, the overdue findings; the page for county staff only, sorted, its
chart and its exports made from the same table."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from demo.data import DEMO_PDF
from funds.inspection.selectors import behind_list
from funds.models import FundYear, SpendingCategory
from funds.spending import services as spending
from funds.workdays import WorkingCalendar
from tests.conftest import login

pytestmark = pytest.mark.django_db
D = datetime.date


def _submitted(township, clerk, amount="1000.00"):
    expenditure = spending.expenditure_create(
        township=township, date=D(2020, 5, 11), amount=Decimal(amount),
        category=SpendingCategory.objects.get(name="教育培训"), purpose="党员培训",
        payee="党校", acting_user=clerk)
    spending.voucher_add(expenditure=expenditure, kind="invoice", acting_user=clerk,
                         upload=SimpleUploadedFile("发票.pdf", DEMO_PDF))
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk)
    return expenditure


def test_the_figures_of_one_township_against_its_ledger(demo, taiping, clerk_user,
                                                        staff_user, finance_user):
    _submitted(taiping, clerk_user)
    _submitted(taiping, clerk_user, amount="2000.00")
    paid = _submitted(taiping, clerk_user, amount="9850.50")
    spending.expenditure_approve(expenditure=paid, acting_user=staff_user)
    spending.expenditure_reimburse(expenditure=paid, acting_user=finance_user,
                                   reimbursed_on=datetime.date.today(),
                                   accounting_voucher="记-1")
    approved = _submitted(taiping, clerk_user, amount="300.00")
    spending.expenditure_approve(expenditure=approved, acting_user=staff_user)
    fund_year = FundYear.objects.get(year=2020)
    today = datetime.date.today()
    rows = {r["code"]: r for r in behind_list(fund_year=fund_year, today=today,
                                              calendar=WorkingCalendar({}))}
    row = rows[taiping.code]
    assert row["allocation"] == Decimal("200000.00")
    assert row["reimbursed"] == Decimal("9850.50") and row["approved"] == Decimal("300.00")
    assert row["execution"] == Decimal("0.0493") and row["time"] == Decimal("1.0000")
    assert row["gap"] == Decimal("95.07")
    assert row["waiting"] == 2 and row["longest_wait"] == 0  # submitted today
    # Waits in working days, counted from the submission to a later day.
    later = behind_list(fund_year=fund_year, today=today + datetime.timedelta(days=14),
                        calendar=WorkingCalendar({}))
    waited = {r["code"]: r for r in later}[taiping.code]["longest_wait"]
    assert waited == WorkingCalendar({}).between(today, today + datetime.timedelta(days=14))
    assert row["open_flags"] >= 1  # its 白条 at least


def test_the_page_sorts_charts_and_exports_one_table(client, demo, staff_user, clerk_user):
    login(client, clerk_user)
    assert client.get("/behind/2020/").status_code == 403
    login(client, staff_user)
    page = client.get("/behind/2020/")
    assert page.status_code == 200
    rows = [row.record for row in page.context["table"].rows]
    assert [r["gap"] for r in rows] == sorted((r["gap"] for r in rows), reverse=True)
    assert "<svg" in page.content.decode() and "behind-chart" in page.content.decode()
    by_name = client.get("/behind/2020/?sort=name")
    names = [row.record["name"] for row in by_name.context["table"].rows]
    assert names == sorted(names)
    exported = client.get("/behind/2020/export.csv")
    lines = list(csv.reader(io.StringIO(b"".join(exported.streaming_content)
                                        .decode("utf-8-sig"))))
    assert len(lines) == 1 + len(rows)
    assert [line[1] for line in lines[1:]] == [r["name"] for r in rows]
    workbook = load_workbook(io.BytesIO(client.get("/behind/2020/export.xlsx").content))
    sheet = workbook.active
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=3)]
    assert len(values) == len(rows) and values[0][1] == rows[0]["name"]
    assert values[0][2] == float(rows[0]["allocation"])
