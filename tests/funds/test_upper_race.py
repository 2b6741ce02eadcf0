"""A county re-sends its set while the city's staff accept it: with two real PostgreSQL
connections and a barrier, both finish (no deadlock, no server error), one after the
other. It fails when submission_decide takes its locks in another order than a receiving
(the county's row first, then the submission's)."""

import contextlib
import copy
import datetime
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection, connections  # noqa: F401 - connection: skipif
from django.utils import timezone

from funds.exchange import datavalues as dv
from funds.exchange import upper
from funds.models import OrgUnit, Submission

pytestmark = [
    pytest.mark.skipif("connection.vendor != 'postgresql'",
                       reason="two connections racing for one county need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]
DAZHOU = Path(django_settings.BASE_DIR) / "fixtures" / "orgunits" / "511700-dazhou.csv"


def test_a_resend_during_an_accept_waits_instead_of_deadlocking(demo, settings, staff_user,
                                                              monkeypatch):
    settings.INSTANCE_LEVEL, settings.INSTANCE_ORG_UNIT = "city", "511700"
    upper.org_units_load(text=DAZHOU.read_text(encoding="utf-8"))
    sent = dv.data_value_set_get(fund_year=demo)
    assert not upper.data_value_set_receive(data_value_set=sent, received_from="t").conflicts
    submission = Submission.objects.get()
    again = copy.deepcopy(sent)
    again["dataValues"][0]["value"] = "1.00"
    again["meta"]["sha256"] = dv.digest(again["dataValues"])

    barrier = threading.Barrier(2)
    real_root = upper.instance_root

    def root_then_wait():  # the receiving holds the county's row, not yet the submission's
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=5)
        time.sleep(0.5)  # the decision asks for its locks meanwhile
        return real_root()

    monkeypatch.setattr(upper, "instance_root", root_then_wait)
    errors, done = [], []

    def receive():
        try:
            done.append(upper.data_value_set_receive(data_value_set=again,
                                                     received_from="t"))
        except Exception as exc:  # noqa: BLE001 - any failure is the test's finding
            errors.append(repr(exc))
        finally:
            connections.close_all()

    def decide():
        try:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=5)  # the receiving is inside its transaction
            done.append(upper.submission_decide(submission=submission, accept=True,
                                                acting_user=staff_user))
        except upper.ExchangeError as exc:
            done.append(str(exc))
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=receive), threading.Thread(target=decide)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and len(done) == 2, errors
    final = Submission.objects.get()
    # the decision waited for the re-send: it accepted the version now stored
    assert final.state == "accepted" and final.sha256 == again["meta"]["sha256"]
    assert OrgUnit.objects.filter(level=OrgUnit.Level.TOWNSHIP).count() == 52
    assert isinstance(done[0], upper.ImportSummary) or isinstance(done[1], upper.ImportSummary)
    assert timezone.now() - final.decided_at < datetime.timedelta(minutes=5)
