"""The one rule against an approval at the same moment (issue 23, item 7): lowering the
standards takes the lowered townships' row locks before it reads their spending, the
lock every approval takes first. Two real PostgreSQL connections
(tests.townships.test_year_lock._race); without the lock the settings are saved over an
approval they never saw, leaving 太平镇 below zero unconfirmed."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection

from funds.budget.overdraw import OverdrawRefused
from funds.budget.selectors import township_budget_get
from funds.models import Expenditure, FundYear, SpendingCategory
from funds.spending import services as spending
from funds.yearly import services
from tests.funds.test_pay_races import _submitted
from tests.townships.test_year_lock import _race
from townships.models import Township

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="two connections racing need PostgreSQL; SQLite lets one "
                              "writer in at a time"),
    pytest.mark.django_db(transaction=True),
]


def test_lowering_the_standards_during_an_approval_sees_it(demo, clerk_user, staff_user,
                                                            admin_user):
    """太平镇 has 20万: 189,500 approved before, 1,000 approved in the race. Lowering
    category 1 to 16万 (19万 with the floor) leaves 500 without the race's approval and
    −500 with it."""
    taiping = Township.objects.get(name="太平镇")
    Expenditure.objects.create(
        township=taiping, year=2020, date=datetime.date(2020, 4, 1),
        amount=Decimal("189500.00"), category=SpendingCategory.objects.first(),
        purpose="p", payee="q", status="approved",
        created_by=User.objects.create_user("earlier"))
    expenditure = _submitted(taiping, clerk_user)
    fund_year = FundYear.objects.get(year=2020)
    version = services.settings_version(fund_year)

    def approve():
        return spending.expenditure_approve(expenditure=expenditure, acting_user=staff_user)

    def lower():
        return services.fund_year_settings_update(
            year=2020, values={"standard_first": Decimal("160000.00")}, version=version,
            acting_user=admin_user)

    approved, lowered = _race(approve, lower)
    assert not isinstance(approved, Exception), approved
    assert isinstance(lowered, OverdrawRefused), lowered
    fund_year.refresh_from_db()
    assert fund_year.standard_first == Decimal("170000.00")
    assert township_budget_get(township=taiping, fund_year=fund_year).remaining == Decimal("9500.00")
