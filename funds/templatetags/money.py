from django import template

from townships.models import Category
from wanyuan.money import format_percent, format_wan, format_yuan

register = template.Library()


@register.filter
def wan(value):
    """Yuan → "17.00" (万元), the unit people read."""
    return format_wan(value)


@register.filter
def yuan(value):
    return format_yuan(value)


@register.filter
def category_label(value):
    return Category(value).label if value in Category.values else "—"


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def percent(fraction):
    """0.1234 → "12.34%"; None (no allocation) → "—"."""
    return format_percent(fraction)
