"""Issue 23, item 7: a merger cannot end a unit before a year in which it has an
allocation (a category of the year) or non-voided spending; the preview says which units
and why, the apply refuses and writes nothing."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from funds.models import Expenditure, SpendingCategory
from tests.conftest import login
from townships.models import AuditEvent, Township, TownshipCategory
from townships.reference import ReferenceDataError, merger_apply, read_township_list

MERGER_LIST = settings.BASE_DIR / "fixtures" / "wanyuan-townships-2020-reform.csv"


def _apply(user, first_year):
    return merger_apply(rows=read_township_list(MERGER_LIST), source_name=MERGER_LIST.name,
                        first_year=first_year, acting_user=user)


def _last_years():
    return dict(Township.objects.values_list("code", "last_year"))


def _spend(township, year, status="approved"):
    clerk = User.objects.create_user(f"clerk-{status}-{year}")
    return Expenditure.objects.create(
        township=township, year=year, date=datetime.date(year, 5, 1),
        amount=Decimal("100.00"), category=SpendingCategory.objects.first(), purpose="p",
        payee="q", status=status, created_by=clerk)


def test_a_merger_from_2020_cannot_end_a_unit_with_a_2020_allocation(demo, admin_user):
    before = _last_years()
    with pytest.raises(ReferenceDataError, match="梨树乡") as error:
        _apply(admin_user, 2020)
    assert "2020" in str(error.value)
    assert _last_years() == before
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.MERGER_APPLIED).exists()


def test_a_merger_cannot_end_a_unit_with_spending_in_a_later_year(demo, admin_user):
    taiping = Township.objects.get(name="梨树乡")
    _spend(taiping, 2021)
    before = _last_years()
    with pytest.raises(ReferenceDataError, match="梨树乡"):
        _apply(admin_user, 2021)
    assert _last_years() == before


def test_voided_spending_does_not_keep_a_unit(demo, admin_user):
    taiping = Township.objects.get(name="梨树乡")
    _spend(taiping, 2021, status="voided")
    _apply(admin_user, 2021)
    taiping.refresh_from_db()
    assert taiping.last_year == 2020


def test_a_category_of_a_later_year_keeps_a_unit(demo, admin_user):
    taiping = Township.objects.get(name="梨树乡")
    TownshipCategory.objects.create(township=taiping, year=2021, category=1,
                                    source="manual", changed_at=timezone.now())
    with pytest.raises(ReferenceDataError, match="梨树乡"):
        _apply(admin_user, 2021)


def test_the_command_refuses_it_too(demo, admin_user):
    with pytest.raises(CommandError, match="梨树乡"):
        call_command("apply_merger", "--user", admin_user.username, "--first-year", "2020")


def test_the_preview_names_the_units_and_why_and_offers_no_apply(client, demo, admin_user):
    _spend(Township.objects.get(name="梨树乡"), 2021)
    login(client, admin_user)
    url = reverse("township-merger")
    preview = client.post(url, {"first_year": "2021"})
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "id=\"merger-blocked\"" in html
    assert "梨树乡" in html and "2021年有支出" in html
    assert 'value="apply"' not in html
    before = _last_years()
    response = client.post(url, {"first_year": "2021", "confirm": "apply"})
    assert response.status_code == 400
    assert "梨树乡" in response.content.decode()
    assert _last_years() == before
