"""Two runs of ``send_reminders`` at the same moment (a cron run and a catch-up by hand):
with two real PostgreSQL connections and a barrier, each reminder is e-mailed once. It
fails when the claim's row lock (reminders._claim) is removed."""

import contextlib
import datetime
import threading

import pytest
from django.core import mail
from django.db import connection, connections  # noqa: F401 - connection: skipif

from funds.inspection import reminders
from funds.models import Reminder

pytestmark = [
    pytest.mark.skipif("connection.vendor != 'postgresql'",
                       reason="two connections racing for one reminder need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def test_two_runs_at_once_mail_each_reminder_once(demo, clerk_user, staff_user, settings,
                                                  monkeypatch):
    settings.REMINDER_EMAILS = True
    for user, address in ((clerk_user, "clerk@example.org"), (staff_user, "staff@example.org")):
        user.email = address
        user.save()
        Reminder.objects.create(recipient=user, kind=Reminder.Kind.HALF_YEAR_REPORT,
                                subject="half_year_report:2026",
                                due=datetime.date(2026, 7, 10), message="半年报告将到期")
    barrier = threading.Barrier(2)
    real_claim = reminders._claim

    def claim_then_wait(pk):
        row = real_claim(pk)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=3)  # both runs have looked before either has sent
        return row

    monkeypatch.setattr(reminders, "_claim", claim_then_wait)
    counts = []

    def run():
        try:
            counts.append(reminders.email_pending())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(len(m.to) for m in mail.outbox) == [1, 1]
    assert sorted(m.to[0] for m in mail.outbox) == ["clerk@example.org", "staff@example.org"]
    assert sum(sent for sent, _failed in counts) == 2
    assert not Reminder.objects.filter(emailed_at__isnull=True).exists()
