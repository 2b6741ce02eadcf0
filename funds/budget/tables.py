import functools

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from funds.budget.selectors import TownshipBudget
from townships.models import Category, TownshipKind
from wanyuan.money import cents_to_yuan, format_percent, format_wan, percent, to_yuan
from wanyuan.tables import OwnColumnsMixin


class MoneyColumn(tables.Column):
    """An amount or a rate: right-aligned; exported as a number (``export_format``) under
    its ``export_header`` (the page's header says 万元, the file's yuan)."""

    attrs = {"td": {"class": "num"}, "th": {"class": "num"}, "tf": {"class": "num"}}
    export_format = "yuan"

    def __init__(self, *args, export_header=None, **kwargs):
        self.export_header = export_header
        super().__init__(*args, **kwargs)


class RateColumn(MoneyColumn):
    export_format = "percent"


class YuanAsWanColumn(MoneyColumn):
    """An amount in yuan (Decimal or integer cents) shown in 万元, exported in yuan."""

    def __init__(self, *args, cents=False, **kwargs):
        self.cents = cents
        super().__init__(*args, **kwargs)

    def render(self, value):
        return format_wan(cents_to_yuan(value) if self.cents else value)

    def value(self, value):
        return cents_to_yuan(value) if self.cents else to_yuan(value)


#: The fields of an allocation row the money tables read (funds.budget.selectors).
ALLOCATION_FIELDS = ("pk", "code", "name", "kind", "category", "rank", "floor_amount",
                     "standard_amount", "total_amount", "approved_cents", "reimbursed_cents")


def _category_labels() -> dict:
    """Each category's label in the active language, and "not set" for None: worked out
    once per table, not once per exported row."""
    return {None: str(_("not set"))} | {c: str(label) for c, label in Category.choices}


@functools.lru_cache(maxsize=4096)
def _rate_of(allocation, reimbursed_cents):
    """The execution rate in percent of an allocation and what was reimbursed of it: the
    same few pairs repeat down a column (most townships share their category's amount)."""
    return percent(TownshipBudget.of_row(to_yuan(allocation), None,
                                         reimbursed_cents).execution_rate)


def _budget(record) -> TownshipBudget:
    return TownshipBudget.of_row(to_yuan(record["total_amount"]), record["approved_cents"],
                                 record["reimbursed_cents"])


class AllocationTable(OwnColumnsMixin, tables.Table):
    """A year's allocation per township, over plain rows (``ALLOCATION_FIELDS``): amounts
    in 万元 on the page, yuan in its CSV and Excel files, which are made from these
    columns (``wanyuan.tables.export_rows``)."""

    code = tables.Column(verbose_name=_("Official code"))
    name = tables.Column(verbose_name=_("Township"), footer=_("Total"))
    kind = tables.Column(verbose_name=_("Kind"))
    category = tables.Column(verbose_name=_("Category"), default="—")
    rank = tables.Column(verbose_name=_("Rank"), default="—",
                         attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    # Sorting uses the amounts annotated in the query; footers are the budget check of
    # every filtered row, not the sum of one page.
    floor = YuanAsWanColumn(verbose_name=_("Floor (10k yuan)"), accessor="floor_amount",
                            export_header=_("Floor (yuan)"),
                            footer=lambda table: table.footer_amount("floors_total"))
    standard = YuanAsWanColumn(verbose_name=_("Standard (10k yuan)"),
                               accessor="standard_amount", export_header=_("Standard (yuan)"),
                               footer=lambda table: table.footer_amount("standards_total"))
    total = YuanAsWanColumn(verbose_name=_("Total (10k yuan)"), accessor="total_amount",
                            export_header=_("Total (yuan)"),
                            footer=lambda table: table.footer_amount("grand_total"))
    reimbursed = YuanAsWanColumn(verbose_name=_("Reimbursed (10k yuan)"), cents=True,
                                 accessor="reimbursed_cents", empty_values=(),
                                 export_header=_("Reimbursed (yuan)"),
                                 footer=lambda table: table.footer_execution("reimbursed"))
    rate = RateColumn(verbose_name=_("Execution rate"), empty_values=(), orderable=False,
                      export_header=_("Execution rate (%)"),
                      footer=lambda table: table.footer_execution("execution_rate"))

    #: rows are plain dicts: the project's row template renders them (templatetags/cards)
    plain_rows = True

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
        self.badges = {c: format_html('<span class="tier tier-{}">{}</span>', c,
                                      Category(c).label) for c in Category.values}
        self.kinds = dict(TownshipKind.choices)
        self.category_labels = _category_labels()
        super().__init__(*args, **kwargs)

    def render_name(self, record, value):
        return format_html('<a href="{}">{}</a>',
                           reverse("township-detail", args=[record["code"]]), value)

    def render_kind(self, value):
        return self.kinds.get(value, value)

    def value_kind(self, value):
        return str(self.kinds.get(value, value))

    def render_category(self, value):
        return self.badges[value]

    def value_category(self, value):
        return self.category_labels[value]

    def value_rank(self, value):
        return "" if value is None else value

    def render_rate(self, record):
        return format_percent(_budget(record).execution_rate)

    def value_rate(self, record):
        return _rate_of(record["total_amount"], record["reimbursed_cents"])

    def footer_amount(self, attribute):
        return format_wan(getattr(self.budget, attribute)) if self.budget else ""

    def footer_execution(self, attribute):
        if self.execution is None:
            return ""
        value = getattr(self.execution, attribute)
        return format_percent(value) if attribute == "execution_rate" else format_wan(value)

    def export_totals(self) -> dict:
        """The totals row of the exports: the budget check and the execution, in yuan."""
        return {"code": str(_("Total")),
                "name": str(_("%(n)s townships")) % {"n": self.budget.township_count},
                "floor": self.budget.floors_total, "standard": self.budget.standards_total,
                "total": self.budget.grand_total, "reimbursed": self.execution.reimbursed,
                "rate": percent(self.execution.execution_rate)}


class ExecutionTable(OwnColumnsMixin, tables.Table):
    """A year's execution per township over plain rows (``ALLOCATION_FIELDS``): budget,
    spending and the execution rate; its files are made from these columns."""

    code = tables.Column(verbose_name=_("Official code"))
    name = tables.Column(verbose_name=_("Township"), footer=_("Total"))
    category = tables.Column(verbose_name=_("Category"), default="—")
    allocation = YuanAsWanColumn(verbose_name=_("Allocation (10k yuan)"),
                                 accessor="total_amount", export_header=_("Allocation (yuan)"),
                                 footer=lambda table: format_wan(table.totals.allocation))
    approved = YuanAsWanColumn(verbose_name=_("Approved, not yet reimbursed (10k yuan)"),
                               accessor="approved_cents", cents=True, empty_values=(),
                               export_header=_("Approved, not yet reimbursed (yuan)"),
                               footer=lambda table: format_wan(table.totals.approved))
    reimbursed = YuanAsWanColumn(verbose_name=_("Reimbursed (10k yuan)"),
                                 accessor="reimbursed_cents", cents=True, empty_values=(),
                                 export_header=_("Reimbursed (yuan)"),
                                 footer=lambda table: format_wan(table.totals.reimbursed))
    remaining = MoneyColumn(verbose_name=_("Remaining (10k yuan)"), empty_values=(),
                            orderable=False, export_header=_("Remaining (yuan)"),
                            footer=lambda table: format_wan(table.totals.remaining))
    rate = RateColumn(verbose_name=_("Execution rate"), empty_values=(), orderable=False,
                      export_header=_("Execution rate (%)"),
                      footer=lambda table: format_percent(table.totals.execution_rate))

    plain_rows = True

    class Meta:
        fields = ("code", "name", "category", "allocation", "approved", "reimbursed",
                  "remaining", "rate")
        order_by = ("code",)
        attrs = {"class": "data-table"}
        empty_text = _("No township is in service in this year.")

    def __init__(self, *args, fund_year, totals, **kwargs):
        self.fund_year = fund_year
        self.totals = totals
        self.category_labels = _category_labels()
        super().__init__(*args, **kwargs)

    def render_name(self, record, value):
        url = reverse("ledger", args=[record["code"], self.fund_year.year])
        return format_html('<a href="{}">{}</a>', url, value)

    def render_category(self, value):
        return format_html('<span class="tier tier-{}">{}</span>', value, Category(value).label)

    def value_category(self, value):
        return self.category_labels[value]

    def render_remaining(self, record):
        return format_wan(_budget(record).remaining)

    def value_remaining(self, record):
        return _budget(record).remaining

    def render_rate(self, record):
        return format_percent(_budget(record).execution_rate)

    def value_rate(self, record):
        return _rate_of(record["total_amount"], record["reimbursed_cents"])

    def export_totals(self) -> dict:
        return {"code": str(_("Total")), "allocation": self.totals.allocation,
                "approved": self.totals.approved, "reimbursed": self.totals.reimbursed,
                "remaining": self.totals.remaining,
                "rate": percent(self.totals.execution_rate)}
