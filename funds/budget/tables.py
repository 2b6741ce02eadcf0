import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from funds.budget.selectors import TownshipBudget
from townships.models import Category, TownshipKind
from wanyuan.money import cents_to_yuan, format_percent, format_wan, to_yuan
from wanyuan.tables import OwnColumnsMixin


class MoneyColumn(tables.Column):
    attrs = {"td": {"class": "num"}, "th": {"class": "num"}, "tf": {"class": "num"}}


class YuanAsWanColumn(MoneyColumn):
    """An amount in yuan (Decimal or integer cents) shown in 万元."""

    def __init__(self, *args, cents=False, **kwargs):
        self.cents = cents
        super().__init__(*args, **kwargs)

    def render(self, value):
        return format_wan(cents_to_yuan(value) if self.cents else value)

    def value(self, value):
        return cents_to_yuan(value) if self.cents else value


PLACEHOLDER_CODE = "999999999999"


class AllocationTable(OwnColumnsMixin, tables.Table):
    """A year's allocation per township; amounts in 万元 on screen, yuan in exports."""

    code = tables.Column(verbose_name=_("Official code"))
    name = tables.Column(verbose_name=_("Township"), footer=_("Total"))
    kind = tables.Column(verbose_name=_("Kind"))
    category = tables.Column(verbose_name=_("Category"), default="—")
    rank = tables.Column(verbose_name=_("Rank"), default="—",
                         attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    # Amounts come from the fund year; sorting uses the standard annotated in the query.
    # Footers are the budget check of all filtered rows, not the sum of one page.
    floor = MoneyColumn(verbose_name=_("Floor (10k yuan)"), accessor="floor_amount",
                        order_by=("floor_amount",), empty_values=(),
                        footer=lambda table: table.footer_amount("floors_total"))
    standard = MoneyColumn(verbose_name=_("Standard (10k yuan)"), accessor="standard_amount",
                           order_by=("standard_amount",), empty_values=(),
                           footer=lambda table: table.footer_amount("standards_total"))
    total = MoneyColumn(verbose_name=_("Total (10k yuan)"), accessor="total_amount",
                        order_by=("total_amount",), empty_values=(),
                        footer=lambda table: table.footer_amount("grand_total"))
    # Spending (present when the rows come through selectors.with_spending)
    reimbursed = YuanAsWanColumn(verbose_name=_("Reimbursed (10k yuan)"), cents=True,
                                 accessor="reimbursed_cents", empty_values=(),
                                 footer=lambda table: table.footer_execution("reimbursed"))
    rate = MoneyColumn(verbose_name=_("Execution rate"), empty_values=(), orderable=False,
                       footer=lambda table: table.footer_execution("execution_rate"))

    class Meta:
        fields = ("code", "name", "kind", "category", "rank", "floor", "standard", "total",
                  "reimbursed", "rate")
        order_by = ("code",)
        attrs = {"class": "data-table allocation-table"}
        empty_text = _("No township is in service in this year.")

    def __init__(self, *args, fund_year, budget=None, execution=None, **kwargs):
        self.fund_year = fund_year
        self.budget = budget
        self.execution = execution
        # The amounts are the rows' (allocation_list: the category's formula or the
        # adopted plan's line); each distinct amount is formatted once, not once per cell.
        self.shown = {}
        self.badges = {c: format_html('<span class="tier tier-{}">{}</span>', c,
                                      Category(c).label) for c in Category.values}
        self.kinds = dict(TownshipKind.choices)
        # reversed once with a placeholder that the code converter accepts (digits)
        self.detail_url = reverse("township-detail", args=[PLACEHOLDER_CODE]).replace(
            PLACEHOLDER_CODE, "{}")
        super().__init__(*args, **kwargs)

    def render_name(self, record, value):
        return format_html('<a href="{}">{}</a>', self.detail_url.format(record.code), value)

    def value_name(self, value):
        return value

    def render_kind(self, value):
        return self.kinds.get(value, value)

    def value_kind(self, value):
        return str(self.kinds.get(value, value))

    def render_category(self, value):
        return self.badges[value]

    def value_category(self, value):
        return str(Category(value).label) if value else ""

    def _wan(self, amount):
        shown = self.shown.get(amount)
        if shown is None:
            shown = self.shown[amount] = format_wan(amount)
        return shown

    def render_floor(self, record):
        return self._wan(record.floor_amount)

    def value_floor(self, record):
        return to_yuan(record.floor_amount)

    def render_standard(self, record):
        return self._wan(record.standard_amount)

    def value_standard(self, record):
        return to_yuan(record.standard_amount)

    def render_total(self, record):
        return self._wan(record.total_amount)

    def value_total(self, record):
        return to_yuan(record.total_amount)

    def footer_amount(self, attribute):
        return format_wan(getattr(self.budget, attribute)) if self.budget else ""

    def footer_execution(self, attribute):
        if self.execution is None:
            return ""
        value = getattr(self.execution, attribute)
        return format_percent(value) if attribute == "execution_rate" else format_wan(value)

    def render_rate(self, record):
        budget = TownshipBudget.of_row(to_yuan(record.total_amount), None,
                                       record.reimbursed_cents)
        return format_percent(budget.execution_rate)
