"""The project's table template (templates/django_tables2/cards.html): every list table
is a ``table.cards``, and each cell carries its column's name, so that on a phone a row
reads as a card (static/css/site.css)."""

import html
from weakref import WeakKeyDictionary

from django import template
from django.utils.html import format_html, strip_tags
from django_tables2.utils import AttributeDict

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
