"""Two clerks record the same invoice at the same moment, on expenditures of two
townships (whose row locks do not meet): with two real PostgreSQL connections and a
barrier, exactly one succeeds. It fails when the invoice key's lock
(services._lock_invoice) is removed."""

import contextlib
import datetime
import threading
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections  # noqa: F401 - connection: skipif

from funds.models import SpendingCategory, Voucher
from funds.spending import services as spending
from townships.models import Township

from .test_invoices import DIGITAL, qr_png

pytestmark = [
    pytest.mark.skipif("connection.vendor != 'postgresql'",
                       reason="two connections racing for one invoice need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def _draft(township, clerk):
    return spending.expenditure_create(
        township=township, date=datetime.date(2020, 5, 1), amount=Decimal("112.00"),
        category=SpendingCategory.objects.get(name="教育培训"), purpose="党员培训资料",
        payee="新华书店", acting_user=clerk)


def test_the_same_invoice_recorded_twice_at_once_is_taken_once(
        demo, clerk_user, other_clerk_user, monkeypatch):
    first = _draft(Township.objects.get(name="太平镇"), clerk_user)
    second = _draft(Township.objects.get(name="青花镇"), other_clerk_user)
    barrier = threading.Barrier(2)
    real_lookup = spending.invoice_used_on

    def look_then_wait(*args, **kwargs):
        found = real_lookup(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=3)
        return found

    monkeypatch.setattr(spending, "invoice_used_on", look_then_wait)
    errors, done = [], []

    def record(expenditure, clerk):
        try:
            done.append(spending.voucher_add(
                expenditure=expenditure, kind="invoice", acting_user=clerk,
                upload=SimpleUploadedFile("发票.png", qr_png(DIGITAL))))
        except spending.SpendingError as exc:
            errors.append(str(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=record, args=(first, clerk_user)),
               threading.Thread(target=record, args=(second, other_clerk_user))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(done) == 1 and len(errors) == 1, errors
    assert "已登记在" in errors[0]
    assert Voucher.objects.filter(invoice_key="23442000000014209621").count() == 1
