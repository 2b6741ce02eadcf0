"""Production settings, the Content-Security-Policy, login protection and its log."""

import logging
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD, make_user
from townships import roles

ROOT = Path(__file__).resolve().parents[1]


def test_check_deploy_is_clean_with_the_documented_environment(tmp_path):
    # Only what the README's production section sets, not this test run's environment.
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    env.update(ENV_FILE=str(tmp_path / "absent.env"),  # no developer's .env
               SECRET_KEY="k" * 20 + "-production-secret-from-the-environment-3f9",
               ALLOWED_HOSTS="funds.example.gov.cn",
               DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    env["ENV_FILE"] = str(tmp_path / "absent.env")  # no developer's .env
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_setup_demo_refuses_outside_demo_mode(db, settings):
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="DEMO_MODE"):
        call_command("setup_demo")


def test_every_page_sends_a_strict_content_security_policy(client, db):
    response = client.get(reverse("login"))
    policy = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler attribute"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"<style", re.I), "<style> element"),
]


def test_no_template_has_inline_script_or_style():
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        found += [f"{path.relative_to(ROOT)}: {what}" for pattern, what in INLINE
                  if pattern.search(text)]
    assert not found


def test_session_ends_after_being_idle():
    assert settings.SESSION_SAVE_EVERY_REQUEST
    assert settings.SESSION_COOKIE_AGE <= 8 * 60 * 60


# --- Login protection ----------------------------------------------------------------


def _login(client, username, password, address):
    return client.post(reverse("login"), {"username": username, "password": password},
                       REMOTE_ADDR=address)


@pytest.fixture
def two_users(db):
    return (make_user("zhang", roles.STAFF, is_staff=True),
            make_user("li", roles.STAFF, is_staff=True))


def test_a_username_is_locked_after_repeated_failures(two_users):
    attacker = Client()
    statuses = [_login(attacker, "zhang", "wrong-password", "10.0.0.9").status_code
                for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]  # the last locks
    locked = _login(attacker, "zhang", PASSWORD, "10.0.0.9")  # even the right password
    assert locked.status_code == 429
    assert "账户已锁定" in locked.content.decode()
    assert "_auth_user_id" not in attacker.session


def test_one_address_cannot_lock_every_user_out(two_users):
    attacker = Client()
    for username in ("zhang", "li"):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            _login(attacker, username, "wrong-password", "10.0.0.9")
    # both names are locked at the attacker's address, not at their owners' machines
    assert _login(attacker, "li", PASSWORD, "10.0.0.9").status_code == 429
    for username, address in (("zhang", "10.0.0.21"), ("li", "10.0.0.22")):
        own = Client()
        assert _login(own, username, PASSWORD, address).status_code == 302
        assert own.get(reverse("overview")).status_code == 200


def test_the_lock_ends_after_the_cool_off(two_users):
    from axes.models import AccessAttempt

    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "zhang", "wrong-password", "10.0.0.9")
    assert _login(client, "zhang", PASSWORD, "10.0.0.9").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(
        hours=settings.AXES_COOLOFF_TIME, minutes=1))
    assert _login(client, "zhang", PASSWORD, "10.0.0.9").status_code == 302


def test_logins_logouts_and_failures_are_logged(two_users, caplog):
    client = Client()
    with caplog.at_level(logging.INFO, logger="wanyuan.auth"):
        _login(client, "zhang", "wrong-password", "10.0.0.9")
        _login(client, "zhang", PASSWORD, "10.0.0.9")
        client.post(reverse("logout"), REMOTE_ADDR="10.0.0.9")
    lines = [r.getMessage() for r in caplog.records if r.name == "wanyuan.auth"]
    assert lines == ["login failed user=zhang address=10.0.0.9",
                     "login user=zhang address=10.0.0.9",
                     "logout user=zhang address=10.0.0.9"]
    assert all("wrong-password" not in r.getMessage() for r in caplog.records)
