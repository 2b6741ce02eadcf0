"""Pages of the yearly cycle: a township through the years, the imports, the
reclassification."""

import copy
import hashlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from funds.budget.overdraw import OverdrawRefused
from funds.budget.selectors import adopted_total, allocation_of
from funds.models import SPENT_STATUSES, Expenditure, FundYear
from funds.scope import fund_year_or_404
from funds.yearly import services
from funds.yearly.forms import (
    CategoryChangeForm,
    CategoryUploadForm,
    FundYearSettingsForm,
    RevertForm,
    UploadForm,
)
from townships import imports
from townships import services as township_services
from townships.models import (
    AssessmentResult,
    CategoryChange,
    Reclassification,
    Township,
)
from townships.roles import own_township_id, sees_all_townships


def township_detail(request, code: str, *, form=None, status=200):
    """A township through the years; ``form`` is a category change to show again with
    what the administrator typed and why it was refused."""
    township = get_object_or_404(Township.objects.select_related("merged_into"), code=code)
    if not sees_all_townships(request.user) and own_township_id(request.user) != township.pk:
        # A clerk learns nothing of another township, not even that it exists.
        raise Http404
    fund_years = {fy.year: fy for fy in FundYear.objects.all()}
    categories = {tc.year: tc for tc in township.categories.select_related("changed_by")
                  .annotate(line_total=adopted_total())}
    results = {r.year: r for r in township.assessments.all()}
    ranked_counts = dict(
        AssessmentResult.objects.filter(year__in=results).values("year")
        .annotate(n=Count("pk"))
        .values_list("year", "n")
    )
    years = sorted(set(fund_years) | set(categories) | set(results))
    rows = []
    for year in years:
        if not township.in_service(year):
            continue
        fund_year = fund_years.get(year)
        category = categories.get(year)
        result = results.get(year)
        rows.append({
            "year": year,
            "category": category,
            "result": result,
            "ranked_count": ranked_counts.get(year),
            "fund_year": fund_year,
            "allocation": allocation_of(fund_year, category.category, category.line_total)
            if fund_year and category else None,
        })
    history = (
        CategoryChange.objects.filter(township=township)
        .select_related("reclassification")  # who changed it: as recorded then
    )
    if form is None and request.user.has_perm("townships.change_townshipcategory"):
        form = CategoryChangeForm(years=_category_years(township, fund_years))
    return render(request, "funds/township_detail.html", {
        "township": township,
        "rows": rows,
        "history": history,
        "form": form,
        "merged_from": township.merged_from.all(),
        "open_findings": township.findings.filter(closed_at__isnull=True).order_by("deadline"),
        "fund_years": fund_years,
    }, status=status)


def _category_years(township, years) -> list[int]:
    return [year for year in years if township.in_service(year)]


@require_POST
@permission_required("townships.change_townshipcategory", raise_exception=True)
def township_category_change(request, code: str):
    township = get_object_or_404(Township, code=code)
    form = CategoryChangeForm(request.POST, years=_category_years(
        township, FundYear.objects.values_list("year", flat=True)))
    if form.is_valid():
        try:
            township_services.township_category_set(
                township=township, year=form.cleaned_data["year"],
                category=form.cleaned_data["category"], reason=form.cleaned_data["reason"],
                acting_user=request.user, confirmed=form.cleaned_data["overdraw_confirmed"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The category of %(township)s for %(year)s was saved.")
                             % {"township": township, "year": form.cleaned_data["year"]})
            return redirect("township-detail", code)
    # What was typed stays on the page, with the reasons it was refused.
    return township_detail(request, code, form=form, status=400)


def _handle_upload(request, *, form_class, parse, write, template, context, done):
    """An import page: the form, then all or nothing. Problems are listed on the page
    (400) and nothing is written; on success ``done(count)`` gives the message and where
    to go next."""
    form = form_class(request.POST or None, request.FILES or None)
    problems = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read(settings.IMPORT_MAX_BYTES + 1)
        try:
            count = write(parse(data, upload.name), upload.name, form.cleaned_data)
        except imports.ImportFileError as exc:
            problems = [str(p) for p in exc.problems]
        except township_services.ReclassificationError as exc:
            problems = [str(exc)]
        except ValidationError as exc:  # a change the one rule refuses (funds.budget.overdraw)
            problems = exc.messages
        else:
            message, url = done(count)
            messages.success(request, message)
            return redirect(url)
    context.update(form=form, problems=problems)
    return render(request, template, context, status=400 if problems else 200)


@permission_required("townships.import_rankings", raise_exception=True)
def rankings_import(request, year: int):
    return _handle_upload(
        request, form_class=UploadForm,
        parse=lambda data, name: imports.parse_rankings(data, name, year=year),
        write=lambda rows, name, _data: township_services.assessment_results_replace(
            year=year, rows=rows, acting_user=request.user, source_name=name),
        template="funds/rankings_import.html",
        context={"fund_year": fund_year_or_404(year), "applied": Reclassification.objects
                 .filter(year=year, reverted_at__isnull=True).first()},
        done=lambda n: (_("%(n)s townships ranked for %(year)s.") % {"n": n, "year": year},
                        reverse("allocation-list", args=[year]) + "?sort=rank"),
    )


@permission_required("townships.change_townshipcategory", raise_exception=True)
def categories_import(request, year: int):
    return _handle_upload(
        request, form_class=CategoryUploadForm,
        parse=lambda data, name: imports.parse_categories(data, name, year=year),
        write=lambda rows, name, data: township_services.categories_import(
            year=year, rows=rows, acting_user=request.user, source_name=name,
            reason=data.get("reason", ""), confirmed=data.get("overdraw_confirmed", False)),
        template="funds/categories_import.html",
        context={"fund_year": fund_year_or_404(year)},
        done=lambda n: (_("%(n)s categories of %(year)s changed.") % {"n": n, "year": year},
                        reverse("allocation-list", args=[year])),
    )


@permission_required("townships.apply_reclassification", raise_exception=True)
def reclassification(request, year: int):
    fund_year = fund_year_or_404(year)
    if request.method == "POST":
        try:
            record = services.reclassification_apply(year=year, acting_user=request.user)
        except township_services.ReclassificationError as exc:
            messages.error(request, str(exc))
            return redirect("reclassification", year)
        messages.success(request, _(
            "Applied: %(up)s promoted and %(down)s demoted; the categories of %(target)s "
            "are set.") % {"up": record.promoted, "down": record.demoted,
                           "target": record.target_year})
        return redirect("allocation-list", record.target_year)
    preview = services.reclassification_preview(fund_year=fund_year)
    decisions = sorted(preview.result.decisions,
                       key=lambda d: (not d.changed, d.rank is None, d.rank or 0))
    return render(request, "funds/reclassification.html", {
        "fund_year": fund_year,
        "preview": preview,
        "decisions": decisions,
        "codes": dict(Township.objects.values_list("pk", "code")),
        "revert_form": RevertForm(),
        "history": Reclassification.objects.filter(year=year).select_related(
            "applied_by", "reverted_by"),
    })


@require_POST
@permission_required("townships.apply_reclassification", raise_exception=True)
def reclassification_revert(request, year: int):
    record = get_object_or_404(Reclassification, year=year, reverted_at__isnull=True)
    form = RevertForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("A reason is required to revert."))
        return redirect("reclassification", year)
    try:
        township_services.reclassification_revert(
            record=record, reason=form.cleaned_data["reason"], acting_user=request.user)
    except (township_services.ReclassificationError, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("The %(year)s reclassification was reverted.")
                         % {"year": year})
    return redirect("reclassification", year)


def _values_fingerprint(values: dict) -> str:
    return hashlib.sha256(repr(sorted(values.items())).encode()).hexdigest()[:16]


@permission_required("funds.change_fundyear", raise_exception=True)
def fund_year_settings(request, year: int):
    """A year's settings in 万元: preview what changes (and the budget check before and
    after), then confirm; a value moving by more than half needs a second tick."""
    fund_year = fund_year_or_404(year)
    preview = None
    previewed = confirm_error = ""
    if request.method == "POST":
        form = FundYearSettingsForm(request.POST, instance=copy.copy(fund_year))
        if form.is_valid():
            values = {name: form.cleaned_data[name] for name in form.Meta.fields}
            preview = services.fund_year_settings_preview(
                fund_year=fund_year, values=values,
                labels={name: field.label for name, field in form.fields.items()})
            fingerprint = _values_fingerprint(values)
            confirming = "confirm" in request.POST
            if confirming and request.POST.get("previewed") != fingerprint:
                confirm_error = _("The values differ from the preview: look at the preview "
                                  "again and confirm it.")
            elif confirming and preview.needs_confirmation and not request.POST.get("large"):
                confirm_error = _("A value moves by more than half: tick the box to confirm "
                                  "it is intended.")
            elif confirming and preview.changes:
                try:
                    services.fund_year_settings_update(
                        year=year, values=values, version=request.POST.get("version", ""),
                        acting_user=request.user,
                        reason=request.POST.get("overdraw_reason", "")[:1000],
                        confirmed=bool(request.POST.get("overdraw_confirmed")))
                except (services.StaleSettings, ValidationError, OverdrawRefused) as exc:
                    confirm_error = " ".join(getattr(exc, "messages", [str(exc)]))
                else:
                    messages.success(request, _("The settings of %(year)s are saved; the "
                                                "change is in the audit log.") % {"year": year})
                    return redirect("fund-year-settings", year)
            elif not preview.changes:
                messages.info(request, _("Nothing changed."))
                return redirect("fund-year-settings", year)
            previewed = fingerprint
    else:
        form = FundYearSettingsForm(instance=fund_year)
    return render(request, "funds/fund_year_settings.html", {
        "fund_year": fund_year,
        "form": form,
        "preview": preview,
        "previewed": previewed,
        "version": services.settings_version(fund_year),
        "confirm_error": confirm_error,
        "overdraw_reason": request.POST.get("overdraw_reason", ""),
        "spent": Expenditure.objects.filter(year=year, status__in=SPENT_STATUSES).exists(),
    })
