from django import forms
from django.utils.translation import gettext_lazy as _


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", _("Accept")), ("return", _("Return"))],
                                 widget=forms.HiddenInput)
    # the version the reviewer saw: a re-send in between decides nothing
    sha256 = forms.RegexField(regex=r"\A[0-9a-f]{64}\Z", widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason (to return)"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))
