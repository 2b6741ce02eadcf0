from decimal import Decimal

import pytest

from funds.budget.selectors import (
    allocation_list,
    budget_check_from_counts,
    budget_check_get,
    category_counts,
    townships_with_category,
)
from funds.models import FundYear
from townships.models import Category


def test_demo_2020_budget_check_matches_the_article(demo):
    check = budget_check_get(fund_year=demo)
    assert check.counts == {1: 20, 2: 16, 3: 16}
    assert check.standards_total == Decimal("7720000.00")
    assert check.special_fund == Decimal("6690000.00")
    assert check.shortfall == Decimal("1030000.00")
    assert check.surplus == Decimal("0.00")
    assert check.floors_total == Decimal("1560000.00")
    assert check.grand_total == Decimal("9280000.00")


def test_allocation_of_one_township_is_floor_plus_standard(demo):
    rows = {t.name: t for t in allocation_list(fund_year=demo)}
    taiping = rows["太平镇"]
    assert taiping.category == Category.FIRST
    assert demo.allocation_for(taiping.category) == Decimal("200000.00")
    assert demo.allocation_for(Category.THIRD) == Decimal("150000.00")
    assert taiping.standard_amount == Decimal("170000.00")


def test_floor_as_minimum_only_tops_up_lower_standards():
    year = FundYear(year=2030, special_fund=Decimal("0"), floor_amount=Decimal("130000"),
                    floor_mode="minimum")
    assert year.allocation_for(Category.FIRST) == Decimal("170000.00")
    assert year.floor_for(Category.FIRST) == Decimal("0.00")
    assert year.allocation_for(Category.THIRD) == Decimal("130000.00")
    assert year.floor_for(Category.THIRD) == Decimal("10000.00")
    check = budget_check_from_counts(year, {1: 1, 3: 1})
    assert check.grand_total == Decimal("300000.00")
    assert check.floors_total == Decimal("10000.00")


def test_surplus_when_the_fund_covers_the_standards():
    year = FundYear(year=2031, special_fund=Decimal("1000000"))
    check = budget_check_from_counts(year, {1: 2, None: 1})
    assert check.standards_total == Decimal("340000.00")
    assert check.surplus == Decimal("660000.00")
    assert check.uncategorised == 1
    assert check.township_count == 3


@pytest.mark.parametrize("category", [None, 0])
def test_a_township_without_category_gets_nothing(category):
    year = FundYear(year=2032, special_fund=Decimal("0"))
    assert year.allocation_for(category) == Decimal("0.00")


def _year_counts(year):
    return category_counts(townships_with_category(year))


def test_whole_year_counts_leave_out_units_out_of_service(demo):
    from django.utils import timezone

    from townships.models import Township, TownshipCategory

    now = timezone.now()
    # a unit abolished after 2019 that still has a 2020 category, one opened only in 2021
    # with a 2020 category set in advance, and two units in service without a category
    gone = Township.objects.create(code="900000001", name="撤并乡", kind="township",
                                   last_year=2019)
    later = Township.objects.create(code="900000002", name="新设乡", kind="township",
                                    first_year=2021)
    for township in (gone, later):
        TownshipCategory.objects.create(township=township, year=2020, category=1,
                                        source="manual", changed_at=now)
    for code in ("900000003", "900000004"):
        Township.objects.create(code=code, name=f"未分类{code}", kind="town")
    assert _year_counts(2020) == {1: 20, 2: 16, 3: 16, None: 2}
    # the allocation rows of the year count the same
    assert category_counts(allocation_list(fund_year=demo)) == _year_counts(2020)
    # a year with townships but no categories at all
    assert _year_counts(2021) == {None: 55}
    assert budget_check_get(fund_year=demo).counts == {1: 20, 2: 16, 3: 16}
    assert budget_check_get(fund_year=demo).uncategorised == 2


def test_whole_year_counts_after_the_merger(demo, admin_user):
    from django.core.management import call_command

    from funds.yearly import services

    # the merger first: once 2021 has categories, it may not end their units (issue 23)
    call_command("apply_merger", "--user", admin_user.username)
    services.reclassification_apply(year=2020, acting_user=admin_user)
    assert sum(_year_counts(2020).values()) == 52
    assert sum(_year_counts(2021).values()) == 31


def test_the_budget_covers_up_to_what_is_left_and_says_by_how_much_it_is_exceeded():
    from funds.budget.selectors import TownshipBudget

    budget = TownshipBudget(Decimal("200000.00"), Decimal("50000.00"), Decimal("30000.00"))
    assert budget.remaining == Decimal("120000.00")
    assert budget.covers(Decimal("120000.00")) and not budget.covers(Decimal("120000.01"))
    assert budget.exceeded_by(Decimal("120000.00")) == Decimal("0.00")
    assert budget.exceeded_by(Decimal("125000.50")) == Decimal("5000.50")
    overdrawn = TownshipBudget(Decimal("100.00"), Decimal("0.00"), Decimal("150.00"))
    assert overdrawn.exceeded_by() == Decimal("50.00")  # below zero as it stands


def test_large_spending_starts_at_the_threshold():
    year = FundYear(year=2032, special_fund=Decimal("0"),
                    large_spending_threshold=Decimal("10000.00"))
    assert year.is_large(Decimal("10000.00")) and not year.is_large(Decimal("9999.99"))
