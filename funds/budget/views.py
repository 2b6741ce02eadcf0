"""Pages of the money: the overview, the allocation, its exports and print view."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig

from funds.budget import charts
from funds.budget.exports import (
    allocation_headers,
    allocation_rows,
    csv_download,
    xlsx_download,
)
from funds.budget.filters import allocation_filtered, filtered_allocation
from funds.budget.selectors import (
    allocation_summary_get,
    budget_check_get,
    budget_check_list,
    execution_total_get,
    with_spending,
)
from funds.budget.tables import AllocationTable
from funds.models import Expenditure, Finding, FundYear
from funds.spending.selectors import notification_list
from funds.yearly import services
from funds.yearly.selectors import next_step_get, yearly_step_list
from townships.models import (
    Township,
)
from townships.roles import own_township_id, sees_all_townships
from townships.views import chosen_year, remember_year
from wanyuan.money import format_wan
from wanyuan.views import print_context


def fund_year_or_404(year: int) -> FundYear:
    fund_year = FundYear.objects.filter(year=year).first()
    if fund_year is None:
        raise Http404(_("There is no fund year %(year)s.") % {"year": year})
    return fund_year


def chosen_fund_year(request) -> tuple[FundYear | None, list[FundYear]]:
    """The fund year a page without a year in its path shows (``chosen_year``'s rule),
    and every fund year, for the switcher, from one query."""
    years = list(FundYear.objects.order_by("year"))
    year = chosen_year(request, [fy.year for fy in years])
    return next((fy for fy in years if fy.year == year), None), years


#: Pages that take the year in their path, and may be switched to another year.
YEAR_PAGES = {"allocation-list", "ranking-list", "reclassification"}


def year_switch(request):
    """Remember the chosen year and show the same page for it (the year switcher's target)."""
    raw = request.GET.get("year", "")
    page = request.GET.get("page", "overview")
    if not raw.isdigit() or not FundYear.objects.filter(year=int(raw)).exists():
        messages.error(request, _("Choose one of the fund years in the list."))
        return redirect("overview")
    year = int(raw)
    remember_year(request, year)
    if page in YEAR_PAGES:
        return redirect(page, year)
    return redirect("overview")


def _require_all_townships(request):
    if not sees_all_townships(request.user):
        raise PermissionDenied


def overview(request):
    if not sees_all_townships(request.user):
        if own_township_id(request.user) is None:
            raise PermissionDenied
        return redirect("clerk-home")
    fund_year, years = chosen_fund_year(request)
    context = {"fund_year": fund_year, "years": years, "nav_years": [fy.year for fy in years]}
    if fund_year is not None:
        check = budget_check_get(fund_year)
        preview = services.reclassification_preview(fund_year=fund_year)
        context.update(
            history_charts=_history_charts(years),
            rank_chart=charts.rank_against_category(
                preview.result.decisions,
                title=_("Rank against category in %(year)s, with the moves to %(next)s")
                % {"year": fund_year.year, "next": fund_year.year + 1},
                promote_count=fund_year.promote_count, demote_count=fund_year.demote_count,
            ),
            budget=check,
            allocations_by_category=check.allocations_by_category(fund_year),
            reclassification=preview.already_applied,
            steps=(steps := yearly_step_list(fund_year)),
            next_step=next_step_get(steps),
            notifications=notification_list(request.user, sees_all=True),
            execution=execution_total_get(fund_year, check=check),
            open_findings=Finding.objects.filter(closed_at__isnull=True).count(),
            overdue_findings=Finding.objects.filter(
                closed_at__isnull=True, deadline__lt=timezone.localdate()).count(),
            awaiting_approval=Expenditure.objects.filter(
                status=Expenditure.Status.SUBMITTED).count(),
        )
    return render(request, "funds/overview.html", context)


def _history_charts(years: list[FundYear]):
    checks = budget_check_list(years)
    bars_count = [charts.Bar(str(y), checks[y].counts) for y in checks]
    bars_money = [charts.Bar(str(fy.year), checks[fy.year].allocations_by_category(fy))
                  for fy in years]
    count_title = _("Townships per category by year")
    money_title = _("Allocation per category by year, floors included (10k yuan)")
    return [
        (count_title, charts.stacked_bars(bars_count, title=count_title, value_format=str)),
        (money_title, charts.stacked_bars(bars_money, title=money_title,
                                          value_format=format_wan)),
    ]


def _fund_year_and_years(year: int) -> tuple[FundYear, list[int]]:
    """The fund year and every year for the switcher, from one query: the fund years
    are a small table."""
    fund_years = list(FundYear.objects.order_by("year"))
    fund_year = next((fy for fy in fund_years if fy.year == year), None)
    if fund_year is None:
        raise Http404(_("There is no fund year %(year)s.") % {"year": year})
    return fund_year, [fy.year for fy in fund_years]


def allocation_list(request, year: int):
    _require_all_townships(request)
    fund_year, nav_years = _fund_year_and_years(year)
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
        "nav_years": nav_years,
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


def allocation_print(request, year: int):
    """The whole allocation table on A4: title, date, totals and the budget check, no nav."""
    _require_all_townships(request)
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
