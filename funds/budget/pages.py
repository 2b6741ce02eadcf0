"""The base of the pages over a year's allocation rows (the allocation, the execution):
its fund year from the path, its plain rows, the allocation's filter. Not a views module:
the pages of the subpackages above subclass it."""

from django.utils.functional import cached_property

from funds.budget.filters import AllocationFilter, refuse_invalid
from funds.budget.selectors import allocation_row_list
from funds.scope import fund_year_or_404
from townships.roles import SeesAllTownshipsMixin
from wanyuan.lists import ListPage


class AllocationRowsPage(SeesAllTownshipsMixin, ListPage):
    """A county-wide list of the year's allocation rows, filtered by category, kind and
    name, 100 to a page."""

    filterset_class = AllocationFilter
    per_page = 100

    @cached_property
    def fund_year(self):
        return fund_year_or_404(self.kwargs["year"])

    def get_queryset(self):
        return allocation_row_list(fund_year=self.fund_year)


def filtered_rows(request, fund_year):
    """The allocation rows a file of the query string holds: the filtered rows, or None
    when the filter does not narrow them (the whole year: the cheaper totals); a 400 for
    an invalid filter."""
    filterset = AllocationFilter(request.GET or None,
                                 queryset=allocation_row_list(fund_year=fund_year))
    refuse_invalid(filterset)
    return filterset.qs if filterset.narrows() else None
