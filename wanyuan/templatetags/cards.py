"""The project's table template (templates/django_tables2/cards.html): every list table
is a ``table.cards``, and each cell carries its column's name, so that on a phone a row
reads as a card (static/css/site.css)."""

import html
from weakref import WeakKeyDictionary

from django import template
from django.utils.html import conditional_escape, format_html, strip_tags
from django.utils.safestring import mark_safe
from django_tables2.utils import AttributeDict

from wanyuan.tables import argument_names

register = template.Library()

#: Per table: column name → (the name a card shows, whether the card shows it first).
#: Worked out once per table, not once per cell: a page of 100 rows has 1,000 cells.
_labels = WeakKeyDictionary()


@register.filter
def with_class(attrs, name: str) -> AttributeDict:
    """The table's attributes with ``name`` added to its classes."""
    attrs = AttributeDict(attrs or {})
    classes = str(attrs.get("class", "")).split()
    attrs["class"] = " ".join(classes + [name] if name not in classes else classes)
    return attrs


@register.filter
def plain_text(header) -> str:
    """A column's header as the text of an attribute: a header may be HTML (a checkbox,
    a link), the name on a card is what a reader sees of it."""
    return html.unescape(strip_tags(str(header))).strip()


def _column_labels(table) -> dict:
    labels = _labels.get(table)
    if labels is None:
        lead = set(getattr(table, "card_lead", ()))
        labels = _labels[table] = {column.name: (plain_text(column.header), column.name in lead)
                                   for column in table.columns}
    return labels


#: Per table: column name → the attributes of its cells, as HTML, worked out once.
_cell_attrs = WeakKeyDictionary()


def _column_cell_attrs(table) -> dict:
    """Each column's ``<td>`` attributes (its own, its name on a card, whether the card
    shows it first), rendered once per table: the tables' cell attributes do not depend
    on the row, and django-tables2 would compute them again for each of 1,000 cells."""
    attrs = _cell_attrs.get(table)
    if attrs is None:
        labels = _column_labels(table)
        attrs = _cell_attrs[table] = {}
        for column in table.columns:
            label, lead = labels[column.name]
            attrs[column.name] = format_html('{} data-label="{}"{}', column.attrs["td"].as_html(),
                                             label, " data-lead" if lead else "")
    return attrs


@register.filter
def card_cells(row):
    """(attributes of the ``<td>``, cell) for each cell of a django-tables2 row."""
    attrs = _column_cell_attrs(row.table)
    return [(attrs[column.name], cell) for column, cell in row.items()]


#: The arguments django-tables2 passes to a render function, by name.
_RENDER_ARGUMENTS = ("value", "record", "column", "bound_column", "bound_row", "table")


def _renderer(table, bound_column):
    """A function of a plain row (a dict) giving the cell's HTML: the table's
    ``render_<name>`` or the column's ``render``, called with the arguments it takes,
    worked out once for the column; an empty value shows the column's default."""
    function = getattr(table, f"render_{bound_column.name}", None) or bound_column.column.render
    wanted = argument_names(function, _RENDER_ARGUMENTS)
    fixed = {"column": bound_column.column, "bound_column": bound_column, "table": table,
             "bound_row": None}
    key = str(bound_column.accessor)
    empty = bound_column.column.empty_values
    default = bound_column.default

    def render(record):
        value = record.get(key)
        if value in empty:
            return conditional_escape(default)
        arguments = {name: fixed[name] for name in wanted if name in fixed}
        if "value" in wanted:
            arguments["value"] = value
        if "record" in wanted:
            arguments["record"] = record
        return conditional_escape(function(**arguments))

    return render


@register.simple_tag
def plain_rows(table):
    """The rows of a table over plain rows (dicts from a selector: no model fields to
    display, no linkify), each a line of HTML: its cells rendered by functions worked out
    once per column (django-tables2 inspects the render function's signature and
    computes the cell's attributes again for every cell). Every part is escaped
    (``conditional_escape``) before it is joined."""
    attrs = _column_cell_attrs(table)
    columns = [(attrs[column.name], _renderer(table, column)) for column in table.columns]
    lines = []
    for row in table.paginated_rows:
        record = row.record
        lines.append("<tr>" + "".join(f"<td {cell_attrs}>{render(record)}</td>"
                                      for cell_attrs, render in columns) + "</tr>")
    if not lines and table.empty_text:
        return format_html('<tr><td colspan="{}">{}</td></tr>', len(columns), table.empty_text)
    return mark_safe("\n".join(lines))  # noqa: S308 - each cell escaped above
