"""People by their names: ``{{ user|person }}`` shows the real name an administrator
set (姓 + 名, as Chinese names are written), else the user name."""

from django import template

from townships.accounts import display_name

register = template.Library()


@register.filter
def person(user) -> str:
    return display_name(user) if user is not None else "—"
