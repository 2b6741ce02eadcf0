"""The overview: the page composed from every subpackage (the budget, the yearly cycle,
the spending loop), and the year switcher. It sits above the subpackages, so that none of
them imports another one above it (docs/architecture.md)."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from funds.budget import charts
from funds.budget.selectors import budget_check_get, budget_check_list, execution_total_get
from funds.inspection.selectors import behind_list
from funds.models import Expenditure, Finding, FundYear
from funds.scope import chosen_fund_year
from funds.spending.selectors import notifications_get
from funds.yearly import services
from funds.yearly.selectors import first_open_step, yearly_step_list
from townships.roles import own_township_id, sees_all_townships
from wanyuan.money import format_wan
from wanyuan.years import remember_year

#: Pages that show the year switcher and take the year in their path.
YEAR_PAGES = {"allocation-list", "ranking-list", "reclassification", "execution",
              "fund-year-settings", "red-flags", "behind"}
#: Pages that show the switcher without a year in their path: they show the chosen one.
CHOSEN_YEAR_PAGES = {"overview", "clerk-home"}


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
    return redirect(page if page in CHOSEN_YEAR_PAGES else "overview")


def overview(request):
    if settings.INSTANCE_LEVEL != "county":  # a city's or a province's: the counties' reports
        return redirect("upper-home")
    if not sees_all_townships(request.user):
        if own_township_id(request.user) is None:
            raise PermissionDenied
        return redirect("clerk-home")
    fund_year, years = chosen_fund_year(request)
    context = {"fund_year": fund_year, "years": years}
    if fund_year is not None:
        check = budget_check_get(fund_year=fund_year)
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
            steps=(steps := yearly_step_list(fund_year=fund_year)),
            next_step=first_open_step(steps),
            notifications=notifications_get(user=request.user, sees_all=True),
            execution=execution_total_get(fund_year=fund_year, check=check),
            open_findings=Finding.objects.filter(closed_at__isnull=True).count(),
            overdue_findings=Finding.objects.filter(
                closed_at__isnull=True, deadline__lt=timezone.localdate()).count(),
            awaiting_approval=Expenditure.objects.filter(
                status=Expenditure.Status.SUBMITTED).count(),
            behind=_furthest_behind(fund_year),
        )
    return render(request, "funds/overview.html", context)


def _furthest_behind(fund_year: FundYear, shown: int = 5) -> dict:
    """The townships more than the set points behind time progress, furthest first (the
    who-is-behind page's figures, without its red flags)."""
    rows = [row for row in behind_list(fund_year=fund_year, flags=[])
            if row["gap"] > fund_year.flag_idle_points]
    rows.sort(key=lambda row: (-row["gap"], row["code"]))
    return {"count": len(rows), "names": [row["name"] for row in rows[:shown]],
            "more": max(0, len(rows) - shown)}


def _history_charts(years: list[FundYear]):
    checks = budget_check_list(fund_years=years)
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
