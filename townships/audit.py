"""Who is acting, and audit text in the site language.

Writes that signals audit (role grants, a year's settings, spending categories) learn the
acting user from a context variable: the admin sets it around its views (``ActingAdmin``),
a service around its writes (``with acting(user):``). A change made where nobody set it,
in a shell say, is audited all the same, without an actor.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager

from django.conf import settings
from django.utils import translation

_actor: contextvars.ContextVar = contextvars.ContextVar("audit_actor", default=None)


@contextmanager
def acting(user):
    """Attribute the writes inside the block to ``user`` (None or anonymous: nobody)."""
    token = _actor.set(user if user is not None and user.is_authenticated else None)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor():
    """The user set by the innermost ``acting`` block, or None."""
    return _actor.get()


def stored_text(func, *args, **kwargs) -> str:
    """Audit text is stored in the site language, whatever language the user browses in."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(func(*args, **kwargs))


class ActingAdmin:
    """ModelAdmin mixin: every write of the admin's views is attributed to its user."""

    def changeform_view(self, request, *args, **kwargs):
        with acting(request.user):
            return super().changeform_view(request, *args, **kwargs)

    def changelist_view(self, request, *args, **kwargs):
        with acting(request.user):
            return super().changelist_view(request, *args, **kwargs)

    def delete_view(self, request, *args, **kwargs):
        with acting(request.user):
            return super().delete_view(request, *args, **kwargs)
