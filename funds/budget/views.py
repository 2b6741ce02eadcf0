"""Pages of the money: the allocation as a declared list page, its print view and its
exports, all one table (funds.budget.tables.AllocationTable)."""

from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from funds.budget.exports import allocation_file, csv_download, xlsx_download
from funds.budget.filters import refuse_invalid
from funds.budget.pages import AllocationRowsPage, filtered_rows
from funds.budget.selectors import allocation_summary_get
from funds.budget.tables import AllocationTable
from funds.scope import fund_year_or_404
from townships.models import Township
from wanyuan.printing import print_context
from wanyuan.years import remember_year


class AllocationListView(AllocationRowsPage):
    """A year's allocation: filter, table and footers, the budget check below."""

    table_class = AllocationTable
    template_name = "funds/allocation_list.html"

    @cached_property
    def summary(self):
        """The budget check and execution of the rows shown (of the whole year when the
        filter does not narrow them: the cheaper query)."""
        narrowed = self.filterset.narrows()
        return allocation_summary_get(fund_year=self.fund_year,
                                      rows=self.object_list if narrowed else None)

    def get_table_kwargs(self):
        check, execution = self.summary
        return {"fund_year": self.fund_year, "budget": check, "execution": execution}

    def get(self, request, *args, **kwargs):
        remember_year(request, self.kwargs["year"])
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        check, _execution = self.summary
        # Units without a category are rare: their names are read only when there are some.
        uncategorised = []
        if check.uncategorised:
            uncategorised = Township.objects.in_service(self.fund_year.year).exclude(
                categories__year=self.fund_year.year).order_by("code")
        return super().get_context_data(
            fund_year=self.fund_year, budget=check, uncategorised=uncategorised,
            export_query=self.request.GET.urlencode(), **kwargs)


class AllocationPrintView(AllocationListView):
    """The whole allocation table on A4: title, date, totals and the budget check."""

    template_name = "funds/allocation_print.html"

    def get(self, request, *args, **kwargs):
        refuse_invalid(self.get_filterset(self.get_filterset_class()))
        # a print view is not a choice of year: ListPage's get, not the page's
        return super(AllocationListView, self).get(request, *args, **kwargs)

    def get_table_pagination(self, table):
        return False

    def get_table_kwargs(self):
        # The kind column is dropped on paper: A4 portrait holds the rest without wrapping.
        return super().get_table_kwargs() | {"exclude": ("kind",)}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            filtered=self.filterset.narrows(),
            **print_context(self.request, printing=True), **kwargs)


def _allocation_file(request, year: int):
    """The allocation table of the query string as a file (a 400 for an invalid filter)."""
    fund_year = fund_year_or_404(year)
    names = {"county": settings.COUNTY_NAME, "year": year}
    return (*allocation_file(fund_year=fund_year, rows=filtered_rows(request, fund_year)),
            _("%(county)s: party-building fund allocation %(year)s (yuan)") % names,
            _("allocation-%(year)s") % names)


@permission_required("funds.export_allocation", raise_exception=True)
def allocation_export_csv(request, year: int):
    header, rows, _formats, _title, filename = _allocation_file(request, year)
    return csv_download(header, rows, filename=filename + ".csv")


@permission_required("funds.export_allocation", raise_exception=True)
def allocation_export_xlsx(request, year: int):
    header, rows, (yuan, percent), title, filename = _allocation_file(request, year)
    return xlsx_download(header, rows, title=title, filename=filename + ".xlsx",
                         sheet_title=str(year), yuan_columns=yuan, percent_columns=percent)
