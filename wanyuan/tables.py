"""Faster body rows for django-tables2 tables.

django-tables2 renders every cell through a template and inspects the signature of the
render method of every cell: for a 100-row page that is most of the page's time
(docs/performance.md). ``FastRowsMixin`` keeps everything else of django-tables2 —
columns, ordering, pagination, headers, footers, ``value_*`` for exports, ``table.rows``
— and renders the body in Python with the same ``render_*`` methods and column
attributes, inspecting each render method once per table instead of once per cell.
Pinned rows are not rendered (no table of ours has them).
"""

from __future__ import annotations

import datetime
import html
import inspect

from django.core.paginator import Paginator
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.functional import cached_property
from django.utils.safestring import SafeData, SafeString
from django_tables2 import A, Column
from django_tables2.rows import BoundRow

#: The keyword arguments django-tables2 offers a render method.
RENDER_ARGUMENTS = ("value", "record", "column", "bound_column", "table")

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


class FastRowsMixin:
    def __init__(self, *args, template_name=None, **kwargs):
        super().__init__(*args, template_name=template_name or "_fast_table.html", **kwargs)

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
        super(FastRowsMixin, type(self)).order_by.fset(self, known)

    def _cell_plans(self):
        plans = []
        for bound in self.columns:
            render = bound.render
            parameters = inspect.signature(render).parameters.values()
            if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
                # e.g. a TemplateColumn: it gets everything, a bound row included
                accepted = {*RENDER_ARGUMENTS, "bound_row"}
            else:
                accepted = {p.name for p in parameters}
            fixed = {"column": bound.column, "bound_column": bound, "table": self}
            accessor = A(bound.accessor)
            plans.append((
                accessor, _plain_attribute(accessor), bound.column.empty_values,
                bound.default, render,
                {k: v for k, v in fixed.items() if k in accepted},
                "value" in accepted, "record" in accepted, "bound_row" in accepted,
                bound.attrs["td"].as_html(),
            ))
        return plans

    def rows_html(self):
        """The ``<tr>`` of every record of the current page, as safe HTML."""
        page = getattr(self, "page", None)  # a page of BoundRows, or all the data
        # the page's records, without building a BoundRow for each
        records = page.object_list.data if page is not None else self.data
        plans = self._cell_plans()
        for index, record in enumerate(records):
            cells = []
            for (accessor, attribute, empty, default, render, fixed, wants_value, wants_record,
                 wants_row, td) in plans:
                # A plain attribute of a model instance is read directly; anything else
                # (dicts, paths, callables) goes through the accessor as django-tables2 does.
                value = _MISSING
                if attribute is not None and not isinstance(record, dict):
                    value = getattr(record, attribute, _MISSING)
                    if callable(value):
                        value = _MISSING
                if value is _MISSING:
                    try:
                        value = accessor.resolve(record)
                    except (AttributeError, KeyError, IndexError, TypeError, ValueError):
                        value = None
                if value in empty:
                    content = default
                else:
                    kwargs = dict(fixed)
                    if wants_value:
                        kwargs["value"] = value
                    if wants_record:
                        kwargs["record"] = record
                    if wants_row:
                        kwargs["bound_row"] = BoundRow(record, table=self)
                    content = render(**kwargs)
                # Plain string work instead of format_html per cell (the hot loop): safe
                # content as it is, everything else escaped exactly as Django escapes.
                if not isinstance(content, SafeData):
                    content = html.escape(str(content))
                cells.append(f"<td {td}>{content}</td>")
            row_class = "odd" if index % 2 else "even"
            yield SafeString(f'<tr class="{row_class}">{"".join(cells)}</tr>')


_MISSING = object()


def _plain_attribute(accessor) -> str | None:
    """The attribute name of an accessor of one plain name, else None."""
    name = str(accessor)
    if not name or name.isdigit() or any(sep in name for sep in (".", "__")):
        return None
    return name


class LocalDateTimeColumn(Column):
    """A date, or a date and time in the site's time zone, formatted in Python."""

    def __init__(self, *args, format="Y-m-d H:i", **kwargs):  # noqa: A002 - as tables2 names it
        self.format = format
        super().__init__(*args, **kwargs)

    def render(self, value):
        if isinstance(value, datetime.datetime) and timezone.is_aware(value):
            value = timezone.localtime(value)
        return date_format(value, self.format)

    def value(self, value):
        return self.render(value)


class KnownCountPaginator(Paginator):
    """A paginator told the number of rows, when the page has counted them already."""

    def __init__(self, object_list, per_page, *args, count=None, **kwargs):
        self._known_count = count
        super().__init__(object_list, per_page, *args, **kwargs)

    @cached_property
    def count(self):
        if self._known_count is not None:
            return self._known_count
        return super().count
