from django import forms
from django.utils.translation import gettext_lazy as _


class MergerForm(forms.Form):
    first_year = forms.IntegerField(label=_("First year of the new list"), min_value=2000,
                                    max_value=2100, initial=2021)
    file = forms.FileField(
        label=_("The new township list (CSV with the columns 代码, 名称 and 类型)"),
        required=False,
        help_text=_("Leave it empty for Wanyuan's 2020 reform: 52 units became 31 from "
                    "2021, with who went where."))
