"""Issue 17 item 7: a year's settings edited in the dashboard, in 万元, previewed, confirmed,
audited with old and new values; a large move needs a second tick."""

import re
from decimal import Decimal

import pytest

from funds.models import FundYear
from funds.yearly import services
from townships.models import AuditEvent

URL = "/settings/2020/"


def typed(**overrides):
    """The form as an administrator fills it: the demo year's values, in 万元."""
    values = {"special_fund": "669", "floor_amount": "3", "floor_mode": "elsewhere", "reserve": "0",
              "standard_first": "17", "standard_second": "15", "standard_third": "12",
              "large_spending_threshold": "10000", "overspend_policy": "stop",
              "promote_count": "5", "demote_count": "5"}
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def confirmed(client, data):
    """Preview, then confirm with what the preview page carries (fingerprints)."""
    page = client.post(URL, data)
    assert page.status_code == 200
    data = dict(data, previewed=page.context["previewed"], version=page.context["version"],
                confirm="1")
    return page, data


@pytest.fixture
def admin(client, admin_user, demo):
    client.force_login(admin_user)
    return client


def test_form_shows_the_amounts_in_wan(admin):
    page = admin.get(URL)
    assert page.status_code == 200
    assert page.context["form"]["special_fund"].value() == "669"
    assert 'value="669"' in page.text and 'value="17"' in page.text


def test_preview_writes_nothing_and_shows_the_budget_before_and_after(admin):
    page = admin.post(URL, typed(special_fund="772"))
    preview = page.context["preview"]
    assert [c.name for c in preview.changes] == ["special_fund"]
    assert preview.budget_before.shortfall == Decimal("1030000.00")
    assert preview.budget_after.shortfall == Decimal("0.00")
    # The preview's table says what changes, from what to what, in 万元 (the echoed
    # form input holds "772" too, so the row itself is read).
    row = re.search(r"<tr[^>]*><th scope=\"row\">" + re.escape(str(preview.changes[0].label))
                    + r"</th>\s*<td[^>]*>([^<]*)</td><td[^>]*>([^<]*)</td></tr>", page.text)
    assert row is not None, page.text
    assert row.groups() == ("669.00 万元", "772.00 万元")
    assert FundYear.objects.get(year=2020).special_fund == Decimal("6690000.00")


def test_confirmed_change_is_saved_in_yuan_and_audited_with_old_and_new(admin, admin_user):
    _page, data = confirmed(admin, typed(special_fund="700.5", standard_third="11.8"))
    response = admin.post(URL, data)
    assert response.status_code == 302
    fund_year = FundYear.objects.get(year=2020)
    assert fund_year.special_fund == Decimal("7005000.00")
    assert fund_year.standard_third == Decimal("118000.00")
    event = AuditEvent.objects.filter(action=AuditEvent.Action.FUND_YEAR_CHANGED).latest("id")
    assert event.actor == admin_user
    assert event.details["changes"]["special_fund"] == {"old": "6690000.00",
                                                        "new": "7005000.00"}


def test_a_value_moving_by_more_than_half_needs_the_tick(admin):
    page, data = confirmed(admin, typed(special_fund="66.9"))
    assert page.context["preview"].needs_confirmation
    refused = admin.post(URL, data)
    assert refused.status_code == 200
    assert refused.context["confirm_error"]
    assert FundYear.objects.get(year=2020).special_fund == Decimal("6690000.00")
    assert admin.post(URL, dict(data, large="1")).status_code == 302
    assert FundYear.objects.get(year=2020).special_fund == Decimal("669000.00")


def test_values_changed_after_the_preview_are_not_saved_unseen(admin):
    _page, data = confirmed(admin, typed(special_fund="700"))
    data["standard_first"] = "18"  # typed after looking at the preview
    page = admin.post(URL, data)
    assert page.status_code == 200 and page.context["confirm_error"]
    assert FundYear.objects.get(year=2020).special_fund == Decimal("6690000.00")


def test_a_confirmation_is_refused_when_someone_else_saved_meanwhile(admin):
    _page, data = confirmed(admin, typed(special_fund="700"))
    FundYear.objects.filter(year=2020).update(promote_count=4)  # another administrator
    page = admin.post(URL, data)
    assert page.status_code == 200
    assert "someone else" in page.context["confirm_error"] or "其他人" in page.context[
        "confirm_error"]
    assert FundYear.objects.get(year=2020).special_fund == Decimal("6690000.00")


def test_bad_values_keep_what_was_typed_and_say_why(admin):
    page = admin.post(URL, typed(standard_first="12", standard_third="17.0000001"))
    form = page.context["form"]
    assert not form.is_valid()
    assert "standard_third" in form.errors  # more than six decimals of 万元
    page = admin.post(URL, typed(standard_first="12", standard_third="17"))
    assert page.context["form"].non_field_errors()
    assert 'value="12"' in page.text  # what the user typed stays
    assert page.context["preview"] is None


def test_only_administrators_change_settings(client, staff_user, demo):
    client.force_login(staff_user)
    assert client.get(URL).status_code == 403
    assert client.post(URL, typed(special_fund="1")).status_code == 403


def test_the_service_refuses_without_the_permission(staff_user, demo):
    fund_year = FundYear.objects.get(year=2020)
    from django.core.exceptions import PermissionDenied
    with pytest.raises(PermissionDenied):
        services.fund_year_settings_update(
            year=2020, values={"special_fund": Decimal("1.00")},
            version=services.settings_version(fund_year), acting_user=staff_user)


def test_the_overview_names_the_next_step_of_the_calendar(client, admin_user, staff_user,
                                                          fund_year, townships):
    from funds.yearly.selectors import first_open_step, yearly_step_list
    from townships.models import AssessmentResult

    client.force_login(admin_user)
    page = client.get("/?year=2020")
    assert page.context["next_step"].url == "/rankings/2020/import/"
    assert 'href="/rankings/2020/import/"' in page.text.split('class="figures"')[0]

    AssessmentResult.objects.bulk_create(
        AssessmentResult(township=t, year=2020, rank=i + 1)
        for i, t in enumerate(townships) if t.in_service(2020))
    steps = yearly_step_list(fund_year=fund_year)
    assert [s.done for s in steps] == [True, True, False, False, False, False]
    assert first_open_step(steps).url == "/reclassification/2020/"

    client.force_login(staff_user)  # staff see the calendar, not the administrator's links
    page = client.get("/?year=2020")
    assert 'class="notice next-step"' not in page.text
    assert 'href="/reclassification/2020/"' not in page.text


def test_the_calendar_keeps_the_last_years_steps_until_they_are_done(client, demo, admin_user):
    """Applying the reclassification creates the next fund year; its plan and notice are
    still to do, and the new year's page says so before its own year-end steps."""
    from funds.yearly import services as yearly

    yearly.reclassification_apply(year=2020, acting_user=admin_user)
    client.force_login(admin_user)
    page = client.get("/?year=2021")
    labels = [step.label for step in page.context["steps"]]
    assert labels[:2] == ["采用2021年度资金分配方案", "生成2021年度经费下达通知"]
    assert page.context["next_step"].url == "/funds/2021/plans/"
    assert "2020年度" in page.text.split('class="steps"')[1].split("</ol>")[0]  # carried, said so
    assert all(not step.done for step in page.context["steps"][:2])
