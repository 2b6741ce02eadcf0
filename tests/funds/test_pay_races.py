"""Issue 23: the races of the approver's batch and of the payment, each with two real
PostgreSQL connections and a barrier; each fails when the lock (_locked) is removed."""

import contextlib
import datetime
import threading
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections  # noqa: F401 - connection: skipif
from django.utils import timezone

from demo.data import DEMO_PDF
from funds.models import Expenditure, ExpenditureTransition, SpendingCategory
from funds.spending import services as spending
from townships.models import Township

S = Expenditure.Status

pytestmark = [
    pytest.mark.skipif("connection.vendor != 'postgresql'",
                       reason="two connections racing for one row need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def taiping(demo):
    return Township.objects.get(name="太平镇")


def _submitted(township, clerk, amount="1000.00"):
    expenditure = spending.expenditure_create(
        township=township, date=datetime.date(2020, 5, 1), amount=Decimal(amount),
        category=SpendingCategory.objects.get(name="教育培训"), purpose="党员培训",
        payee="党校", acting_user=clerk)
    spending.voucher_add(expenditure=expenditure, kind="invoice",
                         upload=SimpleUploadedFile("发票.pdf", DEMO_PDF), acting_user=clerk)
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk)
    return Expenditure.objects.get(pk=expenditure.pk)


def _run(*targets):
    errors = []

    def act(target):
        try:
            target()
        except spending.SpendingError as exc:
            errors.append(str(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=act, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_a_batch_and_a_single_approval_of_the_same_item_approve_it_once(
        taiping, clerk_user, staff_user, admin_user, monkeypatch):
    """Both read the expenditure as submitted and wait at the barrier after their checks
    (at the budget read). With the lock the second waits for the first to commit (the
    barrier times out), then finds it approved and is refused: one approval, one
    history row, and the batch says what happened to its item."""
    expenditure = _submitted(taiping, clerk_user)
    barrier = threading.Barrier(2)
    real_budget = spending.township_budget_get

    def budget_then_wait(*args, **kwargs):
        budget = real_budget(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=3)
        return budget

    monkeypatch.setattr(spending, "township_budget_get", budget_then_wait)
    batch = []
    errors = _run(
        lambda: batch.extend(spending.expenditure_approve_batch(
            expenditures=[expenditure], acting_user=staff_user, opinion="同意（批量）")),
        lambda: spending.expenditure_approve(expenditure=expenditure, acting_user=admin_user,
                                             opinion="同意"))
    approvals = ExpenditureTransition.objects.filter(expenditure=expenditure,
                                                     to_status=S.APPROVED)
    assert approvals.count() == 1
    expenditure.refresh_from_db()
    assert expenditure.status == S.APPROVED
    assert expenditure.approved_by == approvals.get().actor
    if expenditure.approved_by == staff_user:  # the batch went first
        assert batch[0].approved and len(errors) == 1, errors
    else:
        assert not batch[0].approved and "已审批" in batch[0].message and errors == []


def test_a_payment_and_a_return_with_an_edit_of_the_same_item_do_not_both_happen(
        taiping, clerk_user, staff_user, finance_user, monkeypatch):
    """Finance pays what its page shows as approved while the approver returns it and the
    clerk changes its amount. The payment waits at the barrier after its checks, then
    for the edit to finish. With the lock the return waits for the payment to commit (the
    edit never finishes in time) and is refused; without it the payment writes its stale
    row over the edit: paid at the old amount, with a return and a change in the history."""
    expenditure = _submitted(taiping, clerk_user)
    spending.expenditure_approve(expenditure=expenditure, acting_user=staff_user)
    barrier = threading.Barrier(2)
    edited = threading.Event()
    real_precondition = spending.precondition

    def precondition_then_wait(action, checked):
        message = real_precondition(action, checked)
        if action == "reimburse":
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=3)
            edited.wait(timeout=3)
        return message

    monkeypatch.setattr(spending, "precondition", precondition_then_wait)

    def return_and_edit():
        barrier.wait(timeout=3)
        spending.expenditure_return(expenditure=expenditure, acting_user=staff_user,
                                    note="金额有误")
        spending.expenditure_update(
            expenditure=expenditure, acting_user=clerk_user, date=expenditure.date,
            amount=Decimal("1500.00"), category=expenditure.category,
            purpose=expenditure.purpose, payee=expenditure.payee)
        edited.set()

    errors = _run(
        lambda: spending.expenditure_reimburse(
            expenditure=expenditure, acting_user=finance_user,
            reimbursed_on=timezone.localdate(), accounting_voucher="记-2020-017"),
        return_and_edit)
    expenditure.refresh_from_db()
    history = list(ExpenditureTransition.objects.filter(expenditure=expenditure)
                   .values_list("to_status", flat=True))
    # the payment went first and holds: the return is refused, the amount unchanged
    assert (expenditure.status, expenditure.amount, expenditure.reimbursed_by) == (
        S.REIMBURSED, Decimal("1000.00"), finance_user)
    assert S.RETURNED not in history and len(errors) == 1, (history, errors)
