"""Log every login, logout and failed login with the username and the address.

The password is never logged; django-axes logs the lockouts themselves.
"""

import logging

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from wanyuan.client import client_address

logger = logging.getLogger("wanyuan.auth")


def _address(request):
    """The client's address, the same one the lockout counts failures at."""
    if request is None:
        return "-"
    return client_address(request) or "-"


@receiver(user_logged_in)
def log_login(sender, request, user, **kwargs):
    logger.info("login user=%s address=%s", user.get_username(), _address(request))


@receiver(user_logged_out)
def log_logout(sender, request, user, **kwargs):
    logger.info("logout user=%s address=%s",
                user.get_username() if user else "-", _address(request))


@receiver(user_login_failed)
def log_login_failed(sender, credentials, request=None, **kwargs):
    logger.warning("login failed user=%s address=%s",
                   credentials.get("username", "-"), _address(request))
