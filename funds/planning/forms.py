"""Forms of the planner: a new scenario, an adoption."""

from decimal import ROUND_DOWN, Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from funds.models import MONEY_MAX, PlanScenario

WAN = Decimal(10000)
# The largest amount a money column (max_digits=14, two decimals) holds, in 万元.
MAX_WAN = (MONEY_MAX / WAN).quantize(Decimal("0.0001"), rounding=ROUND_DOWN)


class WanField(forms.DecimalField):
    """An amount typed in 万元 (up to four decimals: exact to the yuan), cleaned to yuan;
    never more than a money column holds (a form error, not a database overflow)."""

    def __init__(self, **kwargs):
        super().__init__(min_value=Decimal(0), max_value=MAX_WAN, max_digits=14,
                         decimal_places=4, error_messages={"max_value": _(
                             "An amount cannot exceed %(limit_value)s (10k yuan).")},
                         **kwargs)

    def clean(self, value):
        wan = super().clean(value)
        return None if wan is None else (wan * WAN).quantize(Decimal("0.01"))


class ScenarioForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    method = forms.ChoiceField(label=_("Method"), choices=PlanScenario.Method.choices)
    gap = WanField(label=_("Ladder gap (10k yuan)"), required=False, initial=Decimal(2),
                   help_text=_("Fixed ladder: between neighbouring categories."))
    reserve = WanField(label=_("Reserve (10k yuan)"), required=False,
                       help_text=_("Kept back from the special fund; empty: the year's."))
    rounding_unit = forms.TypedChoiceField(
        label=_("Rounding unit (yuan)"), coerce=int, initial=1,
        choices=[(1, _("1 yuan")), (100, _("100 yuan"))])
    standard_first = WanField(label=_("Standard of category 1 (10k yuan)"), required=False)
    standard_second = WanField(label=_("Standard of category 2 (10k yuan)"), required=False)
    standard_third = WanField(label=_("Standard of category 3 (10k yuan)"), required=False)

    STANDARDS = ("standard_first", "standard_second", "standard_third")

    def clean(self):
        data = super().clean()
        given = [data.get(f) for f in self.STANDARDS]
        if any(v is not None for v in given) and any(v is None for v in given):
            raise forms.ValidationError(_("Give all three standards, or none."))
        if data.get("method") == PlanScenario.Method.CUSTOM and given[0] is None:
            raise forms.ValidationError(_("Custom standards need all three standards."))
        return data

    def standards(self) -> dict | None:
        """The typed standards in yuan per category, or None (the year's)."""
        values = [self.cleaned_data.get(f) for f in self.STANDARDS]
        return None if values[0] is None else dict(zip((1, 2, 3), values, strict=True))


class AdoptForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required once money has been spent against the year, and for a plan "
                    "beyond the fund available."))
    confirmed = forms.BooleanField(
        label=_("I confirm adopting this plan although it exceeds the fund available "
                "or leaves townships below zero, as shown above"), required=False)
