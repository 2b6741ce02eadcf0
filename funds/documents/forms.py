"""The documents page's forms: how a document is issued (date, number, the source of
money beyond the fund), a replacement template."""

from django import forms
from django.utils.translation import gettext_lazy as _

from funds.documents.services import dated_problem, number_problem
from funds.models import DocumentKind


class IssueForm(forms.Form):
    """What the user chooses before generating: 成文日期 (every document), 发文字号 (the
    notice) and, when the money to issue exceeds the fund, where the excess comes from.
    Sent with every download of the page (GET)."""

    dated = forms.DateField(label=_("Date of the document (成文日期)"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    number = forms.CharField(label=_("Document number of the notice"), max_length=40,
                             required=False)
    period = forms.ChoiceField(
        label=_("Period of the posting (公示)"), required=False,
        choices=[("", _("The quarter of its date")), ("q1", _("First quarter")),
                 ("q2", _("Second quarter")), ("q3", _("Third quarter")),
                 ("q4", _("Fourth quarter")), ("h1", _("First half")),
                 ("year", _("The whole year"))])
    excess_source = forms.CharField(
        label=_("Source of the money beyond the special fund"), max_length=100,
        required=False,
        help_text=_("Only when the amounts exceed the fund and no plan that fits it is "
                    "adopted: e.g. 市级财政统筹资金. It is stated in the plan and the notice."))

    def __init__(self, *args, year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = year

    def clean_dated(self):
        dated = self.cleaned_data["dated"]
        if problem := dated_problem(dated, self.year):
            raise forms.ValidationError(problem)
        return dated

    def clean_period(self):
        return self.cleaned_data["period"] or None

    def clean_number(self):
        number = self.cleaned_data["number"].strip()
        if number and (problem := number_problem(number, self.year)):
            raise forms.ValidationError(problem)
        return number or None


class TemplateUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=DocumentKind.choices)
    file = forms.FileField(label=_("Template (.docx)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".docx"}))
