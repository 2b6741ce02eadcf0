"""The documents page's forms: the notice's number, a replacement template."""

from django import forms
from django.utils.translation import gettext_lazy as _

from funds.documents.services import number_problem
from funds.models import DocumentKind


class NumberForm(forms.Form):
    """发文字号, editable before the notice is generated (default from the settings)."""

    number = forms.CharField(label=_("Document number"), max_length=40)

    def __init__(self, *args, year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = year

    def clean_number(self):
        number = self.cleaned_data["number"].strip()
        problem = number_problem(number, self.year)
        if problem:
            raise forms.ValidationError(problem)
        return number


class TemplateUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=DocumentKind.choices)
    file = forms.FileField(label=_("Template (.docx)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".docx"}))
