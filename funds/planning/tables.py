"""Tables of the planner: a scenario's lines per township."""

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from funds.budget.tables import MoneyColumn
from funds.models import PlanLine
from wanyuan.money import format_wan, format_yuan


class WanColumn(MoneyColumn):
    """万元 on screen, the exact yuan in the title; yuan in exports."""

    def render(self, value):
        return format_html('<span title="{} 元">{}</span>', format_yuan(value),
                           format_wan(value))

    def value(self, value):
        return value


class PlanLineTable(tables.Table):
    code = tables.Column(verbose_name=_("Official code"), accessor="township__code")
    name = tables.Column(verbose_name=_("Township"), accessor="township__name")
    category = tables.Column(verbose_name=_("Category"), default="—")
    standard = WanColumn(verbose_name=_("Standard (10k yuan)"))
    floor = WanColumn(verbose_name=_("Floor (10k yuan)"))
    total = WanColumn(verbose_name=_("Total (10k yuan)"))

    class Meta:
        model = PlanLine
        fields = ("code", "name", "category", "standard", "floor", "total")
        order_by = ("code",)
        attrs = {"class": "data-table"}

    def render_category(self, record, value):
        return format_html('<span class="tier tier-{}">{}</span>', record.category, value)
