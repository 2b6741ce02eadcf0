"""A busy SQLite database: reads still answer, writes answer 503 "try again", never 400/500.

SQLite allows one writer at a time; another writer waits up to the connection's timeout
(DATABASES OPTIONS "timeout") and then fails with "database is locked". The tests hold the
lock from a second connection, as a long import, a management command or the sqlite3
shell would, with a timeout of a fifth of a second instead of twenty.

The test database of pytest-django is in memory, where locking works differently (shared
cache, table locks that never wait), so these tests copy it to a file and point the
connection at the copy for the duration of the test.
"""

import contextlib
import sqlite3
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD, login, make_user
from townships import roles

pytestmark = pytest.mark.django_db(transaction=True)

BUSY = "请稍后重试"  # what the 503 page says, in the default language


@pytest.fixture
def sqlite_file(transactional_db, tmp_path):
    """Point the default connection at a file copy of the test database; yield its path."""
    conn = connections["default"]
    if conn.vendor != "sqlite":
        pytest.skip("SQLite's database-wide write lock")
    conn.ensure_connection()
    memory = conn.connection  # keeps the in-memory test database alive meanwhile
    path = tmp_path / "busy.sqlite3"
    target = sqlite3.connect(path)
    memory.backup(target)
    target.close()
    original = conn.settings_dict
    conn.connection = None
    conn.settings_dict = {**original, "NAME": str(path),
                          "OPTIONS": {**original.get("OPTIONS", {}), "timeout": 0.2}}
    try:
        yield path
    finally:
        conn.close()
        conn.settings_dict = original
        conn.connection = memory


@contextlib.contextmanager
def locked(path, mode="IMMEDIATE"):
    """Hold SQLite's write lock (IMMEDIATE: others may still read; EXCLUSIVE: nobody may)."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute(f"BEGIN {mode}")
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


@pytest.fixture
def staff(sqlite_file):
    user = make_user("staff1", roles.STAFF, is_staff=True)
    return login(Client(raise_request_exception=False), user)


def _assert_busy_page(response):
    assert response.status_code == 503
    assert response["Retry-After"].isdigit()
    page = response.content.decode()
    assert BUSY in page and "<html" in page


def test_a_read_answers_while_another_connection_writes(staff, sqlite_file):
    with locked(sqlite_file):
        response = staff.get(reverse("overview"))
    assert response.status_code == 200


def test_a_read_whose_idle_timer_is_due_still_answers_while_another_connection_writes(
        staff, sqlite_file, settings):
    Session.objects.update(expire_date=timezone.now() + timedelta(
        seconds=settings.SESSION_COOKIE_AGE - settings.SESSION_REFRESH_SECONDS - 1))
    with locked(sqlite_file):
        response = staff.get(reverse("overview"))
    assert response.status_code == 200  # the timer moves on the next request instead
    assert staff.get(reverse("overview")).status_code == 200
    assert Session.objects.get().expire_date > timezone.now() + timedelta(
        seconds=settings.SESSION_COOKIE_AGE - 5)


def test_a_write_that_cannot_get_the_lock_answers_503(sqlite_file):
    make_user("zhang", roles.STAFF, is_staff=True)
    client = Client(raise_request_exception=False)
    with locked(sqlite_file):
        response = client.post(reverse("login"), {"username": "zhang", "password": PASSWORD})
    _assert_busy_page(response)
    # and once the lock is gone the same request succeeds
    response = client.post(reverse("login"), {"username": "zhang", "password": PASSWORD})
    assert response.status_code == 302


def test_a_change_of_the_session_that_cannot_be_saved_answers_503(staff, sqlite_file):
    from funds.models import FundYear

    FundYear.objects.create(year=2020, special_fund=1000)
    with locked(sqlite_file):
        response = staff.get(reverse("year-switch"), {"year": "2020"})  # stored in the session
    _assert_busy_page(response)


def test_under_an_exclusive_lock_a_read_answers_503(staff, sqlite_file):
    with locked(sqlite_file, "EXCLUSIVE"):
        response = staff.get(reverse("overview"))
    _assert_busy_page(response)


def test_the_busy_page_needs_no_database(rf):
    from wanyuan.middleware import busy_response

    with CaptureQueriesContext(connection) as queries:
        response = busy_response(rf.get("/"))
    assert len(queries) == 0
    _assert_busy_page(response)


# --- The session is written when it changes, and its idle timer at most once a minute --


def _session_writes(queries):
    return [q["sql"] for q in queries
            if "django_session" in q["sql"] and not q["sql"].lstrip().upper().startswith("SELECT")]


def test_a_page_view_does_not_write_an_unchanged_session(db, client, staff_user):
    login(client, staff_user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("overview")).status_code == 200
    assert _session_writes(queries) == []


def test_the_idle_timer_is_refreshed_once_its_last_write_is_a_minute_old(db, client,
                                                                         staff_user, settings):
    login(client, staff_user)
    age = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    Session.objects.update(expire_date=timezone.now() + age - timedelta(seconds=61))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("overview")).status_code == 200
    assert len(_session_writes(queries)) == 1
    expiry = Session.objects.get().expire_date
    assert expiry > timezone.now() + age - timedelta(seconds=5)


def test_an_idle_session_still_ends(db, client, staff_user):
    login(client, staff_user)
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("overview"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
