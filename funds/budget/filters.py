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


def refuse_invalid(filterset) -> None:
    """A file or a print view of an invalid filter is a 400 that says which field (a
    page shows no rows and the filter's errors instead)."""
    if filterset.is_bound and not filterset.is_valid():
        raise BadRequest(*[f"{filterset.form[field].label}: {error}"
                           for field, errors in filterset.errors.items() for error in errors])
