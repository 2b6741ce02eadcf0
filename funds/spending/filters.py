"""The search across expenditures (django-filter)."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from funds.models import Expenditure, FundYear, SpendingCategory
from townships.models import Township


class ExpenditureFilter(django_filters.FilterSet):
    text = django_filters.CharFilter(label=_("Purpose or payee"), method="filter_text")
    year = django_filters.ChoiceFilter(label=_("Year"), empty_label=_("All years"))
    township = django_filters.ModelChoiceFilter(
        label=_("Township"), queryset=Township.objects.none(), empty_label=_("All townships"))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Expenditure.Status.choices,
                                         empty_label=_("All statuses"))
    category = django_filters.ModelChoiceFilter(
        label=_("Spending category"), queryset=SpendingCategory.objects.all(),
        empty_label=_("All categories"))
    amount_min = django_filters.NumberFilter(
        label=_("From (yuan)"), field_name="amount", lookup_expr="gte", min_value=0,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}))
    amount_max = django_filters.NumberFilter(
        label=_("To (yuan)"), field_name="amount", lookup_expr="lte", min_value=0,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}))

    class Meta:
        model = Expenditure
        fields = ["text", "year", "township", "status", "category", "amount_min",
                  "amount_max"]

    def __init__(self, *args, townships, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["township"].queryset = townships
        self.filters["year"].extra["choices"] = [
            (y, str(y)) for y in FundYear.objects.order_by("-year").values_list("year",
                                                                                flat=True)]

    def filter_text(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(purpose__icontains=value) | Q(payee__icontains=value))


class ApprovalQueueFilter(django_filters.FilterSet):
    """The approval queue of one year, or of every year."""

    year = django_filters.ChoiceFilter(label=_("Year"), empty_label=_("All years"))

    class Meta:
        model = Expenditure
        fields = ["year"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["year"].extra["choices"] = [
            (y, y) for y in FundYear.objects.order_by("-year").values_list("year", flat=True)]
