"""People by their names: ``{{ user|person }}`` shows the real name an administrator
set (姓 + 名, as Chinese names are written), else the user name."""

from django import template

from townships.accounts import display_name, display_unit

register = template.Library()


@register.filter
def person(user) -> str:
    return display_name(user) if user is not None else "—"


@register.filter
def person_and_unit(user) -> str:
    """The name with the unit in brackets, where a reader needs to know who acted for
    whom (a history): 张华（组织部）."""
    if user is None:
        return "—"
    unit = display_unit(user)
    return f"{display_name(user)}（{unit}）" if unit else display_name(user)
