"""Who is behind: one table for the page and its CSV and Excel files."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from funds.budget.tables import MoneyColumn, RateColumn, YuanAsWanColumn
from wanyuan.money import format_percent, percent
from wanyuan.tables import OwnColumnsMixin


class PercentColumn(RateColumn):
    """A fraction (0.0593) shown as 5.93% and exported in percent."""

    def render(self, value):
        return format_percent(value)

    def value(self, value):
        return percent(value)


class CountColumn(tables.Column):
    attrs = {"td": {"class": "num"}, "th": {"class": "num"}}


class BehindTable(OwnColumnsMixin, tables.Table):
    """Per township: money, execution against time, and what waits (plain rows of
    ``funds.inspection.selectors.behind_list``); sortable; most behind first."""

    code = tables.Column(verbose_name=_("Official code"))
    name = tables.Column(verbose_name=_("Township"))
    allocation = YuanAsWanColumn(verbose_name=_("Allocation (10k yuan)"),
                                 export_header=_("Allocation (yuan)"))
    approved = YuanAsWanColumn(verbose_name=_("Approved, not yet reimbursed (10k yuan)"),
                               export_header=_("Approved, not yet reimbursed (yuan)"))
    reimbursed = YuanAsWanColumn(verbose_name=_("Reimbursed (10k yuan)"),
                                 export_header=_("Reimbursed (yuan)"))
    execution = PercentColumn(verbose_name=_("Execution rate"),
                              export_header=_("Execution rate (%)"))
    time = PercentColumn(verbose_name=_("Time progress"), export_header=_("Time progress (%)"))
    gap = MoneyColumn(verbose_name=_("Behind (points)"), export_header=_("Behind (points)"))
    open_flags = CountColumn(verbose_name=_("Open red flags"))
    waiting = CountColumn(verbose_name=_("Waiting for approval"))
    longest_wait = CountColumn(verbose_name=_("Longest wait (working days)"))
    overdue = CountColumn(verbose_name=_("Overdue findings"))

    plain_rows = True
    card_lead = ("name",)

    class Meta:
        fields = ("code", "name", "allocation", "approved", "reimbursed", "execution", "time",
                  "gap", "open_flags", "waiting", "longest_wait", "overdue")
        order_by = ("-gap", "code")
        attrs = {"class": "data-table behind"}
        empty_text = _("No township is in service in this year.")

    def __init__(self, *args, fund_year, behind_points, **kwargs):
        self.fund_year = fund_year
        self.behind_points = behind_points
        super().__init__(*args, **kwargs)

    def render_name(self, record, value):
        url = reverse("red-flags", args=[self.fund_year.year]) + f"?township={record['code']}"
        return format_html('<a href="{}">{}</a>', url, value)

    def render_gap(self, value):
        css = "error" if value > self.behind_points else ""
        return format_html('<span class="{}">{}</span>', css, f"{value:.2f}")

    def value_gap(self, value):
        return value
