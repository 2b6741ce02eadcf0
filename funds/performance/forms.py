"""Forms of the 绩效 cycle: the sheet's texts and its indicator rows."""

from django import forms
from django.forms import modelformset_factory
from django.utils.translation import gettext_lazy as _

from funds.models import Indicator, TargetSheet
from funds.performance.actuals import SOURCES

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SheetForm(forms.ModelForm):
    class Meta:
        model = TargetSheet
        fields = ["goal", "achieved", "budget_date", "initial_budget", "monitoring_measures"]
        widgets = {"goal": forms.Textarea(attrs={"rows": 3}),
                   "achieved": forms.Textarea(attrs={"rows": 3}),
                   "monitoring_measures": forms.Textarea(attrs={"rows": 2}),
                   "budget_date": DATE_INPUT}


class IndicatorForm(forms.ModelForm):
    source = forms.ChoiceField(label=_("computed from"), required=False)

    class Meta:
        model = Indicator
        fields = ["level1", "level2", "name", "direction", "target", "unit", "weight", "source",
                  "actual", "answer", "percent", "applicable", "deviation_reason", "evidence"]
        widgets = {"evidence": forms.ClearableFileInput(attrs={
                       "accept": ".pdf,.png,.jpg,.jpeg,.ofd"}),
                   "deviation_reason": forms.Textarea(attrs={"rows": 1, "cols": 24}),
                   "name": forms.TextInput(attrs={"size": 16}),
                   "unit": forms.TextInput(attrs={"size": 4}),
                   "target": forms.NumberInput(attrs={"step": "0.01", "style": "width:7em"}),
                   "actual": forms.NumberInput(attrs={"step": "0.01", "style": "width:7em"}),
                   "weight": forms.NumberInput(attrs={"step": "0.01", "style": "width:5em"}),
                   "percent": forms.NumberInput(attrs={"step": "0.01", "style": "width:5em"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [("", _("entered"))] + [
            (code, source.label) for code, source in SOURCES.items()]
        # in the sheet's table each input sits under its column's header: named for a
        # screen reader by its label
        for field in self.fields.values():
            field.widget.attrs.setdefault("aria-label", str(field.label))


IndicatorFormSet = modelformset_factory(Indicator, form=IndicatorForm, extra=1, can_delete=True)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class MonitoringForm(forms.Form):
    as_of = forms.DateField(label=_("As of"), widget=DATE_INPUT, required=False)
