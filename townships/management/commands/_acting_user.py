from django.contrib.auth import get_user_model
from django.core.management.base import CommandError


def acting_user(username: str | None, *, required: bool = False):
    """The account a command acts as, for the audit trail."""
    if not username:
        if required:
            raise CommandError("--user is required: the change is recorded with who made it.")
        return None
    try:
        return get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist as exc:
        raise CommandError(f"no user named {username!r}") from exc
