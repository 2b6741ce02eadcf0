import django_filters
from django.core.exceptions import BadRequest
from django.db.models import Q
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

    def is_filtering(self) -> bool:
        """Whether a valid filter narrows the rows (a page or sort alone does not)."""
        return (self.is_bound and self.is_valid()
                and any(value not in (None, "") for value in self.form.cleaned_data.values()))

    def filter_name(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(code__startswith=value))


def filtered_allocation(query, fund_year):
    """The allocation rows a query string asks for; an invalid filter is a 400.

    Exports and the print view must never fall back to every row: a user who asked for
    one category and got all of them would not notice.
    """
    from funds.selectors import allocation_queryset

    queryset = allocation_queryset(fund_year)
    filterset = AllocationFilter(query or None, queryset=queryset)
    if not filterset.is_bound:
        return queryset
    if not filterset.is_valid():
        raise BadRequest(*[f"{filterset.form[field].label}: {error}"
                           for field, errors in filterset.errors.items() for error in errors])
    return filterset.qs
