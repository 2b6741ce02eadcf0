import django_filters
from django.core.exceptions import BadRequest
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from townships.models import Category, Township, TownshipKind


class AllocationFilter(django_filters.FilterSet):
    category = django_filters.ChoiceFilter(
        label=_("Category"), choices=Category.choices, empty_label=_("All categories"),
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=TownshipKind.choices, empty_label=_("All kinds"),
    )
    name = django_filters.CharFilter(label=_("Name or code"), method="filter_name")

    class Meta:
        model = Township
        fields = ["category", "kind", "name"]

    def narrows(self) -> bool:
        """Whether the rows are fewer than the whole year's: a filter with a value, or an
        invalid one, which shows no rows (a page or a sort alone does not narrow)."""
        if not self.is_bound:
            return False
        return not self.is_valid() or any(
            value not in (None, "") for value in self.form.cleaned_data.values())

    def filter_name(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(code__startswith=value))


def allocation_filtered(query, fund_year) -> tuple[AllocationFilter, QuerySet]:
    """The filter of a query string and the allocation rows it asks for.

    The one rule of every list page: an invalid filter gives no rows (the page shows the
    filter's errors), never every row — a user who asked for one category and got all of
    them would not notice.
    """
    from funds.budget.selectors import allocation_list

    queryset = allocation_list(fund_year)
    filterset = AllocationFilter(query or None, queryset=queryset)
    if not filterset.is_bound:
        return filterset, queryset
    return filterset, filterset.qs if filterset.is_valid() else queryset.none()


def filtered_allocation(query, fund_year) -> QuerySet:
    """The rows of an export or the print view; an invalid filter is a 400 there."""
    filterset, rows = allocation_filtered(query, fund_year)
    if filterset.is_bound and not filterset.is_valid():
        raise BadRequest(*[f"{filterset.form[field].label}: {error}"
                           for field, errors in filterset.errors.items() for error in errors])
    return rows
