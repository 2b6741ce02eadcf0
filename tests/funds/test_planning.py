"""The planner's scenarios, adoption and revert (funds.planning.services) on the demo."""

import contextlib
import csv
import datetime
import io
import os
import re
import threading
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import connection, connections  # noqa: F401 - connection: skipif

from funds.budget.exports import allocation_file
from funds.budget.selectors import allocation_list, budget_check_get, township_budget_get
from funds.models import Expenditure, FundYear, PlanLine, PlanScenario, SpendingCategory
from funds.planning import services
from funds.planning.services import PlanningError
from townships.models import AuditEvent, Township

WAN = Decimal(10000)


@pytest.fixture
def year(demo):
    return demo  # 2020: 20/16/16, 17/15/12万, fund 669万, floors 3万 from elsewhere


def _scale(year, user, **kwargs):
    return services.scenario_create(fund_year=year, name="按比例", method="scale",
                                    acting_user=user, **kwargs)


def _spend(approver):
    """An approved expenditure of 2020: money spent against the year."""
    clerk = User.objects.create_user("spender")
    Expenditure.objects.create(
        township=Township.objects.get(name="太平镇"), year=2020, date=datetime.date(2020, 5, 1),
        amount=Decimal("100.00"), category=SpendingCategory.objects.first(), purpose="p",
        payee="q", status="approved", created_by=clerk, approved_by=approver)


def test_a_scenario_keeps_a_line_per_township_and_its_formula(year, admin_user):
    scenario = _scale(year, admin_user)
    assert scenario.lines.count() == Township.objects.in_service(2020).count()
    assert scenario.fund_covered == 669 * WAN and scenario.difference == 0
    assert (scenario.standard_first, scenario.standard_second, scenario.standard_third) == (
        Decimal("147318.00"), Decimal("129987.00"), Decimal("103989.00"))
    assert len(scenario.recipients) == 24
    assert "最大余额" in scenario.formula_zh and "largest-remainder" in scenario.formula_en
    event = AuditEvent.objects.get(action=AuditEvent.Action.PLAN_CREATED)
    assert event.actor == admin_user and event.details["scenario"] == scenario.pk


def test_fit_on_the_demo_lists_the_four_splits(year, admin_user):
    scenario = services.scenario_create(fund_year=year, name="拟合", method="fit",
                                        acting_user=admin_user)
    assert [s["counts"] for s in scenario.fit["exact"]] == [
        [0, 15, 37], [3, 10, 39], [6, 5, 41], [9, 0, 43]]
    assert scenario.fit["under"] and scenario.fit["over"]


def test_staff_and_finance_may_not_create_or_adopt(year, admin_user, staff_user,
                                                   finance_user):
    for user in (staff_user, finance_user):
        with pytest.raises(PermissionDenied):
            _scale(year, user)
    scenario = _scale(year, admin_user)
    for user in (staff_user, finance_user):
        with pytest.raises(PermissionDenied):
            services.scenario_adopt(scenario=scenario, acting_user=user)


def test_adopting_changes_the_allocation_everywhere_and_is_audited(year, admin_user):
    before_csv = list(allocation_file(fund_year=year)[1])
    scenario = _scale(year, admin_user)
    services.scenario_adopt(scenario=scenario, acting_user=admin_user)
    year.refresh_from_db()
    assert year.adopted_scenario == scenario
    assert year.standard_first == Decimal("147318.00")
    lines = {line.township_id: line for line in scenario.lines.all()}
    rows = list(allocation_list(fund_year=year))
    assert {r.pk: r.total_amount for r in rows} == {t: line.total for t, line in lines.items()}
    # townships of one category differ by one yuan: the lines, not the formula
    third = sorted({r.standard_amount for r in rows if r.category == 3})
    assert third == [Decimal("103989.00"), Decimal("103990.00")]
    check = budget_check_get(fund_year=year)
    assert check.standards_total == 669 * WAN and check.difference == 0
    assert check.grand_total == 669 * WAN + 52 * 3 * WAN
    taiping = Township.objects.get(name="太平镇")
    assert township_budget_get(township=taiping, fund_year=year).allocation == lines[taiping.pk].total
    after_csv = list(allocation_file(fund_year=year)[1])
    assert after_csv != before_csv
    assert after_csv[-1][6] == Decimal("6690000.00")  # the standards' total in the file
    event = AuditEvent.objects.get(action=AuditEvent.Action.PLAN_ADOPTED)
    assert event.actor == admin_user
    assert event.details["old"]["standard_first"] == "170000.00"
    assert event.details["new"]["standard_first"] == "147318.00"
    assert event.details["new"]["adopted_scenario"] == scenario.pk
    with pytest.raises(PlanningError):  # not twice
        services.scenario_adopt(scenario=scenario, acting_user=admin_user)


def test_a_changed_category_falls_back_to_the_formula(year, admin_user):
    scenario = _scale(year, admin_user)
    services.scenario_adopt(scenario=scenario, acting_user=admin_user)
    year.refresh_from_db()
    line = scenario.lines.filter(category=1).first()
    line.township.categories.filter(year=2020).update(category=3)
    row = allocation_list(fund_year=year).get(pk=line.township_id)
    assert row.total_amount == year.allocation_for(3)


def test_adopting_after_spending_needs_a_reason_and_revert_is_refused(year, admin_user):
    scenario = _scale(year, admin_user)
    _spend(admin_user)
    with pytest.raises(PlanningError, match="理由|reason"):
        services.scenario_adopt(scenario=scenario, acting_user=admin_user)
    services.scenario_adopt(scenario=scenario, acting_user=admin_user, reason="市委批准")
    event = AuditEvent.objects.get(action=AuditEvent.Action.PLAN_ADOPTED)
    assert event.details["reason"] == "市委批准" and event.details["spent"] is True
    year.refresh_from_db()
    with pytest.raises(PlanningError):
        services.scenario_revert(fund_year=year, acting_user=admin_user)


def test_revert_restores_the_settings_while_nothing_is_spent(year, admin_user):
    scenario = services.scenario_create(fund_year=year, name="阶梯", method="ladder",
                                        gap=Decimal("20000"), rounding_unit=100,
                                        acting_user=admin_user)
    services.scenario_adopt(scenario=scenario, acting_user=admin_user)
    year.refresh_from_db()
    assert year.standard_first - year.standard_second in (Decimal("20000.00"),
                                                          Decimal("19900.00"),
                                                          Decimal("20100.00"))
    services.scenario_revert(fund_year=year, acting_user=admin_user)
    year.refresh_from_db()
    assert year.adopted_scenario is None
    assert year.standards == {1: 17 * WAN, 2: 15 * WAN, 3: 12 * WAN}
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PLAN_REVERTED).count() == 1
    assert budget_check_get(fund_year=year).standards_total == 772 * WAN


def test_the_lines_add_up_to_the_budget_check_in_every_floor_mode(year, admin_user):
    for mode in ("elsewhere", "in_fund", "minimum"):
        FundYear.objects.filter(pk=year.pk).update(floor_mode=mode, special_fund=900 * WAN,
                                                   adopted_scenario=None)
        year.refresh_from_db()
        scenario = _scale(year, admin_user, reserve=Decimal("12345.67"))
        services.scenario_adopt(scenario=scenario, acting_user=admin_user)
        year.refresh_from_db()
        check = budget_check_get(fund_year=year)
        totals = PlanLine.objects.filter(scenario=scenario)
        assert check.grand_total == sum(line.total for line in totals)
        assert Decimal(0) <= check.difference < 1, mode
        assert check.reserve == Decimal("12345.67")


@pytest.mark.skipif("connection.vendor != 'postgresql'",
                    reason="two connections racing for one adoption need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_adoptions_at_once_serialise_and_the_second_is_refused(demo, admin_user,
                                                                   monkeypatch):
    """Both read the fund year, then a barrier holds each until the other has read too.
    With the row lock the second waits for the first to commit (the barrier times out)
    and finds the plan adopted; without it both adopt."""
    scenario = _scale(demo, admin_user)
    barrier = threading.Barrier(2)
    real = services.year_has_spending

    def spent_then_wait(*, year):
        spent = real(year=year)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=3)
        return spent

    monkeypatch.setattr(services, "year_has_spending", spent_then_wait)
    errors = []

    def adopt():
        try:
            services.scenario_adopt(scenario=scenario, acting_user=admin_user)
        except PlanningError as exc:
            errors.append(str(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=adopt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PLAN_ADOPTED).count() == 1
    assert len(errors) == 1


def test_the_command_prints_the_splits_and_adopts_as_the_named_user(year, admin_user):
    from django.core.management import call_command

    out = io.StringIO()
    call_command("plan_allocation", "--year", "2020", "--method", "fit", stdout=out)
    text = out.getvalue()
    assert "exact: (0, 15, 37) 669.00, (3, 10, 39) 669.00, (6, 5, 41) 669.00, " \
           "(9, 0, 43) 669.00" in text
    assert not PlanScenario.objects.exists()  # printing writes nothing
    out = io.StringIO()
    call_command("plan_allocation", "--year", "2020", "--method", "scale", "--round", "100",
                 "--adopt", "--user", admin_user.username, stdout=out)
    assert "一类: 20 townships, standard as paid 20 × 147,300.00 (with the floor " \
           "177,300.00)" in out.getvalue()
    year.refresh_from_db()
    assert year.adopted_scenario.rounding_unit == 100
    assert AuditEvent.objects.get(action=AuditEvent.Action.PLAN_ADOPTED).actor == admin_user


def test_the_command_refuses_a_user_without_the_permission(year, staff_user):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="permission"):
        call_command("plan_allocation", "--year", "2020", "--method", "scale", "--adopt",
                     "--user", staff_user.username, stdout=io.StringIO())
    assert not PlanScenario.objects.exists()


def test_a_year_without_categories_is_planned_with_the_pending_reclassification(
        year, admin_user):
    from funds.planning.selectors import plan_input_get
    from funds.yearly.services import reclassification_preview

    next_year = FundYear.objects.create(year=2021, special_fund=669 * WAN)
    plan_input = plan_input_get(fund_year=next_year)
    assert plan_input.from_preview
    preview = reclassification_preview(fund_year=year).result
    expected = {d.key: d.new_category for d in preview.decisions}
    assert dict(plan_input.townships) == {
        pk: expected.get(pk) for pk in Township.objects.in_service(2021).values_list(
            "pk", flat=True)}
    assert plan_input_get(fund_year=year).from_preview is False


def test_the_command_prints_each_townships_amount_and_the_categories_as_paid(year):
    from django.core.management import call_command

    out = io.StringIO()
    call_command("plan_allocation", "--year", "2020", "--method", "scale", stdout=out)
    text = out.getvalue()
    plan = services.scenario_compute(fund_year=year, method="scale")
    # every township with its amount, to the yuan
    for township in Township.objects.in_service(2020):
        line = next(line for line in plan.lines if line.township == township.pk)
        assert re.search(rf"^{township.code}\s+{township.name}\s.*\s{line.total:,.2f}$", text,
                         re.MULTILINE), township.name
    # the categories as paid: nobody gets a standard only the arithmetic has
    paid = {line.standard for line in plan.lines if line.category == 1}
    assert paid == {Decimal("147319.00")} and "147,318.00" not in text
    assert "一类: 20 townships, standard as paid 20 × 147,319.00" in text


def test_the_command_writes_the_amounts_as_csv(year):
    from django.core.management import call_command

    out = io.StringIO()
    call_command("plan_allocation", "--year", "2020", "--method", "scale", "--csv", stdout=out)
    rows = list(csv.reader(io.StringIO(out.getvalue().lstrip("\ufeff"))))
    assert rows[0][:3] == ["代码", "乡镇", "类别"]
    plan = services.scenario_compute(fund_year=year, method="scale")
    assert sum(Decimal(row[-1]) for row in rows[1:-1]) == plan.total
    assert rows[-1][0] == "合计" and Decimal(rows[-1][-1]) == plan.total


@pytest.mark.parametrize("value", ["-5", "abc", "NaN", "Infinity", "1e999999"])
def test_the_command_refuses_a_bad_amount_with_a_message(year, value, capsys):
    """Through the command line (as a user types it): a message and exit status 2, no
    traceback."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "manage.py", "plan_allocation", "--year", "2020", "--method",
         "ladder", "--gap", value], capture_output=True, text=True, cwd=settings.BASE_DIR,
        env={**os.environ, "DEBUG": "1"}, check=False)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "--gap" in result.stderr and value in result.stderr
