"""Issue 23, item 7: one rule for every door into a year's numbers. A change that leaves a
township's remaining budget below zero is refused, or saved with an explicit confirmation
and a reason, both recorded in the audit event with the townships and amounts."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from funds.budget.overdraw import overdrawn_by_settings, overdrawn_list
from funds.budget.selectors import township_budget_get
from funds.models import Expenditure, FundYear, SpendingCategory
from funds.planning import services as planning
from funds.planning.services import PlanningError
from tests.admin_form import admin_form_data
from tests.funds.test_fund_year_settings import URL, confirmed, typed
from townships.models import AuditEvent, Township

WAN = Decimal(10000)


@pytest.fixture
def spent(demo):
    """太平镇 (category 1: 20万 with the floor) has 19万 approved against 2020."""
    taiping = Township.objects.get(name="太平镇")
    clerk = User.objects.create_user("spender")
    Expenditure.objects.create(
        township=taiping, year=2020, date=datetime.date(2020, 5, 1), amount=19 * WAN,
        category=SpendingCategory.objects.first(), purpose="p", payee="q",
        status="approved", created_by=clerk)
    return taiping


def test_the_rule_names_the_townships_a_lowered_allocation_leaves_below_zero(spent, demo):
    assert overdrawn_list(2020, {spent.pk: 20 * WAN}) == []
    (below,) = overdrawn_list(2020, {spent.pk: 17 * WAN})
    assert (below.name, below.remaining) == ("太平镇", -2 * WAN)
    assert "太平镇" in below.text() and "-2.00" in below.text()
    # a township already below zero counts only when the change lowers it further
    assert overdrawn_list(2020, {spent.pk: 18 * WAN}, {spent.pk: 18 * WAN}) == []
    lowered = overdrawn_by_settings(demo, {"standard_first": 14 * WAN})
    assert [o.name for o in lowered] == ["太平镇"]


def _lowered(client, **extra):
    """Category 1 lowered from 17万 to 15万: 太平镇 at 15万 + 3万 − 19万 = −1万."""
    page, data = confirmed(client, typed(standard_first="15"))
    return page, client.post(URL, dict(data, **extra))


def test_the_settings_page_refuses_to_leave_a_township_below_zero(client, admin_user, spent):
    client.force_login(admin_user)
    page, response = _lowered(client)
    assert "太平镇" in page.text and "-1.00" in page.text  # the preview says so
    assert 'name="overdraw_reason"' in page.text
    assert response.status_code == 200
    assert "太平镇" in response.text and "低于零" in response.text
    assert FundYear.objects.get(year=2020).standard_first == 17 * WAN
    _page, response = _lowered(client, overdraw_reason="市委批准")  # no confirmation
    assert FundYear.objects.get(year=2020).standard_first == 17 * WAN


def test_the_settings_page_saves_it_confirmed_with_a_reason_and_audits_both(
        client, admin_user, spent):
    client.force_login(admin_user)
    _page, response = _lowered(client, overdraw_confirmed="1", overdraw_reason="市委批准",
                               large="1")
    assert response.status_code == 302
    fund_year = FundYear.objects.get(year=2020)
    assert fund_year.standard_first == 15 * WAN
    assert township_budget_get(township=spent, fund_year=fund_year).remaining == -1 * WAN
    event = AuditEvent.objects.filter(action=AuditEvent.Action.FUND_YEAR_CHANGED).latest("id")
    assert event.details["overdraw_reason"] == "市委批准"
    assert event.details["overdrawn"] == [{
        "code": spent.code, "name": "太平镇", "allocation": "180000.00",
        "spent": "190000.00", "remaining": "-10000.00"}]
    assert "市委批准" in event.summary


def test_the_service_refuses_without_confirmation(admin_user, spent):
    from funds.budget.overdraw import OverdrawRefused
    from funds.yearly import services

    fund_year = FundYear.objects.get(year=2020)
    with pytest.raises(OverdrawRefused, match="太平镇"):
        services.fund_year_settings_update(
            year=2020, values={"standard_first": 15 * WAN},
            version=services.settings_version(fund_year), acting_user=admin_user)
    assert FundYear.objects.get(year=2020).standard_first == 17 * WAN


def test_the_admin_refuses_it_without_confirmation_and_records_the_reason(
        client, admin_user, spent):
    fund_year = FundYear.objects.get(year=2020)
    url = f"/admin/funds/fundyear/{fund_year.pk}/change/"
    client.force_login(admin_user)
    data = admin_form_data(client.get(url))
    data["standard_first"] = "150000.00"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "太平镇" in response.text
    assert FundYear.objects.get(year=2020).standard_first == 17 * WAN
    data.update(overdraw_confirmed="on", overdraw_reason="市委批准")
    response = client.post(url, data)
    assert response.status_code == 302
    assert FundYear.objects.get(year=2020).standard_first == 15 * WAN
    event = AuditEvent.objects.filter(action=AuditEvent.Action.FUND_YEAR_CHANGED).latest("id")
    assert event.actor == admin_user
    assert event.details["overdraw_reason"] == "市委批准"
    assert event.details["overdrawn"][0]["remaining"] == "-10000.00"


def test_adopting_a_plan_that_leaves_a_township_below_zero_needs_a_confirmation(
        admin_user, spent, demo):
    """The scale plan pays category 1 14.73万 + 3万: 太平镇 at 17.73万 − 19万."""
    scenario = planning.scenario_create(fund_year=demo, name="按比例", method="scale",
                                        acting_user=admin_user)
    with pytest.raises(PlanningError, match="太平镇"):
        planning.scenario_adopt(scenario=scenario, acting_user=admin_user, reason="市委批准")
    assert FundYear.objects.get(year=2020).adopted_scenario is None
    planning.scenario_adopt(scenario=scenario, acting_user=admin_user, reason="市委批准",
                            confirmed=True)
    event = AuditEvent.objects.get(action=AuditEvent.Action.PLAN_ADOPTED)
    assert event.details["overdrawn"][0]["name"] == "太平镇"
    assert event.details["overdraw_reason"] == "市委批准"


def _category(township, year=2020):
    from townships.models import TownshipCategory

    return TownshipCategory.objects.get(township=township, year=year).category


def test_a_category_edit_on_the_township_page_needs_the_confirmation(client, admin_user, spent):
    """太平镇 from category 1 to 3: 12万 + 3万 against 19万 spent."""
    from django.urls import reverse

    from townships.models import CategoryChange

    client.force_login(admin_user)
    url = reverse("township-category-change", args=[spent.code])
    data = {"year": "2020", "category": "3", "reason": "考核降类"}
    response = client.post(url, data)
    assert response.status_code == 400
    assert "太平镇" in response.text and "低于零" in response.text
    assert _category(spent) == 1
    response = client.post(url, dict(data, overdraw_confirmed="on"))
    assert response.status_code == 302
    assert _category(spent) == 3
    change = CategoryChange.objects.filter(township=spent).latest("id")
    assert "考核降类" in change.reason and "-4.00" in change.reason


def test_a_category_edit_in_the_admin_needs_the_confirmation(client, admin_user, spent):
    from townships.models import TownshipCategory

    record = TownshipCategory.objects.get(township=spent, year=2020)
    url = f"/admin/townships/townshipcategory/{record.pk}/change/"
    client.force_login(admin_user)
    data = admin_form_data(client.get(url))
    data.update(category="3", reason="考核降类")
    response = client.post(url, data)
    assert response.status_code == 200 and "太平镇" in response.text
    assert _category(spent) == 1
    data["overdraw_confirmed"] = "on"
    assert client.post(url, data).status_code == 302
    assert _category(spent) == 3


def test_a_category_import_needs_the_confirmation_and_a_reason_and_audits_them(
        admin_user, spent):
    from django.core.exceptions import ValidationError

    from townships import services as township_services
    from townships.services import CategoryRow

    rows = [CategoryRow(township=spent, category=3)]

    def run(**kwargs):
        return township_services.categories_import(
            year=2020, rows=rows, acting_user=admin_user, source_name="c.csv", **kwargs)

    with pytest.raises(ValidationError, match="太平镇"):
        run()
    with pytest.raises(ValidationError, match="太平镇"):
        run(confirmed=True)  # no reason
    assert _category(spent) == 1
    assert run(confirmed=True, reason="考核降类") == 1
    event = AuditEvent.objects.filter(action=AuditEvent.Action.CATEGORIES_IMPORTED).latest("id")
    assert event.details["overdraw_reason"] == "考核降类"
    assert event.details["overdrawn"][0]["remaining"] == "-40000.00"


def test_the_category_import_page_names_the_townships(client, admin_user, spent):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    client.force_login(admin_user)
    url = reverse("categories-import", args=[2020])
    csv = "乡镇,类别\n太平镇,三类\n".encode()
    response = client.post(url, {"file": SimpleUploadedFile("c.csv", csv)})
    assert response.status_code == 400
    assert "太平镇" in response.text and "低于零" in response.text
    assert _category(spent) == 1
    response = client.post(url, {"file": SimpleUploadedFile("c.csv", csv),
                                 "reason": "考核降类", "overdraw_confirmed": "on"})
    assert response.status_code == 302
    assert _category(spent) == 3


def test_the_settings_preview_does_not_grow_its_queries_with_the_townships(
        client, admin_user, spent):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.funds.test_views import _add_townships

    client.force_login(admin_user)
    data = typed(standard_first="15")
    client.post(URL, data)
    with CaptureQueriesContext(connection) as small:
        assert "太平镇" in client.post(URL, data).text
    _add_townships(448)
    with CaptureQueriesContext(connection) as large:
        assert "太平镇" in client.post(URL, data).text
    assert len(large) == len(small) <= 20


def test_the_import_command_needs_confirm_and_reason(admin_user, spent, tmp_path):
    from django.core.management import CommandError, call_command

    path = tmp_path / "c.csv"
    path.write_text("乡镇,类别\n太平镇,三类\n", encoding="utf-8")
    args = ["import_categories", str(path), "--year", "2020", "--user", admin_user.username]
    with pytest.raises(CommandError, match="太平镇"):
        call_command(*args, "--reason", "考核降类")
    assert _category(spent) == 1
    call_command(*args, "--reason", "考核降类", "--confirm")
    assert _category(spent) == 3
