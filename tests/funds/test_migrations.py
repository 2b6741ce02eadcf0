"""Migrations that carry data over: what they write for rows made before them."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("funds", "0004_approval_covers_what_was_approved")]
AFTER = [("funds", "0005_reimbursement_date_and_accounting_voucher")]


@pytest.fixture(autouse=True)
def latest_schema_after():
    """The tests after these need the latest schema back."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def back_to_the_latest_migrations():
    """Leave the schema as the other tests expect it: every app at its latest migration,
    not at the one a test stopped at (later migrations exist)."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_earlier_reimbursements_get_their_day_and_say_the_voucher_was_not_recorded():
    apps = _migrate(BEFORE)
    User = apps.get_model("auth", "User")
    Township = apps.get_model("townships", "Township")
    FundYear = apps.get_model("funds", "FundYear")
    Category = apps.get_model("funds", "SpendingCategory")
    Expenditure = apps.get_model("funds", "Expenditure")
    Transition = apps.get_model("funds", "ExpenditureTransition")
    user = User.objects.create(username="u")
    township = Township.objects.create(code="511781100", name="太平镇", kind="town")
    FundYear.objects.create(year=2020, special_fund=Decimal("6690000.00"))
    category = Category.objects.get_or_create(name="教育培训", defaults={"sort_order": 1})[0]

    def expenditure(status):
        return Expenditure.objects.create(
            township=township, year=2020, date=datetime.date(2020, 5, 1), status=status,
            amount=Decimal("100.00"), category=category, purpose="p", payee="q",
            created_by=user)

    paid = expenditure("reimbursed")
    expenditure("approved")  # not reimbursed: nothing to record
    transition = Transition.objects.create(expenditure=paid, from_status="approved",
                                           to_status="reimbursed", amount=paid.amount,
                                           actor=user)
    Transition.objects.filter(pk=transition.pk).update(
        at=timezone.make_aware(datetime.datetime(2020, 6, 30, 23, 30)))  # Beijing time
    apps = _migrate(AFTER)
    Expenditure = apps.get_model("funds", "Expenditure")
    assert list(Expenditure.objects.order_by("pk").values_list(
        "reimbursed_on", "accounting_voucher")) == [
        (datetime.date(2020, 6, 30), "（迁移前未记录）"), (None, "")]


def test_the_floor_flag_becomes_the_floor_mode():
    """floor_on_top True was counted as paid from elsewhere; False was a minimum."""
    apps = _migrate([("funds", "0005_reimbursement_date_and_accounting_voucher")])
    FundYear = apps.get_model("funds", "FundYear")
    FundYear.objects.create(year=2020, special_fund=Decimal("6690000.00"), floor_on_top=True)
    FundYear.objects.create(year=2021, special_fund=Decimal("6690000.00"), floor_on_top=False)
    apps = _migrate([("funds", "0006_allocation_planner")])
    FundYear = apps.get_model("funds", "FundYear")
    assert list(FundYear.objects.order_by("year").values_list("year", "floor_mode", "reserve")) \
        == [(2020, "elsewhere", Decimal("0.00")), (2021, "minimum", Decimal("0.00"))]
    apps = _migrate([("funds", "0005_reimbursement_date_and_accounting_voucher")])
    FundYear = apps.get_model("funds", "FundYear")
    assert list(FundYear.objects.order_by("year").values_list("floor_on_top", flat=True)) \
        == [True, False]


def test_past_records_name_their_actors_as_the_accounts_are_named_now():
    """Issue 23: who acted is kept on the record; rows from before get today's names."""
    apps = _migrate([("funds", "0008_documents"), ("townships", "0010_document_audit")])
    User = apps.get_model("auth", "User")
    Township = apps.get_model("townships", "Township")
    AuditEvent = apps.get_model("townships", "AuditEvent")
    Unit = apps.get_model("townships", "AccountUnit")
    Clerk = apps.get_model("townships", "TownshipClerk")
    FundYear = apps.get_model("funds", "FundYear")
    Category = apps.get_model("funds", "SpendingCategory")
    Expenditure = apps.get_model("funds", "Expenditure")
    Transition = apps.get_model("funds", "ExpenditureTransition")
    named = User.objects.create(username="zhang", last_name="张", first_name="华")
    clerk = User.objects.create(username="clerk")
    township = Township.objects.create(code="511781100", name="太平镇", kind="town")
    Unit.objects.create(user=named, unit="组织部")
    Clerk.objects.create(user=clerk, township=township)
    FundYear.objects.create(year=2020, special_fund=Decimal("6690000.00"))
    category = Category.objects.get_or_create(name="教育培训", defaults={"sort_order": 1})[0]
    expenditure = Expenditure.objects.create(
        township=township, year=2020, date=datetime.date(2020, 5, 1), status="submitted",
        amount=Decimal("100.00"), category=category, purpose="p", payee="q", created_by=clerk)
    Transition.objects.create(expenditure=expenditure, to_status="draft", amount=1, actor=clerk)
    Transition.objects.create(expenditure=expenditure, to_status="returned", amount=1,
                              actor=named)
    AuditEvent.objects.create(action="role_granted", summary="s", actor=named)
    AuditEvent.objects.create(action="role_granted", summary="s")

    apps = _migrate([("funds", "0009_transition_actor_recorded"),
                     ("townships", "0011_audit_accounts_and_actors")])
    Transition = apps.get_model("funds", "ExpenditureTransition")
    AuditEvent = apps.get_model("townships", "AuditEvent")
    assert list(Transition.objects.order_by("id").values_list(
        "actor_name", "actor_username", "actor_unit")) == [
        ("clerk", "clerk", "太平镇"), ("张华", "zhang", "组织部")]
    assert list(AuditEvent.objects.filter(summary="s").order_by("id").values_list(
        "actor_name", "actor_username")) == [("张华", "zhang"), ("", "")]


def test_earlier_payments_name_their_payer_unless_it_was_a_creator_or_submitter():
    """Issue 23: reimbursed_by from the history; a payment a creator, submitter or editor
    recorded (allowed before) keeps it empty instead of breaking the new constraint."""
    apps = _migrate([("funds", "0008_documents")])
    User = apps.get_model("auth", "User")
    Township = apps.get_model("townships", "Township")
    FundYear = apps.get_model("funds", "FundYear")
    Category = apps.get_model("funds", "SpendingCategory")
    Expenditure = apps.get_model("funds", "Expenditure")
    Transition = apps.get_model("funds", "ExpenditureTransition")
    clerk, finance = User.objects.create(username="c"), User.objects.create(username="f")
    township = Township.objects.create(code="511781100", name="太平镇", kind="town")
    FundYear.objects.create(year=2020, special_fund=Decimal("6690000.00"))
    category = Category.objects.get_or_create(name="教育培训", defaults={"sort_order": 1})[0]

    def paid_by(payer, status="reimbursed"):
        expenditure = Expenditure.objects.create(
            township=township, year=2020, date=datetime.date(2020, 5, 1), status=status,
            amount=Decimal("100.00"), category=category, purpose="p", payee="q",
            created_by=clerk, submitted_by=clerk, reimbursed_on=datetime.date(2020, 6, 1),
            accounting_voucher="记-1")
        Transition.objects.create(expenditure=expenditure, from_status="approved",
                                  to_status="reimbursed", amount=expenditure.amount,
                                  actor=payer)
        return expenditure.pk

    by_finance, by_clerk = paid_by(finance), paid_by(clerk)
    apps = _migrate([("funds", "0010_finance_pays")])
    Expenditure = apps.get_model("funds", "Expenditure")
    assert dict(Expenditure.objects.values_list("pk", "reimbursed_by")) == {
        by_finance: finance.pk, by_clerk: None}
