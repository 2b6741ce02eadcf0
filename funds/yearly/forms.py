"""Forms of the yearly cycle: a category change, the imports, a revert."""

from django import forms
from django.utils.translation import gettext_lazy as _

from townships.models import Category


class CategoryChangeForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    category = forms.TypedChoiceField(label=_("New category"), choices=Category.choices,
                                      coerce=int)
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000,
        error_messages={"required": _("A reason is required to change a category.")},
    )

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
                             help_text=_("Optional; the file name is recorded in any case."))


class RevertForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for reverting"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("A reason is required to revert.")},
    )
