"""Tables of the spending loop: the approval queue, the execution and the inspections."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from funds.budget.tables import MoneyColumn
from townships.tables import PersonColumn
from wanyuan.money import format_yuan, to_yuan
from wanyuan.tables import LocalDateTimeColumn, OwnColumnsMixin


class SelectColumn(tables.CheckBoxColumn):
    """A checkbox per row with a plain header: no "select all" box, which would need a
    script to do anything."""

    @property
    def header(self):
        return self.verbose_name


class ApprovalQueueTable(OwnColumnsMixin, tables.Table):
    """Submitted expenditures waiting for a decision, oldest first."""

    # ticked for a batch approval (the form around the table, approval_queue.html)
    selected = SelectColumn(verbose_name=_("Select"), accessor="pk", orderable=False,
                            exclude_from_export=True,
                            attrs={"td__input": {"form": "batch-approval",
                                                 "aria-label": _("Select")}})
    submitted = LocalDateTimeColumn(verbose_name=_("Submitted"), accessor="submitted_at",
                                      format="Y-m-d H:i")
    year = tables.Column(verbose_name=_("Year"))
    township = tables.Column(verbose_name=_("Township"), order_by=("township__code",))
    date = LocalDateTimeColumn(verbose_name=_("Date"), format="Y-m-d")
    category = tables.Column(verbose_name=_("Spending category"))
    purpose = tables.Column(verbose_name=_("Purpose"), orderable=False)
    # A single expenditure in yuan with thousands separators (allocations are in 万元)
    amount = MoneyColumn(verbose_name=_("Amount (yuan)"))
    flags = tables.Column(verbose_name=_("Needs"), empty_values=(), orderable=False)
    submitted_by = PersonColumn(verbose_name=_("Submitted by"))

    card_lead = ("purpose", "amount", "flags")

    class Meta:
        fields = ("selected", "submitted", "year", "township", "date", "category", "purpose",
                  "amount", "flags", "submitted_by")
        order_by = ("submitted",)
        attrs = {"class": "data-table"}
        empty_text = _("Nothing is waiting for approval.")

    def __init__(self, *args, fund_years, **kwargs):
        self.fund_years = fund_years  # year → FundYear
        self.budgets = {}  # (township id, year) → TownshipBudget, of the page shown
        super().__init__(*args, **kwargs)

    def render_amount(self, value):
        return format_yuan(value)

    def render_purpose(self, record, value):
        url = reverse("expenditure-detail", args=[record.pk])
        return format_html('<a href="{}">{}</a>', url, value[:40])

    def flags_of(self, record) -> list[str]:
        """What the approver must look at: 大额无决策, 超预算, 无发票."""
        flags = []
        fund_year = self.fund_years.get(record.year)
        if fund_year is not None and record.needs_decision(fund_year):
            flags.append(_("Large: collective decision missing"))
        budget = self.budgets.get((record.township_id, record.year))
        if budget is not None and not budget.covers(record.amount):
            flags.append(_("Beyond the remaining budget"))
        if not record.has_invoice:
            flags.append(_("No invoice yet"))
        return flags

    def render_flags(self, record):
        flags = self.flags_of(record)
        if not flags:
            return "—"
        return format_html_join(" ", '<span class="warning">{}</span>',
                                ((flag,) for flag in flags))

    def value_flags(self, record):
        return "；".join(str(flag) for flag in self.flags_of(record))


class InspectionTable(OwnColumnsMixin, tables.Table):
    date = LocalDateTimeColumn(verbose_name=_("Date"), format="Y-m-d")
    inspectors = tables.Column(verbose_name=_("Inspectors"))
    township_names = tables.Column(verbose_name=_("Townships"), empty_values=(),
                                   orderable=False)
    open_findings = tables.Column(verbose_name=_("Open findings"),
                                  attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    findings_count = tables.Column(verbose_name=_("Findings"),
                                   attrs={"td": {"class": "num"}, "th": {"class": "num"}})

    class Meta:
        fields = ("date", "inspectors", "township_names", "findings_count", "open_findings")
        order_by = ("-date",)
        attrs = {"class": "data-table"}
        empty_text = _("No inspection has been recorded yet.")

    def render_inspectors(self, record, value):
        url = reverse("inspection-detail", args=[record.pk])
        return format_html('<a href="{}">{}</a>', url, value)

    def render_township_names(self, record):
        return "、".join(t.name for t in record.townships.all())

    def render_open_findings(self, value):
        if value:
            return format_html('<span class="warning">{}</span>', value)
        return value


class ExpenditureSearchTable(OwnColumnsMixin, tables.Table):
    """The expenditures a search found."""

    date = LocalDateTimeColumn(verbose_name=_("Date"), format="Y-m-d")
    township = tables.Column(verbose_name=_("Township"), order_by=("township__code",))
    purpose = tables.Column(verbose_name=_("Purpose"))
    payee = tables.Column(verbose_name=_("Payee"))
    category = tables.Column(verbose_name=_("Spending category"))
    amount = MoneyColumn(verbose_name=_("Amount (yuan)"))
    status = tables.Column(verbose_name=_("Status"))

    card_lead = ("purpose", "amount", "status")

    class Meta:
        fields = ("date", "township", "purpose", "payee", "category", "amount", "status")
        order_by = ("-date",)
        attrs = {"class": "data-table"}
        empty_text = _("No expenditure matches.")

    def render_amount(self, value):
        return format_yuan(value)

    def render_purpose(self, record, value):
        url = reverse("expenditure-detail", args=[record.pk])
        return format_html('<a href="{}">{}</a>', url, value[:60])

    def render_status(self, record):
        return format_html('<span class="status status-{}">{}</span>', record.status,
                           record.get_status_display())

    def value_status(self, record):
        return record.get_status_display()


class PaymentTable(OwnColumnsMixin, tables.Table):
    """A month's payments with their accounting vouchers, for reconciliation."""

    accounting_voucher = tables.Column(verbose_name=_("Accounting voucher no."),
                                       footer=_("Total"))
    reimbursed_on = LocalDateTimeColumn(verbose_name=_("Reimbursement date"), format="Y-m-d")
    township = tables.Column(verbose_name=_("Township"), order_by=("township__code",))
    amount = MoneyColumn(verbose_name=_("Amount (yuan)"),
                         footer=lambda table: format_yuan(table.total))
    payee = tables.Column(verbose_name=_("Payee"))
    purpose = tables.Column(verbose_name=_("Purpose"), orderable=False)
    year = tables.Column(verbose_name=_("Year"))
    reimbursed_by = PersonColumn(verbose_name=_("Payment recorded by"))

    class Meta:
        fields = ("accounting_voucher", "reimbursed_on", "township", "amount", "payee",
                  "purpose", "year", "reimbursed_by")
        attrs = {"class": "data-table"}
        orderable = False  # in the order of the vouchers, as the accounting system lists them
        empty_text = _("No payment was recorded in this month.")

    def __init__(self, data, **kwargs):
        rows = list(data)
        self.total = sum((row.amount for row in rows), to_yuan(0))
        super().__init__(rows, **kwargs)

    def render_amount(self, value):
        return format_yuan(value)

    def render_purpose(self, record, value):
        url = reverse("expenditure-detail", args=[record.pk])
        return format_html('<a href="{}">{}</a>', url, value[:40])
