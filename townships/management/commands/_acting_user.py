from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

USER_HELP = "user name of the account the change is recorded with (required)"


def acting_user(username: str | None):
    """The account a command acts as: its permissions are checked, and the audit trail
    names it, as for a page."""
    if not username:
        raise CommandError("--user is required: the change is recorded with who made it.")
    try:
        return get_user_model().objects.get(username=username, is_active=True)
    except get_user_model().DoesNotExist as exc:
        raise CommandError(f"no active user named {username!r}") from exc


def permission_denied(username: str) -> CommandError:
    return CommandError(f"{username!r} does not have the permission for this change.")
