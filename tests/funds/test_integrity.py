"""Money integrity (issue 14, items 1-4 and the voucher names of item 8): the controls of
the spending loop hold against one insider, or two acting at the same moment."""

import contextlib
import datetime
import itertools
import threading
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, connections, transaction  # noqa: F401 - connection: skipif
from django.urls import reverse
from django.utils import timezone

from demo.data import DEMO_PDF
from funds.budget.selectors import township_budget_get
from funds.models import Expenditure, ExpenditureTransition, FundYear, SpendingCategory
from funds.spending import services as spending
from tests.conftest import login, make_user
from townships import roles
from townships.models import Township

S = Expenditure.Status
DAY = datetime.date(2020, 5, 1)


def _category(name="教育培训"):
    return SpendingCategory.objects.get(name=name)


def _new(township, user, amount="1000.00", **fields):
    values = {"date": DAY, "category": _category(), "purpose": "慰问困难党员",
              "payee": "困难党员（12人）"} | fields
    return spending.expenditure_create(township=township, amount=Decimal(amount),
                                       acting_user=user, **values)


def _update(expenditure, user, **fields):
    expenditure.refresh_from_db()
    values = {"date": expenditure.date, "amount": expenditure.amount,
              "category": expenditure.category, "purpose": expenditure.purpose,
              "payee": expenditure.payee} | fields
    return spending.expenditure_update(expenditure=expenditure, acting_user=user, **values)


def _decide(expenditure, user, meeting_date=DAY, **extra):
    return spending.decision_record(
        expenditure=expenditure, meeting_type="party_committee", meeting_date=meeting_date,
        attendance="应到9人，实到8人", minutes_reference="纪〔2020〕1号", acting_user=user,
        **extra)


def _approved_then_returned(township, clerk, staff, amount="1000.00"):
    expenditure = _new(township, clerk, amount)
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk)
    spending.expenditure_approve(expenditure=expenditure, acting_user=staff)
    spending.expenditure_return(expenditure=expenditure, acting_user=staff, note="补充签到表")
    return Expenditure.objects.get(pk=expenditure.pk)


def _spend_all_but(township, clerk, staff, left: Decimal):
    expenditure = _new(township, clerk, str(Decimal("200000.00") - left))
    _decide(expenditure, clerk)
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk)
    spending.expenditure_approve(expenditure=expenditure, acting_user=staff)


# --- 1. The budget is never overspent, whatever two people do at the same moment --------


@pytest.mark.skipif("connection.vendor != 'postgresql'",
                    reason="two connections racing for one budget need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_approvals_cannot_both_spend_the_last_money(
        taiping, clerk_user, staff_user, admin_user, monkeypatch):
    """Two approvers approve two expenditures of the same township at once: together
    they would pass the budget. (A resubmission spent nothing before issue 23 either
    way: a return withdraws the approval, so only approvals spend.)

    Both services read the remaining budget; a barrier holds each after its read until
    the other has read too. With the township lock the second waits for the first to
    commit (the barrier times out) and reads what is really left."""
    _spend_all_but(taiping, clerk_user, staff_user, left=Decimal("15000.00"))
    first = _new(taiping, clerk_user, "9000.00")
    spending.expenditure_submit(expenditure=first, acting_user=clerk_user)
    other = _new(taiping, clerk_user, "9000.00")
    spending.expenditure_submit(expenditure=other, acting_user=clerk_user)

    barrier = threading.Barrier(2)
    real_budget = spending.township_budget_get

    def budget_then_wait(*args, **kwargs):
        budget = real_budget(*args, **kwargs)
        # the other one may be waiting for our lock: then go on alone
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=3)
        return budget

    monkeypatch.setattr(spending, "township_budget_get", budget_then_wait)
    errors = []

    def act(service, **kwargs):
        try:
            service(**kwargs)
        except spending.SpendingError as exc:
            errors.append(str(exc))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=act, args=(spending.expenditure_approve,),
                         kwargs={"expenditure": first, "acting_user": admin_user}),
        threading.Thread(target=act, args=(spending.expenditure_approve,),
                         kwargs={"expenditure": other, "acting_user": staff_user}),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    remaining = township_budget_get(township=taiping, fund_year=FundYear.objects.get(year=2020)).remaining
    assert remaining == Decimal("6000.00")  # exactly one of the two was counted
    statuses = sorted(Expenditure.objects.filter(pk__in=[first.pk, other.pk])
                      .values_list("status", flat=True))
    assert statuses == ["approved", "submitted"]
    assert len(errors) == 1 and "超出预算余额" in errors[0], errors


def _write_paths(township, clerk, staff, finance, admin):
    """Every service that writes an expenditure or its decision, each as a call: a draft
    edited, given a voucher, submitted, withdrawn, resubmitted, approved, returned, approved
    again and paid; a large one decided, the decision corrected and rejected; a third voided."""
    small = _new(township, clerk, "500.00")
    large = _new(township, clerk, "20000.00")
    spare = _new(township, clerk, "300.00")
    pdf = SimpleUploadedFile("发票.pdf", DEMO_PDF)
    return [
        ("update", lambda: _update(small, clerk, amount=Decimal("600.00"))),
        ("vouchers", lambda: spending.voucher_add(expenditure=small, kind="invoice",
                                                  upload=pdf, acting_user=clerk)),
        ("submit", lambda: spending.expenditure_submit(expenditure=small, acting_user=clerk)),
        ("withdraw", lambda: spending.expenditure_withdraw(expenditure=small,
                                                           acting_user=clerk)),
        ("resubmit", lambda: spending.expenditure_submit(expenditure=small,
                                                         acting_user=clerk)),
        ("approve", lambda: spending.expenditure_approve(expenditure=small,
                                                         acting_user=staff)),
        ("return", lambda: spending.expenditure_return(expenditure=small, acting_user=staff,
                                                       note="补充签到表")),
        ("submit again", lambda: spending.expenditure_submit(expenditure=small,
                                                             acting_user=clerk)),
        ("approve batch", lambda: spending.expenditure_approve_batch(
            expenditures=[small], acting_user=staff)),
        ("reimburse", lambda: spending.expenditure_reimburse(
            expenditure=small, acting_user=finance, reimbursed_on=timezone.localdate(),
            accounting_voucher="记-001")),
        ("decision", lambda: _decide(large, clerk)),
        ("decision corrected", lambda: spending.decision_update(
            decision=Expenditure.objects.get(pk=large.pk).decision,
            meeting_type="party_committee", meeting_date=DAY, attendance="应到9人，实到9人",
            minutes_reference="纪〔2020〕1号", acting_user=clerk)),
        ("submit large", lambda: spending.expenditure_submit(expenditure=large,
                                                             acting_user=clerk)),
        ("reject", lambda: spending.expenditure_reject(expenditure=large, acting_user=staff,
                                                       note="不符合规定")),
        ("void", lambda: spending.expenditure_void(expenditure=spare, acting_user=admin,
                                                   note="重复录入")),
    ]


def test_every_write_of_an_expenditure_takes_its_township_lock(
        taiping, clerk_user, staff_user, finance_user, admin_user, monkeypatch):
    """Each path, whichever database: the township lock is taken, once per expenditure."""
    from funds.spending import services as module

    taken = []
    real = module._lock_township
    monkeypatch.setattr(module, "_lock_township",
                        lambda township_id: (taken.append(township_id), real(township_id)))
    for name, write in _write_paths(taiping, clerk_user, staff_user, finance_user, admin_user):
        taken.clear()
        write()
        assert taken == [taiping.pk], name


@pytest.mark.skipif("connection.vendor != 'postgresql'",
                    reason="row locks are SQL only on PostgreSQL (SQLite locks the file)")
def test_every_path_locks_the_township_before_the_expenditure(
        taiping, clerk_user, staff_user, finance_user, admin_user):
    """The order of locks is the same on every path: the township's row first, then the
    expenditure's (or the decision's), read off the SQL each service sends: two writes
    that took them in opposite orders could deadlock."""
    from django.test.utils import CaptureQueriesContext

    for name, write in _write_paths(taiping, clerk_user, staff_user, finance_user, admin_user):
        with CaptureQueriesContext(connection) as queries:
            write()
        locked = [q["sql"].split(" FROM ", 1)[1].split()[0].strip('"')
                  for q in queries.captured_queries if " FOR " in q["sql"]
                  and ("FOR UPDATE" in q["sql"] or "FOR NO KEY UPDATE" in q["sql"])]
        assert locked, name
        assert locked[0] == "townships_township", (name, locked)
        assert "townships_township" not in locked[1:], (name, locked)
        assert {"funds_expenditure", "funds_collectivedecision"} & set(locked), (name, locked)


# --- 2. An approval covers exactly what was approved --------------------------------------


@pytest.mark.parametrize(("field", "new", "label"), [
    ("payee", "张某某（个人账户）", "收款方"),
    ("purpose", "购买购物卡", "用途"),
    ("date", datetime.date(2020, 6, 1), "日期"),
    ("category", "其他", "开支类别"),
    ("amount", Decimal("999.00"), "金额"),
])
def test_any_change_after_an_approval_needs_a_new_approval(
        taiping, clerk_user, staff_user, field, new, label):
    expenditure = _approved_then_returned(taiping, clerk_user, staff_user)
    old = getattr(expenditure, field)
    value = _category(new) if field == "category" else new
    _update(expenditure, clerk_user, **{field: value})
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk_user)
    expenditure.refresh_from_db()
    assert expenditure.status == S.SUBMITTED
    assert expenditure.approved_by is None
    change = ExpenditureTransition.objects.filter(expenditure=expenditure).exclude(
        changes={}).get()
    shown_old = str(old.name if field == "category" else old)
    shown_new = str(value.name if field == "category" else value)
    assert change.changes == {field: [shown_old, shown_new]}
    assert label in change.note and shown_old in change.note and shown_new in change.note


def test_an_unchanged_resubmission_is_looked_at_again(taiping, clerk_user, staff_user):
    expenditure = _approved_then_returned(taiping, clerk_user, staff_user)
    _update(expenditure, clerk_user)  # saved with the same values
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk_user)
    expenditure.refresh_from_db()
    assert expenditure.status == S.SUBMITTED and expenditure.approved_by is None


def test_an_approval_changed_behind_the_services_back_does_not_stand(
        taiping, clerk_user, staff_user):
    """Whatever door changed the payee, the resubmission compares with what was approved."""
    expenditure = _approved_then_returned(taiping, clerk_user, staff_user)
    Expenditure.objects.filter(pk=expenditure.pk).update(payee="张某某")
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk_user)
    assert Expenditure.objects.get(pk=expenditure.pk).status == S.SUBMITTED


# --- 3. Four eyes: not the creator, the submitter or an editor ----------------------------


def test_the_creator_may_not_approve(taiping, clerk_user, admin_user):
    expenditure = _new(taiping, admin_user)
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk_user)
    with pytest.raises(spending.SpendingError, match="他人审批"):
        spending.expenditure_approve(expenditure=expenditure, acting_user=admin_user)
    with pytest.raises(spending.SpendingError, match="他人"):
        spending.expenditure_reject(expenditure=expenditure, acting_user=admin_user,
                                    note="x")
    assert Expenditure.objects.get(pk=expenditure.pk).status == S.SUBMITTED


def test_an_editor_may_not_approve(client, taiping, clerk_user, staff_user, admin_user):
    expenditure = _new(taiping, clerk_user)
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk_user)
    spending.expenditure_return(expenditure=expenditure, acting_user=staff_user, note="改")
    _update(expenditure, admin_user, purpose="党员培训（管理员改）")
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk_user)
    with pytest.raises(spending.SpendingError, match="他人审批"):
        spending.expenditure_approve(expenditure=expenditure, acting_user=admin_user)
    login(client, admin_user)
    page = client.get(reverse("expenditure-detail", args=[expenditure.pk])).content.decode()
    assert f'action="{reverse("expenditure-action", args=[expenditure.pk, "approve"])}"' \
        not in page
    spending.expenditure_approve(expenditure=expenditure, acting_user=staff_user)
    assert Expenditure.objects.get(pk=expenditure.pk).status == S.APPROVED


def test_the_database_refuses_the_creator_or_the_last_editor_as_approver(
        taiping, clerk_user, admin_user, staff_user):
    expenditure = _new(taiping, admin_user)
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk_user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Expenditure.objects.filter(pk=expenditure.pk).update(approved_by=admin_user)
    Expenditure.objects.filter(pk=expenditure.pk).update(last_edited_by=staff_user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Expenditure.objects.filter(pk=expenditure.pk).update(approved_by=staff_user)


# --- 4. A collective decision is bound to the spending it decided ------------------------


def test_a_decision_is_only_for_large_spending(taiping, clerk_user):
    small = _new(taiping, clerk_user, "100.00")
    with pytest.raises(spending.SpendingError, match="大额"):
        _decide(small, clerk_user)
    assert Expenditure.objects.get(pk=small.pk).decision is None


def test_a_decision_cannot_be_dated_in_the_future(taiping, clerk_user):
    large = _new(taiping, clerk_user, "38000.00")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(spending.SpendingError, match="会议日期"):
        _decide(large, clerk_user, meeting_date=tomorrow)
    with pytest.raises(spending.SpendingError, match="会议日期"):
        _decide(large, clerk_user, meeting_date=datetime.date(2099, 1, 1))


def test_a_decision_records_what_it_decided_and_a_raise_detaches_it(
        taiping, clerk_user, staff_user):
    large = _new(taiping, clerk_user, "38000.00")
    decision = _decide(large, clerk_user)
    assert decision.amount == Decimal("38000.00") and decision.purpose == "慰问困难党员"
    _update(large, clerk_user, amount=Decimal("50000.00"))
    large.refresh_from_db()
    assert large.decision is None
    note = ExpenditureTransition.objects.filter(expenditure=large).last().note
    assert "集体决策" in note
    spending.expenditure_submit(expenditure=large, acting_user=clerk_user)
    with pytest.raises(spending.SpendingError, match="集体决策"):
        spending.expenditure_approve(expenditure=large, acting_user=staff_user)


def test_a_lower_amount_keeps_the_decision(taiping, clerk_user, staff_user):
    large = _new(taiping, clerk_user, "38000.00")
    _decide(large, clerk_user)
    _update(large, clerk_user, amount=Decimal("36000.00"))
    spending.expenditure_submit(expenditure=large, acting_user=clerk_user)
    spending.expenditure_approve(expenditure=large, acting_user=staff_user)
    assert Expenditure.objects.get(pk=large.pk).status == S.APPROVED


def test_a_decision_that_does_not_cover_the_amount_does_not_allow_the_approval(
        taiping, clerk_user, staff_user):
    """Whatever door raised the amount: the approval compares with the decision."""
    large = _new(taiping, clerk_user, "38000.00")
    _decide(large, clerk_user)
    spending.expenditure_submit(expenditure=large, acting_user=clerk_user)
    Expenditure.objects.filter(pk=large.pk).update(amount=Decimal("50000.00"))
    with pytest.raises(spending.SpendingError, match="集体决策"):
        spending.expenditure_approve(expenditure=large, acting_user=staff_user)


def test_a_decision_of_another_township_does_not_count(taiping, clerk_user, staff_user):
    large = _new(taiping, clerk_user, "38000.00")
    decision = _decide(large, clerk_user)
    other = Township.objects.exclude(pk=taiping.pk).first()
    type(decision).objects.filter(pk=decision.pk).update(township=other)
    spending.expenditure_submit(expenditure=large, acting_user=clerk_user)
    with pytest.raises(spending.SpendingError, match="集体决策"):
        spending.expenditure_approve(expenditure=large, acting_user=staff_user)


# --- 8. Voucher names end in the verified extension ---------------------------------------


@pytest.mark.parametrize("trick", [".html", ".hta", ".bat", ".svg"])
def test_a_voucher_is_offered_only_under_its_verified_type(client, taiping, clerk_user, trick):
    expenditure = _new(taiping, clerk_user)
    name = "A" * 195 + trick + ".pdf"
    voucher = spending.voucher_add(expenditure=expenditure, kind="invoice",
                                   upload=SimpleUploadedFile(name, DEMO_PDF),
                                   acting_user=clerk_user)
    # cut to the 200 characters of the field: the stem's first 196, then the verified type
    expected = ("A" * 195 + trick)[:196] + ".pdf"
    assert voucher.original_name == expected
    login(client, clerk_user)
    response = client.get(reverse("voucher-download", args=[voucher.pk]))
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition == f'attachment; filename="{expected}"'
    assert trick + '"' not in disposition


def test_staff_of_another_role_still_approve_what_an_admin_created(
        taiping, clerk_user, staff_user, admin_user):
    """The four-eyes rule does not stop the ordinary path: admin records, staff approve."""
    second = make_user("staff2", roles.STAFF, is_staff=True)
    expenditure = _new(taiping, admin_user)
    spending.expenditure_submit(expenditure=expenditure, acting_user=admin_user)
    spending.expenditure_approve(expenditure=expenditure, acting_user=second)
    assert Expenditure.objects.get(pk=expenditure.pk).approved_by == second


# --- One table: the page offers an action exactly when the service accepts it -----------


class _Rollback(Exception):
    pass


def _in_status(status, township, clerk, staff, creator, finance):
    expenditure = _new(township, creator, "800.00")
    spending.voucher_add(expenditure=expenditure, kind="invoice",
                         upload=SimpleUploadedFile("发票.pdf", DEMO_PDF), acting_user=clerk)
    steps = {
        S.DRAFT: [],
        S.SUBMITTED: ["submit"],
        S.RETURNED: ["submit", "return"],
        S.APPROVED: ["submit", "approve"],
        S.REIMBURSED: ["submit", "approve", "reimburse"],
        S.REJECTED: ["submit", "reject"],
        S.VOIDED: ["void"],
    }[status]
    for step in steps:
        user = (clerk if step in ("submit", "void") else finance if step == "reimburse"
                else staff)
        _ACTIONS[step](expenditure, user)
    expenditure.refresh_from_db()
    assert expenditure.status == status
    return expenditure


_ACTIONS = {
    "submit": lambda e, u: spending.expenditure_submit(expenditure=e, acting_user=u),
    "withdraw": lambda e, u: spending.expenditure_withdraw(expenditure=e, acting_user=u),
    "approve": lambda e, u: spending.expenditure_approve(expenditure=e, acting_user=u),
    "return": lambda e, u: spending.expenditure_return(expenditure=e, acting_user=u,
                                                       note="改"),
    "reject": lambda e, u: spending.expenditure_reject(expenditure=e, acting_user=u,
                                                       note="不符"),
    "reimburse": lambda e, u: spending.expenditure_reimburse(expenditure=e, acting_user=u, reimbursed_on=timezone.localdate(), accounting_voucher="记-001"),
    "void": lambda e, u: spending.expenditure_void(expenditure=e, acting_user=u, note="重复"),
    "edit": lambda e, u: _update(e, u, purpose=e.purpose + "（改）"),
    "voucher": lambda e, u: spending.voucher_add(
        expenditure=e, kind="photo", upload=SimpleUploadedFile("照片.png",
                                                               b"\x89PNG\r\n\x1a\n" + b"0" * 8),
        acting_user=u),
    "decision": lambda e, u: _decide(e, u),
}


def _offered(client, user, expenditure) -> set[str]:
    client.force_login(user)
    response = client.get(reverse("expenditure-detail", args=[expenditure.pk]))
    if response.status_code == 404:
        return set()
    page = response.content.decode()
    urls = {name: reverse("expenditure-action", args=[expenditure.pk, name])
            for name in ("submit", "withdraw", "approve", "return", "reject", "reimburse",
                         "void")}
    urls |= {"edit": reverse("expenditure-edit", args=[expenditure.pk]),
             "voucher": reverse("voucher-upload", args=[expenditure.pk]),
             "decision": reverse("decision-create", args=[expenditure.pk])}
    return {name for name, url in urls.items() if f'"{url}"' in page}


def _accepted(action, expenditure, user) -> bool:
    from django.core.exceptions import PermissionDenied

    try:
        with transaction.atomic():
            _ACTIONS[action](Expenditure.objects.get(pk=expenditure.pk), user)
            raise _Rollback
    except _Rollback:
        return True
    except (PermissionDenied, spending.SpendingError):
        return False


def test_the_page_offers_exactly_what_the_services_accept(
        client, taiping, clerk_user, other_clerk_user, staff_user, finance_user, admin_user):
    users = [clerk_user, other_clerk_user, staff_user, finance_user, admin_user]
    assert set(_ACTIONS) == set(spending.TRANSITIONS)
    mismatches = []
    for status, creator in itertools.product(S.values, [clerk_user, admin_user]):
        expenditure = _in_status(status, taiping, clerk_user, staff_user, creator,
                                 finance_user)
        for user in users:
            offered = _offered(client, user, expenditure)
            for action in _ACTIONS:
                if (action in offered) != _accepted(action, expenditure, user):
                    mismatches.append((status, user.username, action, action in offered))
    assert mismatches == []


def test_a_change_of_purpose_detaches_the_decision(taiping, clerk_user, staff_user):
    large = _new(taiping, clerk_user, "38000.00", purpose="党员教育培训")
    _decide(large, clerk_user)
    _update(large, clerk_user, purpose="购买购物卡")
    large.refresh_from_db()
    assert large.decision is None
    spending.expenditure_submit(expenditure=large, acting_user=clerk_user)
    with pytest.raises(spending.SpendingError, match="集体决策"):
        spending.expenditure_approve(expenditure=large, acting_user=staff_user)


def test_a_decision_recorded_after_an_approval_needs_a_new_approval(
        taiping, clerk_user, staff_user):
    """Approved below the threshold, returned, threshold lowered, decision recorded: the
    resubmission does not stand on an approval that was given without the decision."""
    expenditure = _approved_then_returned(taiping, clerk_user, staff_user, "8000.00")
    FundYear.objects.filter(year=2020).update(large_spending_threshold=Decimal("5000.00"))
    _decide(expenditure, clerk_user, meeting_date=timezone.localdate())
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk_user)
    expenditure.refresh_from_db()
    assert expenditure.status == S.SUBMITTED and expenditure.approved_by is None


def test_an_earlier_submitter_may_not_approve(taiping, clerk_user, staff_user, admin_user):
    expenditure = _new(taiping, clerk_user)
    spending.expenditure_submit(expenditure=expenditure, acting_user=admin_user)
    spending.expenditure_return(expenditure=expenditure, acting_user=staff_user, note="改")
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk_user)
    with pytest.raises(spending.SpendingError, match="他人审批"):
        spending.expenditure_approve(expenditure=expenditure, acting_user=admin_user)


def test_the_history_is_written_in_the_site_language_whatever_the_user_browses_in(
        taiping, clerk_user, staff_user):
    """Item 4 of issue 15: a clerk browsing in English leaves Chinese in the history."""
    from django.utils import translation

    with translation.override("en"):
        expenditure = _new(taiping, clerk_user)
        spending.expenditure_submit(expenditure=expenditure, acting_user=clerk_user)
        spending.expenditure_approve(expenditure=expenditure, acting_user=staff_user)
        spending.expenditure_return(expenditure=expenditure, acting_user=staff_user,
                                    note="补充签到表")
        _update(expenditure, clerk_user, amount=Decimal("1200.00"))
    notes = list(ExpenditureTransition.objects.filter(expenditure=expenditure)
                 .order_by("at", "id").values_list("note", flat=True))
    assert notes[0] == "创建"
    # the return withdrew the approval already: the change has none to void
    assert notes[-1] == "修改: 金额（元） 1000.00 → 1200.00"


def test_an_over_budget_approval_under_the_warn_policy_is_noted_in_the_site_language(
        taiping, clerk_user, staff_user):
    from django.utils import translation

    FundYear.objects.filter(year=2020).update(overspend_policy="warn")
    expenditure = _new(taiping, clerk_user, amount="5000.00")
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk_user)
    FundYear.objects.filter(year=2020).update(standard_first=Decimal("1000.00"),
                                              floor_amount=Decimal("0.00"))
    with translation.override("en"):
        spending.expenditure_approve(expenditure=expenditure, acting_user=staff_user)
    note = expenditure.transitions.order_by("at", "id").last().note
    assert note == "同意; 0.50 万元超出预算余额 0.10 万元。"  # the opinion, then the warning
