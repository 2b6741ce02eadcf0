"""What the commands that write share: the acting user, and their errors as a command
reports them."""

from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import CommandError

from townships.imports import ImportFileError
from townships.reference import ReferenceDataError
from townships.services import ReclassificationError


def add_user_argument(parser, *, required: bool = True) -> None:
    parser.add_argument("--user", required=required,
                        help="user name of the account the change is recorded with")


def acting_user(username: str | None):
    """The account a command acts as: its permissions are checked, and the audit trail
    names it, as for a page."""
    if not username:
        raise CommandError("--user is required: the change is recorded with who made it.")
    try:
        return get_user_model().objects.get(username=username, is_active=True)
    except get_user_model().DoesNotExist as exc:
        raise CommandError(f"no active user named {username!r}") from exc


@contextmanager
def command_errors(username: str | None):
    """A refused write as a CommandError: nothing was written, the message says why."""
    try:
        yield
    except PermissionDenied as exc:
        raise CommandError(
            f"{username!r} does not have the permission for this change.") from exc
    except ImportFileError as exc:
        raise CommandError("\n".join(str(p) for p in exc.problems)) from exc
    except (OSError, ReclassificationError, ReferenceDataError) as exc:
        raise CommandError(str(exc)) from exc
    except ValidationError as exc:  # a change a rule refuses, e.g. below zero unconfirmed
        raise CommandError(" ".join(exc.messages)) from exc
