"""Issue 23, item 7: every amount a plan accepts fits its column, and a plan beyond the
fund less the reserve is adopted only with an explicit confirmation and a reason."""

from decimal import Decimal

import pytest
from django.urls import reverse

from funds.models import FundYear, PlanScenario
from funds.planning import services
from funds.planning.services import PlanningError
from tests.conftest import login
from townships.models import AuditEvent

WAN = Decimal(10000)


def _create(client, **data):
    return client.post(reverse("plan-list", args=[2020]), {
        "name": "方案", "method": "custom", "rounding_unit": "1", "gap": "2", **data})


def test_standards_of_ten_digits_of_wan_are_a_form_error_not_a_500(client, demo, admin_user):
    login(client, admin_user)
    response = _create(client, standard_first="9999999999", standard_second="9999999999",
                       standard_third="9999999999")
    assert response.status_code == 400
    html = response.content.decode()
    assert "不能超过" in html and "万元" in html
    assert not PlanScenario.objects.exists()


def test_standards_that_fit_one_by_one_but_not_in_the_total_are_a_form_error(
        client, demo, admin_user):
    """99,999,999 万元 fits a standard's column; 52 of them do not fit the total's."""
    login(client, admin_user)
    response = _create(client, standard_first="99999999", standard_second="99999999",
                       standard_third="99999999")
    assert response.status_code == 400
    assert "金额过大" in response.content.decode()
    assert not PlanScenario.objects.exists()


def test_a_ladder_gap_beyond_the_column_is_a_form_error(client, demo, admin_user):
    login(client, admin_user)
    response = _create(client, method="ladder", gap="9999999999")
    assert response.status_code == 400
    assert not PlanScenario.objects.exists()


def test_a_reserve_beyond_the_column_is_a_form_error(client, demo, admin_user):
    login(client, admin_user)
    response = _create(client, method="scale", reserve="99999999999")
    assert response.status_code == 400
    assert not PlanScenario.objects.exists()


def _over_fund(year, user):
    """520 亿 against the demo's 669 万 fund: 1,000,000 万元 a township."""
    return services.scenario_create(
        fund_year=year, name="超额", method="custom", acting_user=user,
        standards={1: 10 ** 6 * WAN, 2: 10 ** 6 * WAN, 3: 10 ** 6 * WAN})


def test_a_plan_beyond_the_fund_needs_a_confirmation_and_a_reason(demo, admin_user):
    scenario = _over_fund(demo, admin_user)
    assert scenario.difference < 0
    with pytest.raises(PlanningError, match="超出"):
        services.scenario_adopt(scenario=scenario, acting_user=admin_user)
    with pytest.raises(PlanningError, match="超出"):
        services.scenario_adopt(scenario=scenario, acting_user=admin_user, reason="市委批准")
    with pytest.raises(PlanningError, match="超出"):
        services.scenario_adopt(scenario=scenario, acting_user=admin_user, confirmed=True)
    assert FundYear.objects.get(year=2020).adopted_scenario is None
    services.scenario_adopt(scenario=scenario, acting_user=admin_user, reason="市委批准",
                            confirmed=True)
    assert FundYear.objects.get(year=2020).adopted_scenario == scenario
    event = AuditEvent.objects.get(action=AuditEvent.Action.PLAN_ADOPTED)
    assert event.details["reason"] == "市委批准"
    assert event.details["over_fund"] == f"{-scenario.difference:.2f}"
    assert event.details["confirmed"] is True


def test_a_plan_within_the_fund_is_adopted_without_confirmation(demo, admin_user):
    scenario = services.scenario_create(fund_year=demo, name="按比例", method="scale",
                                        acting_user=admin_user)
    services.scenario_adopt(scenario=scenario, acting_user=admin_user)
    event = AuditEvent.objects.get(action=AuditEvent.Action.PLAN_ADOPTED)
    assert "over_fund" not in event.details


def test_the_page_asks_to_confirm_a_plan_beyond_the_fund(client, demo, admin_user):
    scenario = _over_fund(demo, admin_user)
    login(client, admin_user)
    url = reverse("plan-detail", args=[2020, scenario.pk])
    page = client.get(url).content.decode()
    assert 'name="confirmed"' in page and "超出" in page
    adopt = reverse("plan-adopt", args=[2020, scenario.pk])
    response = client.post(adopt, {"reason": "市委批准"}, follow=True)
    assert "超出" in response.content.decode()
    assert FundYear.objects.get(year=2020).adopted_scenario is None
    response = client.post(adopt, {"reason": "市委批准", "confirmed": "on"})
    assert response.status_code == 302
    assert FundYear.objects.get(year=2020).adopted_scenario == scenario


def test_the_command_adopts_a_plan_beyond_the_fund_only_with_confirm_and_reason(
        demo, admin_user):
    """Keeping the demo's 17/15/12万 standards pays 772万 out of a 669万 fund."""
    import io

    from django.core.management import CommandError, call_command

    args = ["plan_allocation", "--year", "2020", "--method", "keep", "--adopt",
            "--user", admin_user.username]
    with pytest.raises(CommandError, match="103.00"):
        call_command(*args, "--reason", "市委批准", stdout=io.StringIO())
    assert FundYear.objects.get(year=2020).adopted_scenario is None
    call_command(*args, "--reason", "市委批准", "--confirm", stdout=io.StringIO())
    event = AuditEvent.objects.get(action=AuditEvent.Action.PLAN_ADOPTED)
    assert event.details["over_fund"] == "1030000.00"
