import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from townships.models import Category
from wanyuan.money import format_wan


class MoneyColumn(tables.Column):
    attrs = {"td": {"class": "num"}, "th": {"class": "num"}, "tf": {"class": "num"}}


class AllocationTable(tables.Table):
    """A year's allocation per township; amounts in 万元 on screen, yuan in exports."""

    code = tables.Column(verbose_name=_("Official code"))
    name = tables.Column(verbose_name=_("Township"), footer=_("Total"))
    kind = tables.Column(verbose_name=_("Kind"))
    category = tables.Column(verbose_name=_("Category"), default="—")
    rank = tables.Column(verbose_name=_("Rank"), default="—",
                         attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    # Amounts come from the fund year; sorting uses the standard annotated in the query.
    # Footers are the budget check of all filtered rows, not the sum of one page.
    floor = MoneyColumn(verbose_name=_("Floor (10k yuan)"), accessor="standard_amount",
                        order_by=("standard_amount",), empty_values=(),
                        footer=lambda table: table.footer_amount("floors_total"))
    standard = MoneyColumn(verbose_name=_("Standard (10k yuan)"), accessor="standard_amount",
                           order_by=("standard_amount",), empty_values=(),
                           footer=lambda table: table.footer_amount("standards_total"))
    total = MoneyColumn(verbose_name=_("Total (10k yuan)"), accessor="standard_amount",
                        order_by=("standard_amount",), empty_values=(),
                        footer=lambda table: table.footer_amount("grand_total"))

    class Meta:
        fields = ("code", "name", "kind", "category", "rank", "floor", "standard", "total")
        order_by = ("code",)
        attrs = {"class": "data-table allocation-table"}
        empty_text = _("No township is in service in this year.")

    def __init__(self, *args, fund_year, budget=None, **kwargs):
        self.fund_year = fund_year
        self.budget = budget
        super().__init__(*args, **kwargs)

    def render_name(self, record, value):
        url = reverse("township-detail", args=[record.code])
        return format_html('<a href="{}">{}</a>', url, value)

    def value_name(self, value):
        return value

    def render_kind(self, record):
        return record.get_kind_display()

    def value_kind(self, record):
        return str(record.get_kind_display())

    def render_category(self, value):
        return format_html('<span class="tier tier-{}">{}</span>', value, Category(value).label)

    def value_category(self, value):
        return str(Category(value).label) if value else ""

    def render_floor(self, record):
        return format_wan(self.fund_year.floor_for(record.category))

    def value_floor(self, record):
        return self.fund_year.floor_for(record.category)

    def render_standard(self, record):
        return format_wan(self.fund_year.standard_for(record.category))

    def value_standard(self, record):
        return self.fund_year.standard_for(record.category)

    def render_total(self, record):
        return format_wan(self.fund_year.allocation_for(record.category))

    def value_total(self, record):
        return self.fund_year.allocation_for(record.category)

    def footer_amount(self, attribute):
        return format_wan(getattr(self.budget, attribute)) if self.budget else ""
