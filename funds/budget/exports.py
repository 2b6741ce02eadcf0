"""The yearly allocation as rows, written as CSV (streamed) or XLSX.

CSV files are UTF-8 with a BOM so that Excel and WPS on Chinese Windows show the
Chinese text; amounts are plain yuan numbers; text cells that a spreadsheet would run
as a formula are neutralised.
"""

from __future__ import annotations

import csv
import functools
import io
import unicodedata
from collections.abc import Iterator
from decimal import Decimal
from itertools import islice

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Side

from funds.budget.selectors import (
    allocation_row_list,
    allocation_summary_get,
    execution_total_get,
)
from funds.models import FundYear
from wanyuan.tables import export_formats, export_header, export_rows

BOM = "\ufeff"
YUAN_FORMAT = '#,##0.00"元"'
PERCENT_FORMAT = "0.00%"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")


def neutralise(value):
    """Make a text cell inert in a spreadsheet (OWASP CSV injection)."""
    if isinstance(value, str):
        # control characters (C0, DEL, C1) corrupt cells or hide text; tab and newline
        # stay. Most cells are printable as they are: check those in C, not per character.
        if not value.isprintable():
            value = "".join(ch for ch in value
                            if ch in "\t\n" or unicodedata.category(ch) != "Cc")
        if value.startswith(FORMULA_TRIGGERS):
            return "'" + value
    return value


def allocation_file(*, fund_year: FundYear, rows=None):
    """The allocation table as a file: its header, its rows streamed in code order
    (constant memory) with the totals last, and the positions of its yuan and rate
    columns. The page's own columns (``AllocationTable``), amounts in yuan; ``rows``
    narrows to filtered allocation rows (``allocation_row_list``)."""
    from funds.budget.tables import AllocationTable

    narrowed = rows is not None
    rows = (rows if narrowed else allocation_row_list(fund_year=fund_year)).order_by("code")
    check, execution = allocation_summary_get(fund_year=fund_year, rows=rows if narrowed else None)
    table = AllocationTable([], fund_year=fund_year, budget=check, execution=execution)
    return (export_header(table), export_rows(table, rows.iterator(chunk_size=2000)),
            export_formats(table))


def execution_file(*, fund_year: FundYear, rows=None):
    """The execution table as a file, as :func:`allocation_file` (``ExecutionTable``)."""
    from funds.budget.tables import ExecutionTable

    narrowed = rows is not None
    rows = (rows if narrowed else allocation_row_list(fund_year=fund_year)).order_by("code")
    totals = execution_total_get(fund_year=fund_year, rows=rows if narrowed else None)
    table = ExecutionTable([], fund_year=fund_year, totals=totals)
    return (export_header(table), export_rows(table, rows.iterator(chunk_size=2000)),
            export_formats(table))


@functools.lru_cache(maxsize=4096)
def _amount_text(value: Decimal) -> str:
    return f"{value:.2f}"


def _cell(value):
    if isinstance(value, Decimal):
        return _amount_text(value)
    if value is None:
        return ""
    return neutralise(value)


def csv_lines(header: list[str], rows, *, prepared: bool = False,
              batch: int = 1000) -> Iterator[str]:
    """CSV text with a BOM, in pieces of up to ``batch`` lines (one piece per write of a
    streamed response, not one per line); ``prepared`` rows are already text cells
    (``as_text``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_cell(v) for v in header])
    yield BOM + buffer.getvalue()
    if not prepared:
        rows = ([_cell(v) for v in row] for row in rows)
    rows = iter(rows)
    while lines := list(islice(rows, batch)):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(lines)
        yield buffer.getvalue()


def display_width(text: str) -> int:
    """Columns of a text in a spreadsheet: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in str(text))


#: Column widths (characters) that fit an A4 page upright; wider tables print landscape.
A4_PORTRAIT_WIDTH = 90
#: A text column wider than this wraps its text instead of growing.
WRAP_WIDTH = 40
THIN = Side(style="thin", color="000000")
WRAP = Alignment(wrap_text=True, vertical="top")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def print_setup(sheet, widths: list[float]) -> None:
    """A sheet that prints: A4, upright or, when its columns are wider than an upright
    page, landscape; fitted to one page wide (as many pages down as it needs); the title
    and header rows repeated on every page."""
    from openpyxl.worksheet.worksheet import Worksheet

    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if sum(widths) > A4_PORTRAIT_WIDTH else "portrait"
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.print_title_rows = "1:2"
    sheet.print_options.horizontalCentered = True


def xlsx_workbook(header: list[str], rows, *, title: str, sheet_title: str,
                  yuan_columns: set[int], percent_columns: frozenset[int] = frozenset()):
    """A write-only workbook that opens right in Excel, WPS and LibreOffice: a title row
    (county, year, unit), the header frozen under it, columns wide enough for their
    header and their numbers, amounts as numbers in a yuan format, rates as real
    percentages (0.0593 shown as 5.93%). The last row (totals) is bold.

    Returns the bytes of the .xlsx file.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title)
    widths = []
    for index, name in enumerate(header):
        least = 18 if index in yuan_columns else 12 if index in percent_columns else 10
        widths.append(max(least, display_width(name) + 2))
        sheet.column_dimensions[get_column_letter(index + 1)].width = widths[-1]
    sheet.freeze_panes = "A3"
    print_setup(sheet, widths)
    bold = Font(bold=True)
    sheet.append([xlsx_cell(sheet, title, font=Font(bold=True, size=14))])
    sheet.append([xlsx_cell(sheet, v, font=bold, border=BORDER) for v in header])
    formats = {**dict.fromkeys(yuan_columns, YUAN_FORMAT),
               **dict.fromkeys(percent_columns, PERCENT_FORMAT)}
    previous = None
    for row in rows:
        if previous is not None:
            sheet.append(_xlsx_row(sheet, previous, formats, widths))
        previous = row
    if previous is not None:
        sheet.append(_xlsx_row(sheet, previous, formats, widths, font=bold))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_download(header, rows, *, title: str, filename: str, **options) -> HttpResponse:
    """An XLSX file to download, under a Chinese file name (RFC 6266 ``filename*``)."""
    response = HttpResponse(
        xlsx_workbook(header, rows, title=title, **options),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def csv_download(header, rows, *, filename: str, prepared: bool = False
                 ) -> StreamingHttpResponse:
    """A CSV file streamed to download, under a Chinese file name."""
    response = StreamingHttpResponse(csv_lines(header, rows, prepared=prepared),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def xlsx_cell(sheet, value, *, font=None, number_format=None, border=None, wrap=False):
    if value is None:
        value = ""
    elif isinstance(value, Decimal):
        value = float(value)  # exact for yuan amounts below 2**53 cents
    elif isinstance(value, str):
        value = neutralise(value)
    cell = WriteOnlyCell(sheet, value=value)
    if font is not None:
        cell.font = font
    if border is not None:
        cell.border = border
    if wrap:
        cell.alignment = WRAP
    if number_format and isinstance(value, float):
        cell.number_format = number_format
    return cell


def _xlsx_row(sheet, row, formats, widths, *, font=None):
    """A row's cells: bordered, a text longer than its column wrapped inside it."""
    return [xlsx_cell(sheet, v / 100 if formats.get(i) == PERCENT_FORMAT and v else v,
                      font=font, number_format=formats.get(i), border=BORDER,
                      wrap=isinstance(v, str) and i < len(widths)
                      and display_width(v) > widths[i])
            for i, v in enumerate(row)]


# --- Spending: a township's ledger, the year's execution --------------------------------



def ledger_headers() -> list[str]:
    return [_("Date"), _("Spending category"), _("Purpose"), _("Payee"), _("Status"),
            _("Amount (yuan)"), _("Remaining after (yuan)"), _("Reimbursement date"),
            _("Accounting voucher no.")]


def ledger_rows(lines, budget) -> Iterator[list]:
    """The ledger lines, then the budget: allocation, approved, reimbursed, remaining."""
    for line in lines:
        e = line.expenditure
        yield [e.date.isoformat(), e.category.name, e.purpose, e.payee,
               (_("%(status)s (imported)") % {"status": e.get_status_display()}
                if e.ledger_import_id else str(e.get_status_display())), e.amount,
               line.remaining_after if line.remaining_after is not None else "",
               e.reimbursed_on.isoformat() if e.reimbursed_on else "", e.accounting_voucher]
    yield [_("Allocation"), "", "", "", "", budget.allocation, "", "", ""]
    yield [_("Approved, not yet reimbursed"), "", "", "", "", budget.approved, "", "", ""]
    yield [_("Reimbursed"), "", "", "", "", budget.reimbursed, "", "", ""]
    yield [_("Remaining"), "", "", "", "", "", budget.remaining, "", ""]


def payment_headers() -> list[str]:
    return [_("Accounting voucher no."), _("Reimbursement date"), _("Township"),
            _("Amount (yuan)"), _("Payee"), _("Purpose"), _("Year"), _("Payment recorded by")]


def payment_rows(expenditures) -> Iterator[list]:
    """A month's payments (funds.spending.selectors.payment_month_list), then the total."""
    from townships.accounts import display_name

    total = Decimal("0.00")
    for e in expenditures:
        total += e.amount
        yield [e.accounting_voucher, e.reimbursed_on.isoformat(), e.township.name, e.amount,
               e.payee, e.purpose, e.year,
               display_name(e.reimbursed_by) if e.reimbursed_by else ""]
    yield [_("Total"), "", "", total, "", "", "", ""]


def table_download(table, *, file_format: str, name: str, sheet_title: str):
    """A list page's table as its CSV or XLSX file: the rows in the page's order, then the
    table's totals, in yuan and percent where its columns say so (one declaration for
    the page and its files)."""
    from wanyuan.tables import export_formats, export_header, export_rows

    header = export_header(table)
    records = export_rows(table, [row.record for row in table.rows])
    if file_format == "csv":
        return csv_download(header, records, filename=f"{name}.csv")
    yuan, percents = export_formats(table)
    return xlsx_download(header, list(records), title=name, sheet_title=sheet_title,
                         filename=f"{name}.xlsx", yuan_columns=yuan, percent_columns=percents)
