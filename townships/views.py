"""List pages of townships, rankings and the audit history.

Each page is a table (``townships.tables``), a filter (``townships.filters``) and a small
view naming them. Only users who see all townships open them; a clerk gets 403.
"""

import csv
import io

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.shortcuts import redirect, render
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from townships.filters import (
    AuditEventFilter,
    CategoryChangeFilter,
    RankingFilter,
    TownshipFilter,
)
from townships.forms import MergerForm
from townships.models import (
    AssessmentResult,
    AuditEvent,
    CategoryChange,
    Township,
    TownshipCategory,
)
from townships.reference import (
    REFORM_2020_LIST,
    REFORM_2020_MAPPING,
    ReferenceDataError,
    merger_apply,
    merger_plan,
    parse_township_list,
    read_mapping,
    read_township_list,
)
from townships.roles import SeesAllTownshipsMixin
from townships.tables import AuditEventTable, CategoryChangeTable, RankingTable, TownshipTable
from wanyuan.lists import ListPage
from wanyuan.years import chosen_year, remember_year


def _category_in(year, township_ref="pk"):
    return Subquery(TownshipCategory.objects.filter(
        township=OuterRef(township_ref), year=year).values("category")[:1])


class TownshipListView(SeesAllTownshipsMixin, ListPage):
    table_class = TownshipTable
    filterset_class = TownshipFilter
    template_name = "townships/township_list.html"
    title = _("Townships")

    @cached_property
    def year(self):
        return chosen_year(self.request, TownshipCategory.objects.order_by()
                           .values_list("year", flat=True).distinct())

    def get_queryset(self):
        return Township.objects.select_related("merged_into").annotate(
            category=_category_in(self.year))

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["year"] = self.year
        return kwargs

    def get_context_data(self, **kwargs):
        return super().get_context_data(year=self.year, **kwargs)


class RankingListView(SeesAllTownshipsMixin, ListPage):
    table_class = RankingTable
    filterset_class = RankingFilter
    template_name = "townships/ranking_list.html"
    per_page = 100

    def get_queryset(self):
        year = self.kwargs["year"]
        return (
            AssessmentResult.objects.filter(year=year)
            .select_related("township")
            .annotate(category=_category_in(year, "township"),
                      next_category=_category_in(year + 1, "township"))
        )

    def get(self, request, *args, **kwargs):
        remember_year(request, self.kwargs["year"])
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        year = self.kwargs["year"]
        return super().get_context_data(
            year=year,
            title=_("Assessment ranking %(year)s") % {"year": year},
            ranked_count=AssessmentResult.objects.filter(year=year).count(),
            next_year_set=TownshipCategory.objects.filter(year=year + 1).exists(),
            **kwargs,
        )


class CategoryChangeListView(SeesAllTownshipsMixin, ListPage):
    table_class = CategoryChangeTable
    filterset_class = CategoryChangeFilter
    template_name = "townships/audit_list.html"
    title = _("Category changes")

    def get_queryset(self):
        return CategoryChange.objects.select_related("township")


class AuditEventListView(SeesAllTownshipsMixin, ListPage):
    table_class = AuditEventTable
    filterset_class = AuditEventFilter
    template_name = "townships/audit_list.html"
    title = _("Yearly operations")

    def get_queryset(self):
        return AuditEvent.objects.all()


# --- A township merger, previewed and applied from a page --------------------------------


#: A township list's header as a county writes it, in the words the list's reader takes
#: (townships.reference: code,name,kind); the page names the columns as the model does.
LIST_HEADER_WORDS = {
    "code": "code", "代码": "code", "乡镇代码": "code", "行政区划代码": "code",
    "name": "name", "名称": "name", "乡镇名称": "name", "单位名称": "name",
    "kind": "kind", "类型": "kind", "类别": "kind",
}


def _list_in_reader_words(data: bytes, file_name: str) -> bytes:
    """An uploaded list with its header (代码,名称,类型 or code,name,kind) in the reader's
    words; a missing column is named as the page names it, in Chinese."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data  # the reader says what is wrong with it
    header, newline, rest = text.partition("\n")
    columns = [LIST_HEADER_WORDS.get(c.strip().strip('"'), c.strip())
               for c in header.rstrip("\r").split(",")]
    missing = [field for field in ("code", "name", "kind") if field not in columns]
    if missing:
        raise ReferenceDataError(_("%(file)s lacks the column(s) %(columns)s") % {
            "file": file_name, "columns": "、".join(
                str(Township._meta.get_field(field).verbose_name) for field in missing)})
    return (",".join(columns) + newline + rest).encode()


def _merger_rows(request, form) -> tuple[list[dict], str, dict[str, str]]:
    """The new list: the uploaded file, the text carried from the preview, or Wanyuan's
    2020 reform with its mapping of who went where."""
    fixtures = settings.BASE_DIR / "fixtures"
    if request.POST.get("csv_text"):
        name = request.POST.get("source_name", "")
        return parse_township_list(request.POST["csv_text"].encode(), name), name, {}
    upload = form.cleaned_data.get("file")
    if upload:
        data = _list_in_reader_words(upload.read(settings.IMPORT_MAX_BYTES + 1), upload.name)
        return parse_township_list(data, upload.name), upload.name, {}
    path = fixtures / REFORM_2020_LIST
    return read_township_list(path), path.name, read_mapping(fixtures / REFORM_2020_MAPPING)


def merger(request):
    """Preview, then apply, a new township list from a year on (as the 2020 reform)."""
    if not (request.user.has_perm("townships.add_township")
            and request.user.has_perm("townships.change_township")):
        raise PermissionDenied
    form = MergerForm(request.POST or None, request.FILES or None)
    context = {"form": form, "title": _("Township merger")}
    if request.method == "POST" and form.is_valid():
        first_year = form.cleaned_data["first_year"]
        try:
            rows, source_name, mapping = _merger_rows(request, form)
            if request.POST.get("confirm") == "apply":
                counts = merger_apply(rows=rows, source_name=source_name,
                                      first_year=first_year, mapping=mapping,
                                      acting_user=request.user)
                messages.success(request, _(
                    "The merger is applied from %(year)s: %(ended)s units ended, %(opened)s "
                    "opened.") % {"year": first_year, **counts})
                return redirect("township-list")
        except ReferenceDataError as exc:
            context["problems"] = str(exc).splitlines()
        else:
            plan = merger_plan(rows=rows, first_year=first_year)
            names = {row["code"]: row["name"] for row in rows}
            # the built-in reform by its name, not by the file it is kept in
            source_label = (_("Wanyuan's 2020 township reform list") if mapping
                            else source_name)
            context.update(plan=plan, rows=rows, source_name=source_name, mapping=mapping,
                           source_label=source_label,
                           ended=[(t, names.get(mapping.get(t.code, ""), "")) for t in plan.ended],
                           csv_text=_township_list_text(rows))
    return render(request, "townships/merger.html", context,
                  status=400 if context.get("problems") else 200)


def _township_list_text(rows: list[dict]) -> str:
    """The list as CSV text, carried by the preview to the confirmation."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["code", "name", "kind"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
