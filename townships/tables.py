"""Tables of townships, rankings and the audit history (django-tables2)."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from townships.accounts import display_name
from townships.models import AuditEvent, Category, CategoryChange, Township
from wanyuan.tables import LocalDateTimeColumn, OwnColumnsMixin


class PersonColumn(tables.Column):
    """A user by name (townships.accounts.display_name), sorted by family name."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", "—")
        super().__init__(*args, **kwargs)

    def order(self, queryset, is_descending):
        prefix = "-" if is_descending else ""
        field = self.accessor.replace(".", "__")
        return (queryset.order_by(f"{prefix}{field}__last_name", f"{prefix}{field}__first_name",
                                  f"{prefix}{field}__username"), True)

    def render(self, value):
        return display_name(value)

    def value(self, value):
        return display_name(value)


class RecordedActorColumn(tables.Column):
    """Who acted, as named when they acted (``RecordsActor``), with the user name."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", "—")
        kwargs.setdefault("accessor", "actor_name")
        kwargs.setdefault("order_by", ("actor_name", "actor_username"))
        super().__init__(*args, **kwargs)

    def render(self, record):
        return record.recorded_actor_and_username

    def value(self, record):
        return record.recorded_actor_and_username


def _category_badge(value):
    if value not in Category.values:
        return "—"
    return format_html('<span class="tier tier-{}">{}</span>', value, Category(value).label)


def _township_link(township_code, name):
    return format_html('<a href="{}">{}</a>', reverse("township-detail", args=[township_code]),
                       name)


class TownshipTable(OwnColumnsMixin, tables.Table):
    code = tables.Column(verbose_name=_("Official code"))
    name = tables.Column(verbose_name=_("Township"))
    kind = tables.Column(verbose_name=_("Kind"))
    category = tables.Column(verbose_name=_("Category"), default="—")
    first_year = tables.Column(verbose_name=_("In service from"), default="—")
    last_year = tables.Column(verbose_name=_("In service until"), default="—")
    merged_into = tables.Column(verbose_name=_("Merged into"), default="—",
                                order_by=("merged_into__code",))

    class Meta:
        model = Township
        fields = ("code", "name", "kind", "category", "first_year", "last_year", "merged_into")
        order_by = ("code",)
        attrs = {"class": "data-table"}
        empty_text = _("No township matches the filter.")

    def render_name(self, record, value):
        return _township_link(record.code, value)

    def render_kind(self, record):
        return record.get_kind_display()

    def render_category(self, value):
        return _category_badge(value)

    def render_merged_into(self, value):
        return _township_link(value.code, value.name)


class RankingTable(OwnColumnsMixin, tables.Table):
    rank = tables.Column(verbose_name=_("Rank"), attrs={"td": {"class": "num"},
                                                        "th": {"class": "num"}})
    code = tables.Column(verbose_name=_("Official code"), accessor="township__code")
    name = tables.Column(verbose_name=_("Township"), accessor="township__name")
    score = tables.Column(verbose_name=_("Score"), default="—",
                          attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    category = tables.Column(verbose_name=_("Category this year"), default="—")
    next_category = tables.Column(verbose_name=_("Category next year"), default="—")

    class Meta:
        order_by = ("rank",)
        attrs = {"class": "data-table"}
        empty_text = _("No township matches the filter.")

    def render_name(self, record, value):
        return _township_link(record.township.code, value)

    def render_category(self, value):
        return _category_badge(value)

    def render_next_category(self, record, value):
        badge = _category_badge(value)
        if record.category and value and value != record.category:
            arrow = "↑" if value < record.category else "↓"
            css = "promoted" if value < record.category else "demoted"
            return format_html('{} <span class="move {}">{}</span>', badge, css, arrow)
        return badge


class CategoryChangeTable(OwnColumnsMixin, tables.Table):
    changed_at = LocalDateTimeColumn(verbose_name=_("Time"), format="Y-m-d H:i")
    year = tables.Column(verbose_name=_("Year"))
    township = tables.Column(verbose_name=_("Township"), order_by=("township__code",))
    old_category = tables.Column(verbose_name=_("Old category"), default="—")
    new_category = tables.Column(verbose_name=_("New category"), default="—")
    source = tables.Column(verbose_name=_("Source"))
    reason = tables.Column(verbose_name=_("Reason"), orderable=False)
    changed_by = RecordedActorColumn(verbose_name=_("Changed by"))

    class Meta:
        model = CategoryChange
        fields = ("changed_at", "year", "township", "old_category", "new_category", "source",
                  "reason", "changed_by")
        order_by = ("-changed_at",)
        attrs = {"class": "data-table"}
        empty_text = _("No category change matches the filter.")

    def render_township(self, value):
        return _township_link(value.code, value.name)

    # The raw number from the record: for a field with choices django-tables2 would pass
    # the display label as the value.
    def render_old_category(self, record):
        return _category_badge(record.old_category)

    def render_new_category(self, record):
        return _category_badge(record.new_category)

    def render_source(self, record):
        return record.get_source_display()


class AuditEventTable(OwnColumnsMixin, tables.Table):
    created_at = LocalDateTimeColumn(verbose_name=_("Time"), format="Y-m-d H:i")
    action = tables.Column(verbose_name=_("Action"))
    year = tables.Column(verbose_name=_("Year"), default="—")
    summary = tables.Column(verbose_name=_("Summary"), orderable=False)
    actor = RecordedActorColumn(verbose_name=_("User"))

    class Meta:
        model = AuditEvent
        fields = ("created_at", "action", "year", "summary", "actor")
        order_by = ("-created_at",)
        attrs = {"class": "data-table"}
        empty_text = _("No yearly operation has been recorded yet.")

    def render_action(self, record):
        return record.get_action_display()
