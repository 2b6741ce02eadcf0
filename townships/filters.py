"""Filters of the township, ranking and audit lists (django-filter)."""

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from townships.models import (
    AuditEvent,
    Category,
    CategoryChange,
    CategorySource,
    Township,
    TownshipKind,
)


def _name_or_code(queryset, prefix, value):
    value = value.strip()
    return queryset.filter(Q(**{f"{prefix}name__icontains": value})
                           | Q(**{f"{prefix}code__startswith": value}))


class TownshipFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(label=_("Name or code"),
                                     method=lambda qs, _n, v: _name_or_code(qs, "", v))
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=TownshipKind.choices,
                                       empty_label=_("All kinds"))
    category = django_filters.ChoiceFilter(label=_("Category"), choices=Category.choices,
                                           empty_label=_("All categories"))
    status = django_filters.ChoiceFilter(
        label=_("Status"), method="filter_status", empty_label=_("All units"),
        choices=[("in_service", _("In service this year")), ("ended", _("No longer in service"))],
    )

    class Meta:
        model = Township
        fields = ["name", "kind", "category", "status"]

    def __init__(self, *args, year, **kwargs):
        self.year = year
        super().__init__(*args, **kwargs)

    def filter_status(self, queryset, name, value):
        in_service = Township.objects.in_service(self.year).values("pk")
        if value == "in_service":
            return queryset.filter(pk__in=in_service)
        return queryset.exclude(pk__in=in_service)


class RankingFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(label=_("Name or code"),
                                     method=lambda qs, _n, v: _name_or_code(qs, "township__", v))
    category = django_filters.ChoiceFilter(label=_("Category this year"),
                                           choices=Category.choices,
                                           empty_label=_("All categories"))
    moved = django_filters.ChoiceFilter(
        label=_("Next year"), method="filter_moved", empty_label=_("All"),
        choices=[("up", _("Moves up")), ("down", _("Moves down")), ("same", _("Stays"))],
    )

    def filter_moved(self, queryset, name, value):
        if value == "up":
            return queryset.filter(next_category__lt=F("category"))
        if value == "down":
            return queryset.filter(next_category__gt=F("category"))
        return queryset.filter(next_category=F("category"))


class CategoryChangeFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter(label=_("Year"), min_value=1949, max_value=2100)
    township = django_filters.CharFilter(
        label=_("Name or code"), method=lambda qs, _n, v: _name_or_code(qs, "township__", v))
    source = django_filters.ChoiceFilter(label=_("Source"), choices=CategorySource.choices,
                                         empty_label=_("All sources"))
    changed_by = django_filters.ModelChoiceFilter(
        label=_("Changed by"), empty_label=_("All users"),
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
    )

    class Meta:
        model = CategoryChange
        fields = ["year", "township", "source", "changed_by"]


class AuditEventFilter(django_filters.FilterSet):
    action = django_filters.ChoiceFilter(label=_("Action"), choices=AuditEvent.Action.choices,
                                         empty_label=_("All actions"))
    year = django_filters.NumberFilter(label=_("Year"), min_value=1949, max_value=2100)

    class Meta:
        model = AuditEvent
        fields = ["action", "year"]
