"""The documents' .xlsx: the execution report and the rectification ledger (整改台账).

The conventions of ``funds.budget.exports``: a title row (county, year, unit), the header
frozen under it, columns as wide as their header and numbers, amounts as numbers in a
yuan format, rates as real percentages, text neutralised, the totals row bold; one
sheet per table.
"""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from funds.budget.exports import (
    BORDER,
    PERCENT_FORMAT,
    WRAP_WIDTH,
    YUAN_FORMAT,
    display_width,
    print_setup,
    xlsx_cell,
)
from wanyuan.money import to_yuan

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)


def add_sheet(workbook, *, name: str, title: str, header: list[str], rows,
              yuan: frozenset[int] = frozenset(), percent: frozenset[int] = frozenset(),
              totals: bool = False):
    """One table on its own sheet; ``percent`` columns hold fractions (0.0593)."""
    sheet = workbook.create_sheet(title=name)
    rows = list(rows)
    widths, wrapped = [], set()
    for index, text in enumerate(header):
        least = 18 if index in yuan else 12 if index in percent else 10
        longest = max((display_width(row[index]) for row in rows
                       if index < len(row) and isinstance(row[index], str)), default=0)
        width = max(least, display_width(text) + 2, min(longest + 2, WRAP_WIDTH))
        if longest + 2 > WRAP_WIDTH:
            wrapped.add(index)  # long text wraps in its column instead of widening it
        widths.append(width)
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    sheet.freeze_panes = "A3"
    print_setup(sheet, widths)
    sheet.append([xlsx_cell(sheet, title, font=TITLE)])
    sheet.append([xlsx_cell(sheet, text, font=BOLD, border=BORDER) for text in header])
    for number, row in enumerate(rows, start=1):
        font = BOLD if totals and number == len(rows) else None
        sheet.append([
            xlsx_cell(sheet, value, font=font, border=BORDER, wrap=i in wrapped,
                      number_format=YUAN_FORMAT if i in yuan else
                      PERCENT_FORMAT if i in percent else None)
            for i, value in enumerate(row)])
    return sheet


def _bytes(workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def execution_workbook(context: dict, numbers: dict) -> bytes:
    county, year = context["county"], context["year"]
    workbook = Workbook(write_only=True)
    total = numbers["total"]

    def rate(value):
        return None if value is None else Decimal(value)

    rows = [[code, name, category, b.allocation, b.approved, b.reimbursed, b.remaining,
             rate(b.execution_rate)] for code, name, category, b in numbers["budgets"]]
    rows.append([_("Total"), _("%(n)s townships") % {"n": len(numbers["budgets"])}, "",
                 total.allocation, total.approved, total.reimbursed, total.remaining,
                 rate(total.execution_rate)])
    add_sheet(workbook, name=_("Townships"),
              title=_("%(county)s: fund execution %(year)s (yuan)")
              % {"county": county, "year": year},
              header=[_("Official code"), _("Township"), _("Category"),
                      _("Allocation (yuan)"), _("Approved, not yet reimbursed (yuan)"),
                      _("Reimbursed (yuan)"), _("Remaining (yuan)"), _("Execution rate")],
              rows=rows, yuan=frozenset({3, 4, 5, 6}), percent=frozenset({7}), totals=True)
    by_category = [[name, n, amount] for name, n, amount in numbers["by_category"]]
    by_category.append([_("Total"), sum(n for _name, n, _a in numbers["by_category"]),
                        sum((a for _name, _n, a in numbers["by_category"]), Decimal("0.00"))])
    add_sheet(workbook, name=_("By spending category"),
              title=_("%(county)s: spending by category %(year)s (yuan)")
              % {"county": county, "year": year},
              header=[_("Spending category"), _("Number"), _("Amount (yuan)")],
              rows=by_category, yuan=frozenset({2}), totals=True)
    add_sheet(workbook, name=_("Large spending"),
              title=_("%(county)s: large spending and its collective decisions %(year)s")
              % {"county": county, "year": year},
              header=[_("Township"), _("Date"), _("Purpose"), _("Payee"), _("Amount (yuan)"),
                      _("Collective decision")],
              rows=[[e.township.name, e.date.isoformat(), e.purpose, e.payee,
                     to_yuan(e.amount), row["decision"]]
                    for e, row in zip(numbers["large"], context["large"], strict=True)],
              yuan=frozenset({4}))
    add_sheet(workbook, name=_("Inspections"),
              title=_("%(county)s: inspections %(year)s") % {"county": county, "year": year},
              header=[_("Date"), _("Inspectors"), _("Townships"), _("Findings"),
                      _("Open findings")],
              rows=[[i.date.isoformat(), i.inspectors, i.township_count, i.findings_count,
                     i.open_findings] for i in numbers["inspections"]])
    return _bytes(workbook)


def rectification_workbook(context: dict, findings: list) -> bytes:
    workbook = Workbook(write_only=True)
    rows = [[f.township.name, f.inspection.date.isoformat(), f.description,
             to_yuan(f.amount_involved), f.deadline.isoformat(), shown["status"],
             f.closure_note, to_yuan(f.amount_restored)]
            for f, shown in zip(findings, context["findings"], strict=True)]
    rows.append([_("Total"), _("%(n)s findings") % {"n": len(findings)}, "",
                 sum((r[3] for r in rows), Decimal("0.00")), "", "", "",
                 sum((r[7] for r in rows), Decimal("0.00"))])
    scope = context["scope"] or context["county"]
    add_sheet(workbook, name=_("Rectification ledger"),
              title=_("%(scope)s: rectification ledger %(year)s (yuan)")
              % {"scope": scope, "year": context["year"]},
              header=[_("Township"), _("Inspection date"), _("Problem"),
                      _("Amount involved (yuan)"), _("Rectification deadline"), _("Status"),
                      _("How it was rectified"), _("Amount restored (yuan)")],
              rows=rows, yuan=frozenset({3, 7}), totals=True)
    return _bytes(workbook)
