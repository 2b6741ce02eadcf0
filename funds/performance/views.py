"""Pages of the 绩效 cycle: a year's target sheet (edited until the self-evaluation is
filed), its mid-year monitoring, and their files."""

from __future__ import annotations

import datetime
import os

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from funds.models import DocumentSettings, Indicator, PerformanceSettings, TargetSheet
from funds.performance import services, workbooks
from funds.performance.forms import IndicatorFormSet, MonitoringForm, ReasonForm, SheetForm
from funds.performance.selectors import monitoring_get, sheet_view
from funds.scope import fund_year_or_404
from funds.spending.services import content_type_of
from townships.models import Township
from townships.roles import all_townships_required
from wanyuan.years import remember_year

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _township(request, year: int):
    """The township of ``?township=`` (a township's own sheet, where the fund is evaluated
    as a transfer per township), or None for the county's sheet."""
    code = request.GET.get("township") or request.POST.get("township") or ""
    if not code:
        return None
    if PerformanceSettings.get().evaluated_as != PerformanceSettings.EvaluatedAs.TRANSFER:
        raise Http404(_("The fund is evaluated as one project: there are no township sheets."))
    township = Township.objects.in_service(year).filter(code=code).first()
    if township is None:
        raise Http404(_("There is no such township."))
    return township


def _sheet(fund_year, township):
    return TargetSheet.objects.filter(fund_year=fund_year, township=township).select_related(
        "fund_year", "township", "filed_by").first()


def _back(year: int, township) -> str:
    url = reverse("performance", args=[year])
    return f"{url}?township={township.code}" if township is not None else url


def _download(content: bytes, name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


@permission_required("funds.view_targetsheet", raise_exception=True)
@all_townships_required
def performance(request, year: int):
    fund_year = fund_year_or_404(year)
    township = _township(request, year)
    sheet = _sheet(fund_year, township)
    may_edit = (sheet is not None and not sheet.is_filed
                and request.user.has_perm("funds.change_targetsheet"))
    form = formset = None
    if sheet is not None:
        posted = request.method == "POST"
        form = SheetForm(request.POST if posted else None, instance=sheet)
        formset = IndicatorFormSet(request.POST if posted else None,
                                   request.FILES if posted else None,
                                   queryset=sheet.indicators.order_by("position", "pk"),
                                   prefix="rows")
    if request.method == "POST":
        if sheet is None:
            raise Http404(_("There is no target sheet of this year yet."))
        if not may_edit:
            raise PermissionDenied
        if form.is_valid() and formset.is_valid():
            rows = []
            for row_form in formset.forms:
                data = row_form.cleaned_data
                if not data or data.get("DELETE"):
                    continue
                row = {name: data.get(name) for name in services.INDICATOR_FIELDS
                       if name != "position"}
                row["id"] = row_form.instance.pk
                rows.append(row)
            try:
                with transaction.atomic():  # the rows and their evidence, all or nothing
                    _save(request, sheet, form, formset, rows)
            except services.PerformanceError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Saved."))
                return redirect(_back(year, township))
        else:
            messages.error(request, _("Some values are not valid: see the rows marked."))
    remember_year(request, year)
    view = sheet_view(sheet=sheet) if sheet is not None else None
    return render(request, "funds/performance.html", {
        "fund_year": fund_year, "township": township, "sheet": sheet, "view": view,
        "form": form, "formset": formset, "may_edit": may_edit,
        "problems": services.filing_problems(sheet) if sheet and not sheet.is_filed else [],
        "has_last_year": TargetSheet.objects.filter(fund_year__year=year - 1,
                                                    township=township).exists(),
        "reason_form": ReasonForm(),
        "townships": (Township.objects.in_service(year).order_by("code")
                      if PerformanceSettings.get().evaluated_as == "transfer" else None),
    }, status=400 if request.method == "POST" else 200)


def _save(request, sheet, form, formset, rows):
    services.sheet_update(sheet=sheet, values=form.cleaned_data, indicators=rows,
                          acting_user=request.user)
    for row_form in formset.forms:
        upload = request.FILES.get(f"{row_form.prefix}-evidence")
        # a row deleted in the same save takes its chosen file with it
        if (upload is not None and row_form.instance.pk
                and not row_form.cleaned_data.get("DELETE")):
            services.indicator_evidence_attach(indicator=row_form.instance, upload=upload,
                                               acting_user=request.user)


@require_safe
@permission_required("funds.view_targetsheet", raise_exception=True)
@all_townships_required
def performance_evidence(request, pk: int):
    """An indicator's evidence, offered as a download under the indicator's name."""
    indicator = Indicator.objects.filter(pk=pk).exclude(evidence="").first()
    if indicator is None:
        raise Http404
    extension = os.path.splitext(indicator.evidence.name)[1].lower()
    return FileResponse(indicator.evidence.open("rb"), as_attachment=True,
                        filename=f"{indicator.name}{extension}",
                        content_type=content_type_of(indicator.evidence.name))


def _act(request, year: int, action):
    fund_year = fund_year_or_404(year)
    township = _township(request, year)
    try:
        message = action(fund_year, township)
    except services.PerformanceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, message)
    return redirect(_back(year, township))


@require_POST
@permission_required("funds.add_targetsheet", raise_exception=True)
@all_townships_required
def performance_start(request, year: int):
    copy = request.POST.get("copy") == "1"

    def start(fund_year, township):
        services.sheet_start(fund_year=fund_year, township=township, acting_user=request.user,
                             copy_last_year=copy)
        return (_("Started from last year's sheet.") if copy
                else _("Started from the library of indicators."))
    return _act(request, year, start)


def _existing(fund_year, township):
    sheet = _sheet(fund_year, township)
    if sheet is None:
        raise Http404(_("There is no target sheet of this year yet."))
    return sheet


@require_POST
@permission_required("funds.change_targetsheet", raise_exception=True)
@all_townships_required
def performance_compute(request, year: int):
    def compute(fund_year, township):
        rows = services.actuals_compute(sheet=_existing(fund_year, township),
                                        acting_user=request.user)
        return _("%(n)s actual values computed from the records.") % {"n": len(rows)}
    return _act(request, year, compute)


@require_POST
@permission_required("funds.file_self_evaluation", raise_exception=True)
@all_townships_required
def performance_file(request, year: int):
    def file(fund_year, township):
        services.sheet_file(sheet=_existing(fund_year, township), acting_user=request.user)
        return _("The self-evaluation is filed and locked.")
    return _act(request, year, file)


@require_POST
@permission_required("funds.file_self_evaluation", raise_exception=True)
@all_townships_required
def performance_reopen(request, year: int):
    def reopen(fund_year, township):
        services.sheet_reopen(sheet=_existing(fund_year, township),
                              reason=request.POST.get("reason", ""), acting_user=request.user)
        return _("Reopened: the sheet can be changed again.")
    return _act(request, year, reopen)


@require_safe
@permission_required("funds.view_targetsheet", raise_exception=True)
@all_townships_required
def performance_file_download(request, year: int, kind: str, fmt: str):
    fund_year = fund_year_or_404(year)
    township = _township(request, year)
    sheet = _existing(fund_year, township)
    view = sheet_view(sheet=sheet)
    scope = township.name if township is not None else DocumentSettings.get().county_name
    prefix = f"{scope}{year}年度"
    if kind == "targets" and fmt == "xlsx":
        return _download(workbooks.targets_xlsx(view), f"{prefix}项目支出绩效目标表.xlsx", XLSX)
    if kind == "self" and fmt == "xlsx":
        return _download(workbooks.self_evaluation_xlsx(view), f"{prefix}项目支出绩效自评表.xlsx",
                         XLSX)
    if kind == "self" and fmt == "docx":
        return _download(workbooks.self_evaluation_docx(view), f"{prefix}绩效自评报告.docx",
                         DOCX)
    if kind == "monitoring":
        form = MonitoringForm(request.GET)
        chosen = form.cleaned_data.get("as_of") if form.is_valid() else None
        as_of = chosen or datetime.date(year, 6, 30)
        monitoring = monitoring_get(sheet=sheet, as_of=as_of)
        if fmt == "xlsx":
            return _download(workbooks.monitoring_xlsx(view, monitoring),
                             f"{prefix}绩效运行监控表.xlsx", XLSX)
        return _download(workbooks.monitoring_docx(view, monitoring),
                         f"{prefix}绩效运行监控报告.docx", DOCX)
    raise Http404


@require_safe
@permission_required("funds.view_targetsheet", raise_exception=True)
@all_townships_required
def performance_monitoring(request, year: int):
    fund_year = fund_year_or_404(year)
    township = _township(request, year)
    sheet = _existing(fund_year, township)
    form = MonitoringForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        raise Http404(_("That is not a date."))
    as_of = (form.cleaned_data.get("as_of") if form.is_bound else None) or datetime.date(
        year, 6, 30)
    return render(request, "funds/performance_monitoring.html", {
        "fund_year": fund_year, "township": township, "sheet": sheet,
        "monitoring": monitoring_get(sheet=sheet, as_of=as_of),
        "form": MonitoringForm(initial={"as_of": as_of}), "as_of": as_of})
