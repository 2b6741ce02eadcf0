"""Forms of the inspection desk."""

from django import forms
from django.utils.translation import gettext_lazy as _

from funds.inspection.flags import RULES


class FlagFilterForm(forms.Form):
    township = forms.ModelChoiceField(label=_("Township"), queryset=None, required=False,
                                      to_field_name="code", empty_label=_("All townships"))
    rule = forms.ChoiceField(label=_("Rule"), required=False)
    state = forms.ChoiceField(label=_("State"), required=False, choices=[
        ("open", _("Open")), ("closed", _("Closed")), ("all", _("All"))])

    def __init__(self, *args, townships, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["township"].queryset = townships
        self.fields["rule"].choices = [("", _("All rules"))] + [
            (code, name) for code, (name, _text) in RULES.items()]


class FlagCloseForm(forms.Form):
    township = forms.CharField(widget=forms.HiddenInput, max_length=20)
    rule = forms.ChoiceField(widget=forms.HiddenInput,
                             choices=[(code, code) for code in RULES])
    subject = forms.CharField(widget=forms.HiddenInput, max_length=200)
    # the flag as the page showed it: a closing is of what the inspector read
    fingerprint = forms.CharField(widget=forms.HiddenInput, min_length=64, max_length=64)
    explanation = forms.CharField(label=_("Explanation"), max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 2}))


class AuditPackForm(forms.Form):
    township = forms.ModelChoiceField(
        label=_("Township"), queryset=None, required=False, to_field_name="code",
        empty_label=_("All townships"),
        help_text=_("The whole county's pack, or one township's."))

    def __init__(self, *args, townships, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["township"].queryset = townships
