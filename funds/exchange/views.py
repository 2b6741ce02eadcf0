"""The upper level's pages (issue 28): per child unit, the counties' received figures
against time progress, and their reports' completeness; per county, its townships and
the accept or return of its report. Only on a city or province instance."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from django_tables2 import RequestConfig

from funds.budget.exports import table_download
from funds.exchange import rollup, upper
from funds.exchange.forms import DecideForm
from funds.exchange.tables import UpperTable
from funds.inspection import charts
from funds.models import OrgUnit, Submission
from townships.models import YEAR_MAX, YEAR_MIN
from wanyuan.money import percent

Level = OrgUnit.Level
#: How many units the chart draws: the furthest behind first.
CHART_ROWS = 30


def _unit(code: str | None, year: int | None = None) -> OrgUnit:
    """This instance's unit, or one under it; 404 elsewhere, for a year out of range and
    on a county instance."""
    if year is not None and not YEAR_MIN <= year <= YEAR_MAX:
        raise Http404(_("There is no such year."))
    if not upper.is_upper_level():
        raise Http404(_("This instance is a county's: it reports upward."))
    root = upper.instance_root()
    if root is None:
        raise Http404(_("The org units are not loaded yet (manage.py orgunits_load)."))
    if code is None or code == root.code:
        return root
    unit = OrgUnit.objects.filter(code=code, level__lte=Level.COUNTY).first()
    units = {u.pk: u for u in OrgUnit.objects.filter(level__lte=Level.COUNTY)}
    if unit is None or upper.ancestor_at(units, unit, root.level) != root:
        raise Http404(_("There is no such unit here."))
    return unit


def _rows(unit: OrgUnit, period: int):
    if unit.level == Level.COUNTY:
        return rollup.township_rows(county=unit, period=period), False
    return rollup.children_rows(parent=unit, period=period), True


def _trail(unit: OrgUnit) -> list[OrgUnit]:
    root, trail = upper.instance_root(), [unit]
    while trail[-1].pk != root.pk and trail[-1].parent_id:
        trail.append(trail[-1].parent)
    return list(reversed(trail))


def latest_period() -> int:
    found = Submission.objects.order_by("-period").values_list("period", flat=True).first()
    return found or timezone.localdate().year


@require_safe
@permission_required("funds.view_upper_dashboard", raise_exception=True)
def upper_home(request):
    _unit(None)
    return redirect("upper-dashboard", latest_period())


@require_safe
@permission_required("funds.view_upper_dashboard", raise_exception=True)
def upper_dashboard(request, year: int, unit: str | None = None):
    unit = _unit(unit, year)
    rows, drill = _rows(unit, year)
    table = UpperTable(rows, period=year, drill=drill)
    RequestConfig(request, paginate=False).configure(table)
    total = rollup.total_row(rows, name=_("Total"), period=year)
    charted = [r for r in rows if r["execution"] is not None]
    furthest = sorted(charted, key=lambda r: (-r["gap"], r["code"]))[:CHART_ROWS]
    title = _("Execution against time progress per unit, %(year)s") % {"year": year}
    submission = (Submission.objects.filter(org_unit=unit, period=year)
                  .select_related("decided_by").first()
                  if unit.level == Level.COUNTY else None)
    periods = sorted(set(Submission.objects.values_list("period", flat=True)) | {year})
    return render(request, "funds/upper.html", {
        "unit": unit, "trail": _trail(unit), "year": year, "table": table, "total": total,
        "drill": drill, "periods": periods,
        "completeness": (rollup.completeness(parent=unit, period=year)
                         if unit.level < Level.COUNTY else None),
        "chart": charts.execution_against_time(
            furthest, time=total["time"], behind_points=20, title=title) if furthest else None,
        "chart_title": title, "chart_cut": len(charted) > CHART_ROWS, "chart_rows": CHART_ROWS,
        "submission": submission, "decide_form": DecideForm(),
        "may_decide": request.user.has_perm("funds.decide_submission"),
        "states": dict(Submission.State.choices),
    })


@require_safe
@permission_required("funds.view_upper_dashboard", raise_exception=True)
def upper_export(request, year: int, file_format: str, unit: str | None = None):
    unit = _unit(unit, year)
    rows, drill = _rows(unit, year)
    table = UpperTable(rows, period=year, drill=drill)
    RequestConfig(request, paginate=False).configure(table)
    name = _("%(unit)s, party-building funds %(year)s") % {"unit": unit.name, "year": year}
    total = rollup.total_row(rows, name=_("Total"), period=year)
    table.export_totals = lambda: {
        "name": str(_("Total")), "townships": total["townships"], "cat_1": total["CAT_1"],
        "cat_2": total["CAT_2"], "cat_3": total["CAT_3"], "allocation": total["ALLOCATION"],
        "committed": total["COMMITTED"], "paid": total["PAID"],
        "execution": percent(total["execution"]) if total["execution"] is not None else "",
        "time": percent(total["time"]), "gap": total["gap"] if total["gap"] is not None else "",
        "open_findings": total["OPEN_FINDINGS"]}
    return table_download(table, file_format=file_format, name=name, sheet_title=str(year))


@require_POST
@permission_required("funds.decide_submission", raise_exception=True)
def upper_decide(request, year: int, unit: str):
    unit = _unit(unit, year)
    submission = Submission.objects.filter(org_unit=unit, period=year).first()
    if submission is None:
        raise Http404(_("Nothing is received for this year."))
    form = DecideForm(request.POST)
    target = reverse("upper-unit", args=[year, unit.code])
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(target)
    try:
        upper.submission_decide(submission=submission,
                                accept=form.cleaned_data["decision"] == "accept",
                                reason=form.cleaned_data["reason"],
                                expected_sha256=form.cleaned_data["sha256"],
                                acting_user=request.user)
    except upper.ExchangeError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Accepted.") if form.cleaned_data["decision"] == "accept"
                         else _("Returned; the county can send it again."))
    return redirect(target)
