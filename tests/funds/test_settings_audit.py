"""Issue 14 item 6: a year's settings and the spending categories change only with a trace.

Every change, through the admin, a service or the shell, is an audit event with the old
and the new values, in its details and readable in its Chinese summary.
"""

from decimal import Decimal

import pytest
from django.utils import translation

from funds.models import FundYear, OverspendPolicy, SpendingCategory
from tests.admin_form import admin_form_data
from townships.audit import acting
from townships.models import AuditEvent

CHANGED = AuditEvent.Action.FUND_YEAR_CHANGED


def events(action, **filters):
    return AuditEvent.objects.filter(action=action, **filters).order_by("id")


def test_threshold_raised_and_put_back_in_the_admin_leaves_both_values(client, admin_user,
                                                                      fund_year):
    url = f"/admin/funds/fundyear/{fund_year.pk}/change/"
    client.force_login(admin_user)
    for value in ("987654321.00", "10000.00"):
        data = admin_form_data(client.get(url))
        data["large_spending_threshold"] = value
        response = client.post(url, data)
        assert response.status_code == 302, response.context and response.context.get("errors")
    raised, back = events(CHANGED, year=2020)
    assert raised.actor == admin_user and back.actor == admin_user
    assert raised.details["changes"] == {
        "large_spending_threshold": {"old": "10000.00", "new": "987654321.00"}}
    assert back.details["changes"] == {
        "large_spending_threshold": {"old": "987654321.00", "new": "10000.00"}}
    assert "大额支出标准" in raised.summary
    assert "10,000.00 → 987,654,321.00" in raised.summary
    assert "987,654,321.00 → 10,000.00" in back.summary


def test_plain_orm_save_is_audited_with_every_changed_setting(fund_year):
    fund_year.special_fund = Decimal("7000000")
    fund_year.standard_first = Decimal("180000.00")
    fund_year.overspend_policy = OverspendPolicy.WARN
    fund_year.floor_mode = "minimum"
    fund_year.promote_count = 3
    with translation.override("en"):  # stored in the site language all the same
        fund_year.save()
    event = events(CHANGED, year=2020).get()
    assert event.actor is None
    assert event.details["changes"] == {
        "special_fund": {"old": "6690000.00", "new": "7000000.00"},
        "standard_first": {"old": "170000.00", "new": "180000.00"},
        "overspend_policy": {"old": "stop", "new": "warn"},
        "floor_mode": {"old": "elsewhere", "new": "minimum"},
        "promote_count": {"old": 5, "new": 3},
    }
    for text in ("专项经费", "6,690,000.00 → 7,000,000.00", "170,000.00 → 180,000.00", "5 → 3"):
        assert text in event.summary


def test_a_service_acting_user_is_the_actor(fund_year, staff_user):
    with acting(staff_user):
        fund_year.demote_count = 7
        fund_year.save()
    assert events(CHANGED).get().actor == staff_user


def test_saving_nothing_new_is_no_event(fund_year):
    fund_year.save()
    fund_year.notes = "说明"
    fund_year.save(update_fields=["notes"])
    assert not events(CHANGED).exists()


def test_year_creation_is_audited_with_its_values(db):
    FundYear.objects.create(year=2031, special_fund=Decimal("100.00"),
                            large_spending_threshold=Decimal("5000.00"))
    event = events(AuditEvent.Action.FUND_YEAR_CREATED, year=2031).get()
    assert event.details["values"]["special_fund"] == "100.00"
    assert event.details["values"]["large_spending_threshold"] == "5000.00"
    assert "5,000.00" in event.summary


def test_a_year_created_in_the_admin_is_audited_with_the_actor(client, admin_user, db):
    client.force_login(admin_user)
    data = admin_form_data(client.get("/admin/funds/fundyear/add/"))
    data.update({"year": "2032", "special_fund": "6690000.00"})
    response = client.post("/admin/funds/fundyear/add/", data)
    assert response.status_code == 302, response.context and response.context.get("errors")
    assert events(AuditEvent.Action.FUND_YEAR_CREATED, year=2032).get().actor == admin_user


def test_spending_categories_created_and_changed_are_audited(client, admin_user, db):
    client.force_login(admin_user)
    response = client.post("/admin/funds/spendingcategory/add/",
                           {"name": "差旅", "sort_order": "70", "is_active": "on"})
    assert response.status_code == 302
    category = SpendingCategory.objects.get(name="差旅")
    created = events(AuditEvent.Action.SPENDING_CATEGORY_CREATED).get(details__id=category.pk)
    assert created.actor == admin_user and "差旅" in created.summary

    url = f"/admin/funds/spendingcategory/{category.pk}/change/"
    response = client.post(url, {"name": "差旅费", "sort_order": "70"})  # retired
    assert response.status_code == 302
    changed = events(AuditEvent.Action.SPENDING_CATEGORY_CHANGED).get(details__id=category.pk)
    assert changed.actor == admin_user
    assert changed.details["changes"] == {"name": {"old": "差旅", "new": "差旅费"},
                                          "is_active": {"old": True, "new": False}}
    assert "差旅 → 差旅费" in changed.summary


@pytest.mark.django_db
def test_spending_category_changed_in_the_shell_is_audited():
    category = SpendingCategory.objects.create(name="其它支出", sort_order=1)
    category.sort_order = 2
    category.save()
    changed = events(AuditEvent.Action.SPENDING_CATEGORY_CHANGED).get(details__id=category.pk)
    assert changed.actor is None
    assert changed.details["changes"] == {"sort_order": {"old": 1, "new": 2}}
