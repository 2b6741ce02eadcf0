"""Issue 25 item 6: every workbook prints: A4 (landscape where its columns are wider than
an upright page), one page wide, the title and header rows on every page, cells bordered
and long text wrapped; the plans' comparison puts each formula under its own plan and
totals only what adds up."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from funds.documents import services as documents
from tests.conftest import login
from tests.funds.test_planning_views import two  # noqa: F401 - fixture

ISSUED = datetime.date(2020, 3, 20)


def _printable(book):
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert str(setup.paperSize) == sheet.PAPERSIZE_A4, sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), sheet.title
        assert sheet.print_title_rows == "$1:$2", sheet.title
        widths = sum(sheet.column_dimensions[c].width or 0
                     for c in sheet.column_dimensions)
        assert setup.orientation == ("landscape" if widths > 90 else "portrait"), sheet.title
        header = list(sheet.iter_rows(min_row=2, max_row=2))[0]
        assert all(cell.border.left.style == "thin" for cell in header if cell.value)
    return book


@pytest.mark.parametrize("url", ["/allocations/2020/export.xlsx", "/execution/2020/export.xlsx",
                                 "/ledger/511781100/2020/export.xlsx",
                                 "/payments/2020/6/export.xlsx"])
def test_every_export_prints_on_a4_one_page_wide(client, demo, admin_user, url):
    login(client, admin_user)
    response = client.get(url)
    assert response.status_code == 200
    _printable(load_workbook(io.BytesIO(response.content)))


@pytest.mark.parametrize("kind", ["execution", "rectification"])
def test_the_documents_workbooks_print(demo, admin_user, kind):
    document = documents.document_generate(kind=kind, fmt="xlsx", year=2020, dated=ISSUED,
                                           acting_user=admin_user)
    _printable(load_workbook(io.BytesIO(document.content)))


def test_the_comparison_puts_each_formula_under_its_plan_and_totals_what_adds_up(
        client, two, admin_user):  # noqa: F811
    login(client, admin_user)
    ids = ",".join(str(s.pk) for s in two)
    response = client.get(reverse("plan-compare-export-xlsx", args=[2020]), {"ids": ids})
    sheet = _printable(load_workbook(io.BytesIO(response.content))).active
    rows = list(sheet.iter_rows(values_only=True))
    formula = next(r for r in rows if r[1] == "计算方法")
    assert formula[4].startswith("专项经费") and formula[6].startswith("专项经费")
    assert formula[4] != formula[6] and formula[5] is None and formula[7] is None
    formula_cell = next(r for r in sheet.iter_rows() if r[1].value == "计算方法")[4]
    assert formula_cell.alignment.wrap_text  # the whole formula, wrapped in its column
    body = rows[2:2 + 52]
    total = rows[-1]
    for change_column in (5, 7):
        shown = [Decimal(str(r[change_column])) for r in body if r[change_column] is not None]
        assert Decimal(str(total[change_column])) == sum(shown, Decimal("0"))
