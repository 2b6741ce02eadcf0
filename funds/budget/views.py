"""Pages of the money: the allocation, its exports and print view."""

from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig

from funds.budget.exports import (
    allocation_headers,
    allocation_rows,
    csv_download,
    xlsx_download,
)
from funds.budget.filters import allocation_filtered, filtered_allocation
from funds.budget.selectors import allocation_summary_get, with_spending
from funds.budget.tables import AllocationTable
from funds.scope import fund_year_or_404
from townships.models import Township
from townships.roles import all_townships_required
from wanyuan.printing import print_context
from wanyuan.years import remember_year


@all_townships_required
def allocation_list(request, year: int):
    fund_year = fund_year_or_404(year)
    remember_year(request, year)
    filterset, rows = allocation_filtered(request.GET, fund_year)
    check, execution = allocation_summary_get(fund_year, rows if filterset.narrows() else None)
    table = AllocationTable(with_spending(rows, year), fund_year=fund_year, budget=check,
                            execution=execution)
    RequestConfig(request, paginate={"per_page": 100}).configure(table)
    # Units without a category are rare: their names are read only when there are some.
    uncategorised = []
    if check.uncategorised:
        uncategorised = Township.objects.in_service(year).exclude(
            categories__year=year).order_by("code")
    return render(request, "funds/allocation_list.html", {
        "fund_year": fund_year,
        "filter": filterset,
        "table": table,
        "budget": check,
        "uncategorised": uncategorised,
        "export_query": request.GET.urlencode(),
    })


def _allocation_names(year: int) -> tuple[str, str]:
    """The title row and the file name of the year's allocation exports."""
    names = {"county": settings.COUNTY_NAME, "year": year}
    return (_("%(county)s: party-building fund allocation %(year)s (yuan)") % names,
            _("allocation-%(year)s") % names)


@permission_required("funds.export_allocation", raise_exception=True)
def allocation_export_csv(request, year: int):
    fund_year = fund_year_or_404(year)
    rows = filtered_allocation(request.GET, fund_year)
    return csv_download(allocation_headers(), allocation_rows(fund_year, rows, as_text=True),
                        prepared=True, filename=_allocation_names(year)[1] + ".csv")


@permission_required("funds.export_allocation", raise_exception=True)
def allocation_export_xlsx(request, year: int):
    fund_year = fund_year_or_404(year)
    rows = filtered_allocation(request.GET, fund_year)
    title, filename = _allocation_names(year)
    return xlsx_download(allocation_headers(), allocation_rows(fund_year, rows), title=title,
                         filename=filename + ".xlsx", sheet_title=str(year),
                         yuan_columns={5, 6, 7})


@all_townships_required
def allocation_print(request, year: int):
    """The whole allocation table on A4: title, date, totals and the budget check, no nav."""
    fund_year = fund_year_or_404(year)
    rows = filtered_allocation(request.GET, fund_year)
    check, execution = allocation_summary_get(fund_year, rows)
    # The kind column is dropped on paper: A4 portrait holds the rest without wrapping.
    table = AllocationTable(with_spending(rows, year), fund_year=fund_year, budget=check,
                            execution=execution, exclude=("kind",))
    RequestConfig(request, paginate=False).configure(table)
    return render(request, "funds/allocation_print.html", print_context(
        request, printing=True) | {
        "fund_year": fund_year,
        "table": table,
        "budget": check,
        "filtered": bool(request.GET.get("category") or request.GET.get("kind")
                         or request.GET.get("name")),
    })
