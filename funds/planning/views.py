"""Pages of the planner: the year's scenarios, one scenario, two to four side by side."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from django_tables2 import RequestConfig

from funds.budget import charts
from funds.budget.exports import xlsx_download
from funds.models import PlanScenario
from funds.planning import services
from funds.planning.forms import AdoptForm, ScenarioForm
from funds.planning.selectors import comparison_get, scenario_list, year_has_spending
from funds.planning.services import PlanningError
from funds.planning.tables import PlanLineTable
from funds.scope import fund_year_or_404
from townships.models import Category
from townships.roles import all_townships_required, sees_all_townships
from wanyuan.money import format_wan


@all_townships_required
def plan_list(request, year: int):
    """The year's scenarios and the form of a new one (administrators)."""
    fund_year = fund_year_or_404(year)
    may_create = request.user.has_perm("funds.add_planscenario")
    form = ScenarioForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not may_create:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                scenario = services.scenario_create(
                    fund_year=fund_year, name=data["name"], method=data["method"],
                    reserve=data["reserve"], gap=data["gap"],
                    rounding_unit=data["rounding_unit"], standards=form.standards(),
                    acting_user=request.user)
            except PlanningError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The plan “%(name)s” was computed.")
                                 % {"name": scenario.name})
                return redirect("plan-detail", year, scenario.pk)
    return render(request, "funds/plan_list.html", {
        "fund_year": fund_year,
        "scenarios": scenario_list(fund_year=fund_year),
        "form": form if may_create else None,
    }, status=400 if form.errors else 200)


def _scenario_or_404(year: int, pk: int) -> PlanScenario:
    return get_object_or_404(PlanScenario.objects.select_related("fund_year", "created_by"),
                             pk=pk, fund_year__year=year)


@require_safe
@all_townships_required
def plan_detail(request, year: int, pk: int):
    scenario = _scenario_or_404(year, pk)
    table = PlanLineTable(scenario.lines.select_related("township"))
    RequestConfig(request, paginate={"per_page": 100}).configure(table)
    fund_year = scenario.fund_year
    return render(request, "funds/plan_detail.html", {
        "fund_year": fund_year,
        "scenario": scenario,
        "table": table,
        "formula": services.formula_in(scenario),
        "is_adopted": fund_year.adopted_scenario_id == scenario.pk,
        "adopt_form": AdoptForm() if request.user.has_perm("funds.adopt_allocation_plan")
        else None,
        "spent": year_has_spending(year=year),
        "over_fund": services.over_fund(scenario),
        "overdrawn": [] if fund_year.adopted_scenario_id == scenario.pk
        else services.overdrawn_by_adoption(fund_year, scenario),
    })


@require_POST
def plan_adopt(request, year: int, pk: int):
    if not request.user.has_perm("funds.adopt_allocation_plan"):
        raise PermissionDenied
    scenario = _scenario_or_404(year, pk)
    form = AdoptForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest()
    try:
        services.scenario_adopt(scenario=scenario, acting_user=request.user,
                                reason=form.cleaned_data["reason"],
                                confirmed=form.cleaned_data["confirmed"])
    except PlanningError as exc:
        messages.error(request, str(exc))
        return redirect("plan-detail", year, pk)
    messages.success(request, _("The plan “%(name)s” is now the allocation of %(year)s.")
                     % {"name": scenario.name, "year": year})
    return redirect("allocation-list", year)


@require_POST
def plan_revert(request, year: int):
    if not request.user.has_perm("funds.adopt_allocation_plan"):
        raise PermissionDenied
    fund_year = fund_year_or_404(year)
    try:
        services.scenario_revert(fund_year=fund_year, acting_user=request.user)
    except PlanningError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The adoption was reverted: %(year)s's categories are "
                                    "paid by their standards again.") % {"year": year})
    return redirect("plan-list", year)


def _compared(request, year: int):
    """The scenarios named by ``ids`` (2 to 4 of the year), or None."""
    raw = request.GET.getlist("ids")
    ids = [part for value in raw for part in value.split(",") if part]
    if not all(i.isdigit() for i in ids) or not 2 <= len(set(ids)) <= 4:
        return None
    ids = list(dict.fromkeys(int(i) for i in ids))
    found = {s.pk: s for s in PlanScenario.objects.filter(pk__in=ids, fund_year__year=year)}
    if len(found) != len(ids):
        return None
    return [found[i] for i in ids]


def _comparison(request, year: int):
    """The fund year, the plans of ``?ids`` and their comparison: the page's and the
    export's; a 400 that says what to choose when the plans are not two to four of it."""
    if not sees_all_townships(request.user):
        raise PermissionDenied
    fund_year = fund_year_or_404(year)
    scenarios = _compared(request, year)
    if scenarios is None:
        raise BadRequest(_("Choose two to four plans of the year to compare."))
    return fund_year, scenarios, comparison_get(fund_year=fund_year, scenarios=scenarios)


@require_safe
def plan_compare(request, year: int):
    fund_year, scenarios, comparison = _comparison(request, year)
    by_category = comparison.by_category()
    title = _("Allocation per category by plan (10k yuan)")
    chart = charts.stacked_bars(
        [charts.Bar(s.name, totals) for s, totals in zip(scenarios, by_category, strict=True)],
        title=title, value_format=format_wan)
    return render(request, "funds/plan_compare.html", {
        "fund_year": fund_year,
        "comparison": comparison,
        "columns": list(zip(scenarios, by_category, strict=True)),
        "chart": chart,
        "chart_title": title,
        "page": Paginator(comparison.rows, 100).get_page(request.GET.get("page")),
        "ids": ",".join(str(s.pk) for s in scenarios),
        "formulas": [services.formula_in(s) for s in scenarios],
    })


@require_safe
def plan_compare_export_xlsx(request, year: int):
    fund_year, scenarios, comparison = _comparison(request, year)
    header = [_("Official code"), _("Township"), _("Category"),
              _("Allocation %(year)s (yuan)") % {"year": year - 1}]
    for s in scenarios:
        header += [_("%(name)s (yuan)") % {"name": s.name},
                   _("%(name)s: change (yuan)") % {"name": s.name}]
    categories = dict(Category.choices)

    def rows():
        for row in comparison.rows:
            cells = [row.code, row.name, str(categories.get(row.category, "")), row.previous]
            for amount, change in zip(row.amounts, row.changes(), strict=True):
                cells += [amount, change]
            yield cells
        for category in Category.values:
            yield ["", _("Standard of %(category)s") % {"category": categories[category]},
                   "", "", *[v for s in scenarios for v in (s.standards[category], None)]]
        for label, attribute in ((_("Reserve"), "reserve"),
                                 (_("Paid out of the fund"), "fund_covered"),
                                 (_("Difference to the fund available"), "difference")):
            yield ["", label, "", "", *[v for s in scenarios
                                         for v in (getattr(s, attribute), None)]]
        # each scenario's formula under its own amounts (it wraps in its column)
        yield ["", _("Formula"), "", "", *[v for s in scenarios
                                           for v in (services.formula_in(s), None)]]
        # a total adds up its column: the changes of the townships that have one
        zero = type(scenarios[0].total)("0.00")
        previous_total = sum((r.previous for r in comparison.rows if r.previous is not None),
                             start=zero)
        change_totals = [sum((c for r in comparison.rows if (c := r.changes()[i]) is not None),
                             start=zero) for i in range(len(scenarios))]
        yield [_("Total"), _("%(n)s townships") % {"n": len(comparison.rows)}, "",
               previous_total, *[v for s, change in zip(scenarios, change_totals, strict=True)
                                 for v in (s.total, change)]]

    names = {"county": settings.COUNTY_NAME, "year": year}
    yuan_columns = {3, *range(4, 4 + 2 * len(scenarios))}
    return xlsx_download(header, rows(),
                         title=_("%(county)s: allocation plans of %(year)s compared (yuan)")
                         % names, filename=_("allocation-plans-%(year)s") % names + ".xlsx",
                         sheet_title=str(year), yuan_columns=yuan_columns)
