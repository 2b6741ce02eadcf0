from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from funds import charts, services
from funds.exports import allocation_headers, allocation_rows, csv_lines, xlsx_workbook
from funds.filters import AllocationFilter, filtered_allocation
from funds.forms import CategoryChangeForm, CategoryUploadForm, RevertForm, UploadForm
from funds.models import Expenditure, Finding, FundYear
from funds.selectors import (
    allocation_queryset,
    allocation_summary,
    budget_check,
    budget_checks_by_year,
    execution_totals,
    with_spending,
)
from funds.tables import AllocationTable
from townships import imports
from townships import services as township_services
from townships.models import (
    AssessmentResult,
    CategoryChange,
    Reclassification,
    Township,
)
from townships.roles import own_township_id, sees_all_townships
from townships.views import YEAR_SESSION_KEY
from wanyuan.money import format_wan


def fund_year_or_404(year: int) -> FundYear:
    fund_year = FundYear.objects.filter(year=year).first()
    if fund_year is None:
        raise Http404(_("There is no fund year %(year)s.") % {"year": year})
    return fund_year


def _chosen_year(request) -> FundYear | None:
    """The year asked for (?year=), else the one chosen before, else the latest."""
    years = FundYear.objects.order_by("-year")
    raw = request.GET.get("year")
    if raw is not None:
        if not raw.isdigit():
            raise Http404(_("“%(value)s” is not a year.") % {"value": raw})
        fund_year = years.filter(year=int(raw)).first()
        if fund_year is None:
            raise Http404(_("There is no fund year %(year)s.") % {"year": raw})
        request.session[YEAR_SESSION_KEY] = fund_year.year
        return fund_year
    remembered = request.session.get(YEAR_SESSION_KEY)
    return (remembered and years.filter(year=remembered).first()) or years.first()


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
    request.session[YEAR_SESSION_KEY] = year
    if page in YEAR_PAGES:
        return redirect(page, year)
    return redirect("overview")


def _require_all_townships(request):
    if not sees_all_townships(request.user):
        raise PermissionDenied


def overview(request):
    if not sees_all_townships(request.user):
        township_id = own_township_id(request.user)
        if township_id is None:
            raise PermissionDenied
        return redirect("township-detail", Township.objects.get(pk=township_id).code)
    fund_year = _chosen_year(request)
    years = list(FundYear.objects.order_by("year"))
    context = {"fund_year": fund_year, "years": years, "nav_years": [fy.year for fy in years]}
    if fund_year is not None:
        check = budget_check(fund_year)
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
            standards_by_category=check.standards_by_category(fund_year),
            ranked=AssessmentResult.objects.filter(year=fund_year.year).count(),
            reclassification=preview.already_applied,
            execution=execution_totals(fund_year, check=check),
            open_findings=Finding.objects.filter(closed_at__isnull=True).count(),
            overdue_findings=Finding.objects.filter(
                closed_at__isnull=True, deadline__lt=timezone.localdate()).count(),
            awaiting_approval=Expenditure.objects.filter(
                status=Expenditure.Status.SUBMITTED).count(),
        )
    return render(request, "funds/overview.html", context)


def _history_charts(years: list[FundYear]):
    checks = budget_checks_by_year(years)
    bars_count = [charts.Bar(str(y), checks[y].counts) for y in checks]
    bars_money = [charts.Bar(str(y), {c: fy.allocation_for(c) * n
                                      for c, n in checks[y].counts.items()})
                  for y, fy in ((fy.year, fy) for fy in years)]
    count_title = _("Townships per category by year")
    money_title = _("Allocation per category by year (10k yuan)")
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
    if request.session.get(YEAR_SESSION_KEY) != year:  # an unchanged session is not written
        request.session[YEAR_SESSION_KEY] = year
    queryset = allocation_queryset(fund_year)
    filterset = AllocationFilter(request.GET or None, queryset=queryset)
    filtering = filterset.is_filtering()
    rows = filterset.qs if filtering else queryset
    check, execution = allocation_summary(fund_year, rows if filtering else None)
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


@permission_required("funds.export_allocation", raise_exception=True)
def allocation_export_csv(request, year: int):
    fund_year = fund_year_or_404(year)
    rows = filtered_allocation(request.GET, fund_year)
    response = StreamingHttpResponse(
        csv_lines(allocation_headers(), allocation_rows(fund_year, rows, as_text=True),
                  prepared=True),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="allocation-{year}.csv"'
    return response


@permission_required("funds.export_allocation", raise_exception=True)
def allocation_export_xlsx(request, year: int):
    fund_year = fund_year_or_404(year)
    rows = filtered_allocation(request.GET, fund_year)
    content = xlsx_workbook(
        allocation_headers(), allocation_rows(fund_year, rows),
        sheet_title=str(year), yuan_columns={5, 6, 7},
    )
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="allocation-{year}.xlsx"'
    return response


def allocation_print(request, year: int):
    """The whole allocation table on A4: title, date, totals and the budget check, no nav."""
    _require_all_townships(request)
    fund_year = fund_year_or_404(year)
    rows = filtered_allocation(request.GET, fund_year)
    check, execution = allocation_summary(fund_year, rows)
    # The kind column is dropped on paper: A4 portrait holds the rest without wrapping.
    table = AllocationTable(with_spending(rows, year), fund_year=fund_year, budget=check,
                            execution=execution, exclude=("kind",))
    RequestConfig(request, paginate=False).configure(table)
    return render(request, "funds/allocation_print.html", {
        "fund_year": fund_year,
        "table": table,
        "budget": check,
        "filtered": bool(request.GET.get("category") or request.GET.get("kind")
                         or request.GET.get("name")),
        "printed_at": timezone.localtime(),
    })


def township_detail(request, code: str):
    township = get_object_or_404(Township.objects.select_related("merged_into"), code=code)
    if not sees_all_townships(request.user) and own_township_id(request.user) != township.pk:
        # A clerk learns nothing of another township, not even that it exists.
        raise Http404
    fund_years = {fy.year: fy for fy in FundYear.objects.all()}
    categories = {tc.year: tc for tc in township.categories.select_related("changed_by")}
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
            "allocation": fund_year.allocation_for(category.category)
            if fund_year and category else None,
        })
    history = (
        CategoryChange.objects.filter(township=township)
        .select_related("changed_by", "reclassification")
    )
    form = None
    if request.user.has_perm("townships.change_townshipcategory"):
        latest = max(fund_years) if fund_years else None
        form = CategoryChangeForm(initial={"year": latest})
    return render(request, "funds/township_detail.html", {
        "township": township,
        "rows": rows,
        "history": history,
        "form": form,
        "merged_from": township.merged_from.all(),
        "open_findings": township.findings.filter(closed_at__isnull=True).order_by("deadline"),
        "fund_years": fund_years,
    })


@require_POST
@permission_required("townships.change_townshipcategory", raise_exception=True)
def township_category_change(request, code: str):
    township = get_object_or_404(Township, code=code)
    form = CategoryChangeForm(request.POST)
    if form.is_valid():
        try:
            township_services.township_category_set(
                township=township, year=form.cleaned_data["year"],
                category=form.cleaned_data["category"], reason=form.cleaned_data["reason"],
                acting_user=request.user,
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The category of %(township)s for %(year)s was saved.")
                             % {"township": township, "year": form.cleaned_data["year"]})
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("township-detail", code)


def _handle_upload(request, *, form_class, parse, write, template, context):
    form = form_class(request.POST or None, request.FILES or None)
    problems = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read(settings.IMPORT_MAX_BYTES + 1)
        try:
            rows = parse(data, upload.name)
            count = write(rows, upload.name, form.cleaned_data)
        except imports.ImportFileError as exc:
            problems = [str(p) for p in exc.problems]
        except township_services.ReclassificationError as exc:
            problems = [str(exc)]
        else:
            return count
    context.update(form=form, problems=problems)
    return render(request, template, context, status=400 if problems else 200)


@permission_required("townships.import_rankings", raise_exception=True)
def rankings_import(request, year: int):
    fund_year = fund_year_or_404(year)
    result = _handle_upload(
        request, form_class=UploadForm,
        parse=lambda data, name: imports.parse_rankings(data, name, year=year),
        write=lambda rows, name, _data: township_services.assessment_results_replace(
            year=year, rows=rows, acting_user=request.user, source_name=name),
        template="funds/rankings_import.html",
        context={"fund_year": fund_year, "applied": Reclassification.objects.filter(
            year=year, reverted_at__isnull=True).first()},
    )
    if isinstance(result, int):
        messages.success(request, _("%(n)s townships ranked for %(year)s.")
                         % {"n": result, "year": year})
        return redirect(reverse("allocation-list", args=[year]) + "?sort=rank")
    return result


@permission_required("townships.change_townshipcategory", raise_exception=True)
def categories_import(request, year: int):
    fund_year = fund_year_or_404(year)
    result = _handle_upload(
        request, form_class=CategoryUploadForm,
        parse=lambda data, name: imports.parse_categories(data, name, year=year),
        write=lambda rows, name, data: township_services.categories_import(
            year=year, rows=rows, acting_user=request.user, source_name=name,
            reason=data.get("reason", "")),
        template="funds/categories_import.html",
        context={"fund_year": fund_year},
    )
    if isinstance(result, int):
        messages.success(request, _("%(n)s categories of %(year)s changed.")
                         % {"n": result, "year": year})
        return redirect("allocation-list", year)
    return result


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

