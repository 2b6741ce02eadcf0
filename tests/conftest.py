"""Shared fixtures: the real township list, the 2020 fund year, one user per role."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from hypothesis import settings as hypothesis_settings

from demo.data import demo_data_load
from funds.models import FundYear
from townships import roles
from townships.models import Township, TownshipClerk
from townships.reference import townships_load

PASSWORD = "correct-horse-battery-staple"

# Property tests check behaviour, not speed: a busy CI machine must not turn a slow
# example into a failure (speed is measured by `make bench`).
hypothesis_settings.register_profile("wanyuan", deadline=None)
hypothesis_settings.load_profile("wanyuan")


@pytest.fixture
def loader(db):
    """A superuser without a password who loads reference data, as an operator would."""
    return User.objects.create_superuser("loader", password=None)


@pytest.fixture
def townships(loader):
    townships_load(path=settings.TOWNSHIPS_FILE, acting_user=loader)
    return list(Township.objects.order_by("code"))


@pytest.fixture
def demo(db):
    """The full demo: 52 townships, 2020 fund year, illustrative categories and ranking."""
    demo_data_load()
    return FundYear.objects.get(year=2020)


@pytest.fixture
def fund_year(db):
    return FundYear.objects.create(year=2020, special_fund=Decimal("6690000.00"))


def make_user(username, group, *, township=None, is_staff=False):
    user = User.objects.create_user(username=username, password=PASSWORD, is_staff=is_staff)
    user.groups.add(Group.objects.get(name=group))
    if township is not None:
        TownshipClerk.objects.create(user=user, township=township)
    return user


@pytest.fixture
def admin_user(db):
    return make_user("admin1", roles.ADMINISTRATORS, is_staff=True)


@pytest.fixture
def staff_user(db):
    return make_user("staff1", roles.STAFF, is_staff=True)


@pytest.fixture
def finance_user(db):
    return make_user("finance1", roles.FINANCE, is_staff=True)


@pytest.fixture
def clerk_user(townships):
    return make_user("clerk1", roles.CLERKS, township=Township.objects.get(name="太平镇"))


@pytest.fixture
def other_clerk_user(townships):
    return make_user("clerk2", roles.CLERKS, township=Township.objects.get(name="青花镇"))


def login(client, user):
    client.force_login(user)
    return client

