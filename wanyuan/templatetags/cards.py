"""The project's table template (templates/django_tables2/cards.html): every list table
is a ``table.cards``, and each cell carries its column's name, so that on a phone a row
reads as a card (static/css/site.css)."""

import html

from django import template
from django.utils.html import strip_tags
from django_tables2.utils import AttributeDict

register = template.Library()


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
