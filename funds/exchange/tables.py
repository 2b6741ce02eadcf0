"""The upper level's dashboard: one table for the page and its CSV and Excel files, per
child unit (the counties of a city, the cities of a province) or per township of a
county's received set."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from funds.budget.tables import MoneyColumn, YuanAsWanColumn
from funds.inspection.tables import CountColumn, PercentColumn
from funds.models import OrgUnit, Submission
from wanyuan.tables import OwnColumnsMixin

STATES = dict(Submission.State.choices)


class UpperTable(OwnColumnsMixin, tables.Table):
    code = tables.Column(verbose_name=_("Official code"))
    name = tables.Column(verbose_name=_("Name"), attrs={"td": {"class": "nowrap"}})
    state = tables.Column(verbose_name=_("Report"), empty_values=(),
                          attrs={"td": {"class": "nowrap"}})
    townships = CountColumn(verbose_name=_("Townships"))
    cat_1 = CountColumn(accessor="CAT_1", verbose_name=_("Category 1"))
    cat_2 = CountColumn(accessor="CAT_2", verbose_name=_("Category 2"))
    cat_3 = CountColumn(accessor="CAT_3", verbose_name=_("Category 3"))
    allocation = YuanAsWanColumn(accessor="ALLOCATION", verbose_name=_("Allocation (10k yuan)"),
                                 export_header=_("Allocation (yuan)"))
    committed = YuanAsWanColumn(accessor="COMMITTED",
                                verbose_name=_("Approved, not yet reimbursed (10k yuan)"),
                                export_header=_("Approved, not yet reimbursed (yuan)"))
    paid = YuanAsWanColumn(accessor="PAID", verbose_name=_("Reimbursed (10k yuan)"),
                           export_header=_("Reimbursed (yuan)"))
    execution = PercentColumn(verbose_name=_("Execution rate"),
                              export_header=_("Execution rate (%)"))
    time = PercentColumn(verbose_name=_("Time progress"), export_header=_("Time progress (%)"))
    gap = MoneyColumn(verbose_name=_("Behind (points)"), export_header=_("Behind (points)"))
    open_findings = CountColumn(accessor="OPEN_FINDINGS", verbose_name=_("Open findings"))

    plain_rows = True
    card_lead = ("name",)

    class Meta:
        fields = ("code", "name", "state", "townships", "cat_1", "cat_2", "cat_3",
                  "allocation", "committed", "paid", "execution", "time", "gap",
                  "open_findings")
        order_by = ("code",)
        attrs = {"class": "data-table upper"}
        empty_text = _("Nothing is received for this year.")

    def __init__(self, *args, period: int, drill: bool, **kwargs):
        self.period, self.drill = period, drill
        super().__init__(*args, **kwargs)
        if not drill:  # townships: their own category, no counts of units
            self.columns.hide("state")

    def render_name(self, record, value):
        if not self.drill:
            return value
        url = reverse("upper-unit", args=[self.period, record["code"]])
        return format_html('<a href="{}">{}</a>', url, value)

    def _state(self, record) -> str:
        if record["level"] == OrgUnit.Level.COUNTY:
            return str(STATES.get(record["state"], _("Not submitted")))
        return str(_("%(reported)s of %(counties)s counties") % {
            "reported": record["reported"], "counties": record["counties"]})

    def render_state(self, record):
        text = self._state(record)
        css = "ok" if record["state"] == Submission.State.ACCEPTED else (
            "warning" if record["level"] == OrgUnit.Level.COUNTY and not record["state"]
            else "")
        return format_html('<span class="{}">{}</span>', css, text)

    def value_state(self, record):
        return self._state(record)

    def render_gap(self, value):
        return f"{value:.2f}"
