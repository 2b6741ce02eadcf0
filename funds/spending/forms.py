"""Forms of the spending loop: expenditures, decisions, vouchers, inspections."""

from decimal import Decimal

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from funds.models import (
    CollectiveDecision,
    Expenditure,
    FundYear,
    SpendingCategory,
    Voucher,
)
from funds.spending.invoices import InvoiceFacts, ascii_digits, is_digits
from townships.models import Township

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
VOUCHER_ACCEPT = ".pdf,.png,.jpg,.jpeg,.ofd"
#: A phone offers its camera for images; the server still checks every file's bytes.
VOUCHER_ACCEPT_CAMERA = "image/*,application/pdf," + VOUCHER_ACCEPT


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern): a list of uploads."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": VOUCHER_ACCEPT_CAMERA}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        cleaned = super().clean(data, initial)
        return [cleaned] if cleaned else []


class ExpenditureForm(forms.ModelForm):
    class Meta:
        model = Expenditure
        fields = ["date", "amount", "category", "purpose", "payee"]
        widgets = {"date": DATE_INPUT, "purpose": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"amount": _("In yuan, with at most two decimals.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.instance.category_id if self.instance.pk else None
        self.fields["category"].queryset = SpendingCategory.objects.filter(
            Q(is_active=True) | Q(pk=current))
        self.fields["amount"].widget.attrs.update(step="0.01", min="0.01")
        self.fields["purpose"].max_length = 2000

    def clean_date(self):
        date = self.cleaned_data["date"]
        if not FundYear.objects.filter(year=date.year).exists():
            raise forms.ValidationError(
                _("There is no fund year %(year)s: the date must fall in a year whose "
                  "budget is set up.") % {"year": date.year})
        return date


class NewExpenditureForm(ExpenditureForm):
    """A new expenditure, with its vouchers already (a phone offers its camera)."""

    voucher_kind = forms.ChoiceField(label=_("Kind of the files"),
                                     choices=Voucher.Kind.choices,
                                     initial=Voucher.Kind.INVOICE, required=False)
    vouchers = MultipleFileField(
        label=_("Vouchers (PDF, PNG or JPEG; several at once)"), required=False,
        help_text=_("Optional: the invoice, photos or the sign-in sheet may also follow "
                    "later."))

    def clean_voucher_kind(self):
        return self.cleaned_data.get("voucher_kind") or Voucher.Kind.INVOICE


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Reason"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class ApproveForm(forms.Form):
    opinion = forms.CharField(label=_("Opinion (审批意见)"), initial=_("Agreed"),
                              required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))
    override_reason = forms.CharField(
        label=_("Reason to approve beyond the remaining budget"), required=False,
        max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only when the budget stops the approval; administrators only."),
    )


class ReimburseForm(forms.Form):
    reimbursed_on = forms.DateField(label=_("Reimbursement date"), widget=DATE_INPUT)
    accounting_voucher = forms.CharField(label=_("Accounting voucher no. (会计凭证号)"),
                                         max_length=40)


class VoucherForm(forms.Form):
    """Files of one kind; for one invoice, its facts as read from its QR code (the page
    fills them in for the clerk to confirm) or typed; an administrator's reason lets an
    invoice already used elsewhere be recorded again."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Voucher.Kind.choices)
    file = MultipleFileField(label=_("Files (PDF, PNG, JPEG or OFD; several at once)"))
    invoice_number = forms.CharField(
        label=_("Invoice number"), required=False, max_length=20,
        help_text=_("8 digits, or 20 for an all-electronic invoice (数电票)."))
    invoice_code = forms.CharField(label=_("Invoice code"), required=False, max_length=12,
                                   help_text=_("10 or 12 digits; none on a 数电票."))
    invoice_date = forms.DateField(label=_("Invoice date"), required=False, widget=DATE_INPUT)
    invoice_amount = forms.DecimalField(label=_("Invoice amount (yuan)"), required=False,
                                        max_digits=14, decimal_places=2,
                                        min_value=Decimal("0.01"))
    invoice_seller = forms.CharField(label=_("Seller"), required=False, max_length=100)
    duplicate_reason = forms.CharField(
        label=_("Reason to allow an invoice used elsewhere (administrators)"),
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, may_allow_duplicate: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_allow_duplicate:
            del self.fields["duplicate_reason"]

    def clean(self):
        data = super().clean()
        number = ascii_digits(data.get("invoice_number"))
        code = ascii_digits(data.get("invoice_code"))
        data["invoice"] = None
        if not number:
            if code or data.get("invoice_date") or data.get("invoice_amount"):
                self.add_error("invoice_number", _("Give the invoice number."))
            return data
        if data.get("kind") != Voucher.Kind.INVOICE:
            raise forms.ValidationError(_("Invoice facts go with a file of the kind invoice."))
        if len(data.get("file") or []) > 1:
            raise forms.ValidationError(_("Typed invoice facts go with one invoice file."))
        if not is_digits(number, 8, 20):
            self.add_error("invoice_number", _("An invoice number has 8 or 20 digits."))
        elif len(number) == 8 and not is_digits(code, 10, 12):
            self.add_error("invoice_code", _("An 8-digit invoice number goes with its 10- or "
                                             "12-digit invoice code."))
        elif len(number) == 20 and code:
            self.add_error("invoice_code", _("An all-electronic invoice has no invoice code."))
        else:
            data["invoice"] = InvoiceFacts(
                number=number, code=code, date=data.get("invoice_date"),
                amount=data.get("invoice_amount"),
                seller=(data.get("invoice_seller") or "").strip())
        return data


class DecisionForm(forms.Form):
    meeting_type = forms.ChoiceField(label=_("Meeting type"),
                                     choices=CollectiveDecision.MeetingType.choices)
    meeting_date = forms.DateField(label=_("Meeting date"), widget=DATE_INPUT)
    attendance = forms.CharField(label=_("Attendance"), max_length=2000,
                                 widget=forms.Textarea(attrs={"rows": 2}),
                                 help_text=_("Who attended, and how many of how many members."))
    minutes_reference = forms.CharField(label=_("Minutes reference"), max_length=100,
                                        required=False)
    minutes_file = forms.FileField(label=_("Minutes (PDF, PNG or JPEG)"), required=False,
                                   widget=forms.ClearableFileInput(
                                       attrs={"accept": VOUCHER_ACCEPT}))

    def clean(self):
        data = super().clean()
        if not data.get("minutes_reference", "").strip() and not data.get("minutes_file"):
            raise forms.ValidationError(_("Give the minutes reference or attach the minutes."))
        return data


class DecisionCorrectForm(DecisionForm):
    """A recorded decision corrected, or its minutes attached later: the minutes already
    attached count."""

    def __init__(self, *args, has_minutes: bool = False, **kwargs):
        self.has_minutes = has_minutes
        super().__init__(*args, **kwargs)

    def clean(self):
        if self.has_minutes:
            return forms.Form.clean(self)
        return super().clean()


class InspectionForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DATE_INPUT)
    inspectors = forms.CharField(label=_("Inspectors"), max_length=200)
    # A list of 52 (31) checkboxes that a box above filters (static/js/checklist.js),
    # not a Ctrl-click list.
    townships = forms.ModelMultipleChoiceField(
        label=_("Townships"), queryset=Township.objects.none(),
        widget=forms.CheckboxSelectMultiple)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=4000,
                            widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["townships"].queryset = Township.objects.filter(
            last_year__isnull=True).order_by("code")
        self.fields["townships"].label_from_instance = lambda t: f"{t.name} {t.code}"


class FindingForm(forms.Form):
    township = forms.ModelChoiceField(label=_("Township"), queryset=Township.objects.none())
    description = forms.CharField(label=_("Finding"), max_length=4000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    deadline = forms.DateField(label=_("Rectification deadline"), widget=DATE_INPUT)
    amount_involved = forms.DecimalField(
        label=_("Amount involved (yuan)"), required=False, min_value=0, max_digits=14,
        decimal_places=2, help_text=_("The money the problem concerns; empty: none."))
    expenditures = forms.ModelMultipleChoiceField(
        label=_("Expenditures concerned"), required=False, queryset=Expenditure.objects.none())

    def __init__(self, *args, inspection, **kwargs):
        super().__init__(*args, **kwargs)
        townships = inspection.townships.order_by("code")
        self.fields["township"].queryset = townships
        self.fields["expenditures"].queryset = (
            Expenditure.objects.filter(township__in=townships)
            .exclude(status__in=[Expenditure.Status.DRAFT, Expenditure.Status.VOIDED])
            .select_related("township").order_by("township__code", "date"))
        self.fields["expenditures"].label_from_instance = (
            lambda e: f"{e.township.name} {e.date:%Y-%m-%d} {e.amount} {e.purpose[:20]}")


class FindingCloseForm(forms.Form):
    closure_note = forms.CharField(label=_("How it was rectified"), max_length=4000,
                                   widget=forms.Textarea(attrs={"rows": 2}))
    amount_restored = forms.DecimalField(
        label=_("Amount restored (yuan)"), required=False, min_value=0, max_digits=14,
        decimal_places=2, help_text=_("Paid back or put right; empty: none."))


class BatchApproveForm(forms.Form):
    """Several expenditures of the queue approved with one opinion."""

    selected = forms.ModelMultipleChoiceField(
        queryset=Expenditure.objects.select_related("township").order_by("date", "id"),
        error_messages={"required": _("Choose at least one expenditure.")})
    opinion = forms.CharField(label=_("Opinion (审批意见)"), initial=_("Agreed"),
                              required=False, max_length=2000)
