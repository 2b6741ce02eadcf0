"""Pages of the inspection desk: the red flags of a year, and who is behind."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from django_tables2 import RequestConfig

from funds.budget.exports import csv_download, table_download, xlsx_download
from funds.inspection import charts, services
from funds.inspection.flags import RULES, Rules
from funds.inspection.forms import AuditPackForm, FlagCloseForm, FlagFilterForm
from funds.inspection.pack import pack_audit, pack_name, pack_stream
from funds.inspection.selectors import (
    behind_list,
    flag_export_header,
    flag_export_rows,
    red_flags_get,
)
from funds.inspection.tables import BehindTable
from funds.scope import fund_year_or_404, township_in_scope
from funds.workdays import WorkingCalendar
from townships.models import Township
from townships.roles import all_townships_required, own_township_id, sees_all_townships
from wanyuan.years import remember_year

STATES = ("open", "closed", "all")


def _scope(request, fund_year):
    """The townships the user may see flags of, and the one chosen: a clerk sees the
    own township only; others all, or the one of ``?township=``."""
    townships = Township.objects.in_service(fund_year.year).order_by("code")
    if not sees_all_townships(request.user):
        own = own_township_id(request.user)
        if own is None:
            raise Http404
        townships = townships.filter(pk=own)
    form = FlagFilterForm(request.GET or None, townships=townships)
    if request.GET and not form.is_valid():
        raise Http404(_("There is no such township or rule."))
    data = form.cleaned_data if form.is_bound else {}
    chosen = data.get("township") or (townships.first() if not sees_all_townships(
        request.user) else None)
    ids = {chosen.pk} if chosen is not None else None
    return form, data, chosen, ids, {t.pk: t for t in townships}


def _flags(request, year: int):
    fund_year = fund_year_or_404(year)
    form, data, chosen, ids, townships = _scope(request, fund_year)
    calendar = WorkingCalendar()
    flags = [f for f in red_flags_get(fund_year=fund_year, township_ids=ids,
                                      calendar=calendar) if f.township_id in townships]
    counts = {rule: [0, 0] for rule in RULES}
    for flag in flags:
        counts[flag.rule][flag.is_closed] += 1
    state = data.get("state") or "open"
    shown = [f for f in flags if (not data.get("rule") or f.rule == data["rule"])
             and (state == "all" or f.is_closed == (state == "closed"))]
    if not sees_all_townships(request.user):
        shown = [flag.seen_by_township() for flag in shown]
    for flag in shown:
        flag.township = townships[flag.township_id]
    return fund_year, form, chosen, flags, shown, counts, calendar


@require_safe
@permission_required("funds.view_redflagreview", raise_exception=True)
def red_flags(request, year: int):
    fund_year, form, chosen, flags, shown, counts, calendar = _flags(request, year)
    remember_year(request, year)
    words = Rules.of(fund_year).words_of()
    rules = [{"code": code, "name": name, "text": text % words, "open": counts[code][0],
              "closed": counts[code][1]} for code, (name, text) in RULES.items()]
    return render(request, "funds/red_flags.html", {
        "fund_year": fund_year, "form": form, "township": chosen, "flags": shown,
        "rules": rules, "open_count": sum(1 for f in flags if not f.is_closed),
        "calendar_notice": calendar.unknown_notice(),
        "may_close": request.user.has_perm("funds.close_redflag"),
        "close_form": FlagCloseForm(),
        "query": request.GET.urlencode(),
    })


@require_safe
@permission_required("funds.view_redflagreview", raise_exception=True)
def red_flags_export(request, year: int, file_format: str):
    fund_year, form, chosen, flags, shown, counts, calendar = _flags(request, year)
    name = _("Red flags %(year)s") % {"year": year}
    if chosen is not None:
        name = f"{chosen.name} {name}"
    rows = flag_export_rows(shown)
    if file_format == "csv":
        return csv_download(flag_export_header(), rows, filename=f"{name}.csv")
    return xlsx_download(flag_export_header(), list(rows), title=name, sheet_title=str(year),
                         filename=f"{name}.xlsx", yuan_columns={6})


@require_POST
@permission_required("funds.close_redflag", raise_exception=True)
def red_flag_close(request, year: int):
    fund_year = fund_year_or_404(year)
    form = FlagCloseForm(request.POST)
    back = request.POST.get("back", "")
    target = reverse("red-flags", args=[year]) + (f"?{back}" if back else "")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(target)
    township = township_in_scope(request, form.cleaned_data["township"])
    try:
        services.red_flag_close(
            fund_year=fund_year, township=township, rule=form.cleaned_data["rule"],
            subject=form.cleaned_data["subject"], fingerprint=form.cleaned_data["fingerprint"],
            explanation=form.cleaned_data["explanation"], acting_user=request.user)
    except services.InspectionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The flag is closed; it opens again if its items "
                                    "change."))
    return redirect(target)



#: How many townships the chart draws: the furthest behind first.
CHART_ROWS = 30


def _behind(request, year: int):
    fund_year = fund_year_or_404(year)
    rows = behind_list(fund_year=fund_year)
    table = BehindTable(rows, fund_year=fund_year, behind_points=fund_year.flag_idle_points)
    return fund_year, rows, table


@require_safe
@all_townships_required
def behind(request, year: int):
    fund_year, rows, table = _behind(request, year)
    remember_year(request, year)
    RequestConfig(request, paginate=False).configure(table)
    furthest = sorted(rows, key=lambda r: (-r["gap"], r["code"]))[:CHART_ROWS]
    time = rows[0]["time"] if rows else None
    title = _("Execution against time progress, %(year)s") % {"year": year}
    return render(request, "funds/behind.html", {
        "fund_year": fund_year, "table": table, "time": time,
        "behind_count": sum(1 for r in rows if r["gap"] > fund_year.flag_idle_points),
        "chart": charts.execution_against_time(
            furthest, time=time, behind_points=fund_year.flag_idle_points, title=title)
        if rows else None,
        "chart_title": title, "chart_cut": len(rows) > CHART_ROWS, "chart_rows": CHART_ROWS,
    })


@require_safe
@all_townships_required
def behind_export(request, year: int, file_format: str):
    fund_year, rows, table = _behind(request, year)
    RequestConfig(request, paginate=False).configure(table)  # the page's order
    name = _("Who is behind %(year)s") % {"year": year}
    return table_download(table, file_format=file_format, name=name, sheet_title=str(year))


@permission_required("funds.generate_audit_pack", raise_exception=True)
@all_townships_required
def audit_pack(request, year: int):
    """GET: what the pack holds, and the choice of the whole county or one township.
    POST: the ZIP, streamed (audited before its first byte)."""
    fund_year = fund_year_or_404(year)
    townships = Township.objects.in_service(year).order_by("code")
    form = AuditPackForm(request.POST if request.method == "POST" else None,
                         townships=townships)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "funds/audit_pack.html", {
                "fund_year": fund_year, "form": form}, status=400)
        township = form.cleaned_data["township"]
        name = pack_name(fund_year=fund_year, township=township)
        pack_audit(fund_year=fund_year, township=township, acting_user=request.user,
                   where=_("downloaded as %(name)s") % {"name": name})
        response = StreamingHttpResponse(
            pack_stream(fund_year=fund_year, township=township, acting_user=request.user),
            content_type="application/zip")
        response["Content-Disposition"] = content_disposition_header(True, name)
        return response
    remember_year(request, year)
    return render(request, "funds/audit_pack.html", {"fund_year": fund_year, "form": form})
