"""The login lockout and the login log see the real client, behind a proxy or not.

PROXY_COUNT is the number of reverse proxies in front of the application. Each proxy
appends the address it received the request from to X-Forwarded-For, so the client's
address is the PROXY_COUNT-th entry from the right; anything to its left was written by
the client and proves nothing. Without a proxy the header is ignored altogether.
"""

import logging
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client, RequestFactory
from django.urls import reverse

from tests.conftest import PASSWORD, make_user
from townships import roles

ROOT = Path(__file__).resolve().parents[1]
PROXY = "10.0.0.1"


def _random_address():
    return ".".join(str(random.randint(1, 254)) for _ in range(4))


def _login(client, password, *, forwarded_for=None, remote_addr=PROXY, username="zhang"):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client.post(reverse("login"), {"username": username, "password": password},
                       **extra)


@pytest.fixture
def zhang(db):
    return make_user("zhang", roles.STAFF, is_staff=True)


def test_without_a_proxy_a_rotated_forwarded_for_does_not_bypass_the_lockout(zhang, settings):
    settings.PROXY_COUNT = 0
    attacker = Client()
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        _login(attacker, "wrong-password", forwarded_for=_random_address())
    locked = _login(attacker, PASSWORD, forwarded_for=_random_address())
    assert locked.status_code == 429
    assert "_auth_user_id" not in attacker.session


def test_behind_one_proxy_two_clients_do_not_lock_each_other_out(zhang, settings, caplog):
    settings.PROXY_COUNT = 1
    attacker, colleague = Client(), Client()
    with caplog.at_level(logging.INFO, logger="wanyuan.auth"):
        for _ in range(django_settings.AXES_FAILURE_LIMIT):
            # what the client wrote, then what the proxy appended: the client's address
            _login(attacker, "wrong-password",
                   forwarded_for=f"{_random_address()}, 198.51.100.7")
        # the attacker is locked out whatever it writes in front of its address
        assert _login(attacker, PASSWORD,
                      forwarded_for=f"{_random_address()}, 198.51.100.7").status_code == 429
        # a colleague behind the same proxy logs in with the same user name
        own = _login(colleague, PASSWORD, forwarded_for="203.0.113.9")
        assert own.status_code == 302
        assert colleague.get(reverse("overview"), REMOTE_ADDR=PROXY,
                             HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "wanyuan.auth"]
    assert lines[0] == "login failed user=zhang address=198.51.100.7"
    assert "login user=zhang address=203.0.113.9" in lines
    assert not any(PROXY in line for line in lines)


def test_the_lockout_records_the_client_behind_the_proxy(zhang, settings):
    from axes.models import AccessAttempt

    settings.PROXY_COUNT = 1
    _login(Client(), "wrong-password", forwarded_for="192.0.2.1, 198.51.100.7")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["198.51.100.7"]


@pytest.mark.parametrize(("proxy_count", "forwarded_for", "expected"), [
    (0, None, "10.0.0.1"),
    (0, "198.51.100.7", "10.0.0.1"),  # no proxy: the header is the client's own words
    (1, None, "10.0.0.1"),  # not through the proxy (a health check on the host)
    (1, "198.51.100.7", "198.51.100.7"),
    (1, "192.0.2.1, 198.51.100.7", "198.51.100.7"),
    (1, "192.0.2.1,198.51.100.7 ", "198.51.100.7"),
    (2, "192.0.2.1, 198.51.100.7, 10.0.0.2", "198.51.100.7"),
    (2, "10.0.0.2", "10.0.0.1"),  # fewer entries than proxies: not trusted
    (1, "192.0.2.1, not-an-address", "10.0.0.1"),
    (1, "2001:db8::7", "2001:db8::7"),
])
def test_client_address(settings, proxy_count, forwarded_for, expected):
    from wanyuan.client import client_address

    settings.PROXY_COUNT = proxy_count
    extra = {"REMOTE_ADDR": "10.0.0.1"}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    assert client_address(RequestFactory().get("/", **extra)) == expected


def test_proxy_count_comes_from_the_environment():
    env = {**os.environ, "PROXY_COUNT": "2"}
    result = subprocess.run(
        [sys.executable, "-c", "from wanyuan import settings; print(settings.PROXY_COUNT)"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "2", result.stderr
