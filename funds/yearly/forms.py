"""Forms of the yearly cycle: a category change, the imports, a revert."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from funds.models import FundYear
from townships.models import Category
from wanyuan.money import to_yuan


class CategoryChangeForm(forms.Form):
    #: The years with settings in which the township is in service: a choice, not a number.
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, choices=())
    category = forms.TypedChoiceField(label=_("New category"), choices=Category.choices,
                                      coerce=int)
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000,
        error_messages={"required": _("A reason is required to change a category.")},
    )
    overdraw_confirmed = forms.BooleanField(
        label=_("I confirm the change although it leaves the township's remaining budget "
                "below zero"), required=False)

    def __init__(self, *args, years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, str(y)) for y in sorted(years, reverse=True)]

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("A reason is required to change a category."))
        return reason


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File (CSV or XLSX)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt"}),
    )


class CategoryUploadForm(UploadForm):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=1000,
                             help_text=_("Optional; the file name is recorded in any case. "
                                         "Required for an import that leaves townships "
                                         "below zero."))
    overdraw_confirmed = forms.BooleanField(
        label=_("I confirm the import although it leaves townships' remaining budgets "
                "below zero"), required=False)


class RevertForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for reverting"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("A reason is required to revert.")},
    )


class WanField(forms.DecimalField):
    """An amount typed in 万元, cleaned to Decimal yuan (exact to the fen)."""

    def __init__(self, **kwargs):
        super().__init__(min_value=0, max_digits=12, decimal_places=6, **kwargs)

    def prepare_value(self, value):
        return value if value in (None, "") or isinstance(value, str) else to_wan_text(value)

    def clean(self, value):
        wan = super().clean(value)
        if wan is None:
            return None
        yuan = wan * 10000
        if yuan != yuan.quantize(Decimal("0.01")):
            raise forms.ValidationError(_("Give the amount to the fen (at most six decimals "
                                          "in 10k yuan)."))
        return to_yuan(yuan)


def to_wan_text(yuan) -> str:
    """Yuan as the 万元 a person types: 170000 → "17", 123456.78 → "12.345678"."""
    text = format(to_yuan(yuan) / 10000, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class FundYearSettingsForm(forms.ModelForm):
    """A year's settings as an administrator types them: allocation amounts in 万元."""

    special_fund = WanField(label=_("Special fund (10k yuan)"))
    floor_amount = WanField(label=_("Floor per township (10k yuan)"))
    standard_first = WanField(label=_("Standard of category 1 (10k yuan)"))
    standard_second = WanField(label=_("Standard of category 2 (10k yuan)"))
    standard_third = WanField(label=_("Standard of category 3 (10k yuan)"))
    reserve = WanField(label=_("Reserve (10k yuan)"))

    #: Fields whose value moving by more than half asks for a confirmation.
    AMOUNTS = ("special_fund", "floor_amount", "standard_first", "standard_second",
               "standard_third", "reserve", "large_spending_threshold")

    class Meta:
        model = FundYear
        fields = ["special_fund", "reserve", "floor_amount", "floor_mode", "standard_first",
                  "standard_second", "standard_third", "large_spending_threshold",
                  "overspend_policy", "approver_may_pay", "promote_count", "demote_count"]
        labels = {"large_spending_threshold": _("Large-spending threshold (yuan)")}

    def clean(self):
        cleaned = super().clean()
        first, second, third = (cleaned.get(f"standard_{n}")
                                for n in ("first", "second", "third"))
        if None not in (first, second, third) and not first >= second >= third:
            raise forms.ValidationError(_("The standards must not rise from category 1 to "
                                          "category 3 (category 1 ≥ category 2 ≥ category 3)."))
        return cleaned
