"""Shared pieces of the django-tables2 tables: the guards every list table has, and a
column of local dates and times."""

from __future__ import annotations

import datetime
import inspect
from collections.abc import Iterator

from django.core.paginator import Paginator
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django_tables2 import Column

#: Rows per page a visitor may ask for with ``?per_page=``: a negative or zero number
#: breaks the paginator, a huge one turns a page into an export.
PER_PAGE_MIN, PER_PAGE_MAX = 10, 200


def clamp_per_page(value, default: int) -> int:
    """``value`` (a number, text or None) as rows per page within the bounds; anything
    that is not a whole number gives ``default``."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        number = default
    return min(max(number, PER_PAGE_MIN), PER_PAGE_MAX)


class OwnColumnsMixin:
    """The guards of every list table: rows per page within bounds, and sorting only by
    the table's own columns."""

    #: Names of the columns a phone shows first on each row's card (amount, status,
    #: purpose, the link): templates/django_tables2/cards.html marks their cells.
    card_lead: tuple[str, ...] = ()

    def paginate(self, paginator_class=Paginator, per_page=None, page=1, *args, **kwargs):
        """Every list page paginates through here (django-tables2's RequestConfig passes
        ``?per_page=`` as it comes): the number of rows is kept within the bounds."""
        per_page = clamp_per_page(per_page, self._meta.per_page)
        return super().paginate(paginator_class, per_page, page, *args, **kwargs)

    @property
    def order_by(self):
        return super().order_by

    @order_by.setter
    def order_by(self, value):
        """Sort only by names of columns: django-tables2 reads every name of ``?sort=``
        as an accessor first, and a crafted one ("a.b") meets a deprecated path of it."""
        names = value.split(",") if isinstance(value, str) else (value or ())
        known = [name for name in names if str(name).lstrip("-") in self.columns]
        super(OwnColumnsMixin, type(self)).order_by.fset(self, known)


class LocalDateTimeColumn(Column):
    """A date, or a date and time in the site's time zone, formatted in Python."""

    attrs = {"td": {"class": "date"}}  # kept on one line: "2020-03-20", not "2020-03-" "20"

    def __init__(self, *args, format="Y-m-d H:i", **kwargs):  # noqa: A002 - as tables2 names it
        self.format = format
        super().__init__(*args, **kwargs)

    def render(self, value):
        if isinstance(value, datetime.datetime) and timezone.is_aware(value):
            value = timezone.localtime(value)
        return date_format(value, self.format)

    def value(self, value):
        return self.render(value)


# --- Exports from the table itself -------------------------------------------------------

#: The arguments django-tables2 passes to a value function, by name.
_VALUE_ARGUMENTS = ("value", "record", "bound_column", "column", "table")


def argument_names(function, candidates) -> list[str]:
    """Which of django-tables2's cell arguments ``function`` takes (all of them when it
    takes ``**kwargs``): worked out once per column, not once per cell."""
    parameters = inspect.signature(function).parameters
    takes_all = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
    return [name for name in candidates if takes_all or name in parameters]


def _value_getter(table, bound_column):
    """A function of a record giving the column's exported value: the table's
    ``value_<name>`` or else the column's own ``value``, called with the arguments it
    takes, worked out once for the column (django-tables2 inspects the function's
    signature again for every cell; docs/performance.md)."""
    accessor = str(bound_column.accessor)
    column_class = type(bound_column.column)
    if (not hasattr(table, f"value_{bound_column.name}")
            and column_class.value is Column.value and column_class.render is Column.render):
        return lambda record: record.get(accessor)  # a plain column: the value itself
    function = getattr(table, f"value_{bound_column.name}", None) or bound_column.column.value
    wanted = argument_names(function, _VALUE_ARGUMENTS)
    fixed = {"bound_column": bound_column, "column": bound_column.column, "table": table}
    arguments = {name: fixed[name] for name in wanted if name in fixed}
    if wanted == ["value"]:
        # a value of the value alone: worked out once per distinct value (amounts of one
        # category, labels, ranks repeat down a column)
        cache = {}

        def of_value(record):
            value = record.get(accessor)
            try:
                return cache[value]
            except KeyError:
                result = cache[value] = function(value=value)
                return result
            except TypeError:  # an unhashable value
                return function(value=value)

        return of_value
    if wanted == ["record"]:
        return lambda record: function(record=record)

    def getter(record):
        called = dict(arguments)
        if "value" in wanted:
            called["value"] = record.get(accessor)
        if "record" in wanted:
            called["record"] = record
        return function(**called)

    return getter


def export_columns(table) -> list:
    """The columns a table's exports hold: its own, but those excluded from exports."""
    return [column for column in table.columns if not column.column.exclude_from_export]


def export_header(table) -> list[str]:
    from wanyuan.templatetags.cards import plain_text

    return [str(getattr(column.column, "export_header", None) or plain_text(column.header))
            for column in export_columns(table)]


def export_rows(table, records) -> Iterator[list]:
    """The table's rows as exported values, one list per record (plain dicts, streamed as
    they come: constant memory), then the table's totals (``export_totals``: column name
    → value) when it has them. The page and its CSV and Excel files are one declaration:
    the table's columns."""
    columns = export_columns(table)
    getters = [_value_getter(table, column) for column in columns]
    for record in records:
        yield [getter(record) for getter in getters]
    totals = getattr(table, "export_totals", None)
    if totals is not None:
        values = totals()
        yield [values.get(column.name, "") for column in columns]


def export_formats(table) -> tuple[set[int], frozenset[int]]:
    """The positions of the exported columns holding yuan and rates (their columns'
    ``export_format``), for the workbook's number formats."""
    formats = [getattr(column.column, "export_format", None) for column in export_columns(table)]
    return ({i for i, f in enumerate(formats) if f == "yuan"},
            frozenset(i for i, f in enumerate(formats) if f == "percent"))
