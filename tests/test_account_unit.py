"""Issue 17 item 6: administrators set each account's unit; histories show it with the name."""

import datetime
from decimal import Decimal

from django.contrib.auth.models import User

from funds.models import SpendingCategory
from funds.spending import services as spending
from tests.admin_form import admin_form_data
from townships.accounts import display_unit
from townships.models import AccountUnit, Township


def test_a_superuser_sets_a_unit_and_the_history_shows_it(client, demo, clerk_user,
                                                          staff_user, loader):
    staff_user.first_name, staff_user.last_name = "华", "张"
    staff_user.save()
    client.force_login(loader)
    url = f"/admin/auth/user/{staff_user.pk}/change/"
    data = admin_form_data(client.get(url))
    data["unit"] = "市委组织部"
    assert client.post(url, data).status_code == 302
    assert AccountUnit.objects.get(user=staff_user).unit == "市委组织部"

    taiping = Township.objects.get(name="太平镇")
    expenditure = spending.expenditure_create(
        township=taiping, date=datetime.date(2020, 5, 1), amount=Decimal("100.00"),
        category=SpendingCategory.objects.first(), purpose="培训", payee="党校",
        acting_user=clerk_user)
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk_user)
    spending.expenditure_return(expenditure=expenditure, acting_user=staff_user, note="补")
    client.force_login(staff_user)
    page = client.get(f"/expenditures/{expenditure.pk}/").content.decode()
    assert "张华（市委组织部）" in page
    assert f"{clerk_user.username}（太平镇）" in page  # a clerk without a unit: the township

    client.force_login(loader)
    data = admin_form_data(client.get(url))
    data["unit"] = ""
    client.post(url, data)
    assert display_unit(User.objects.get(pk=staff_user.pk)) == ""


def test_an_administrator_sets_a_clerks_unit(client, demo, admin_user, clerk_user):
    client.force_login(admin_user)
    url = f"/admin/auth/user/{clerk_user.pk}/change/"
    data = admin_form_data(client.get(url))
    data["unit"] = "太平镇党政办"
    assert client.post(url, data).status_code == 302
    assert AccountUnit.objects.get(user=clerk_user).unit == "太平镇党政办"
