import django_filters
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

    def filter_name(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(code__startswith=value))
