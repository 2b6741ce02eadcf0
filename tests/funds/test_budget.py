from decimal import Decimal

import pytest

from funds.models import FundYear
from funds.selectors import allocation_queryset, budget_check, budget_check_from_counts
from townships.models import Category


def test_demo_2020_budget_check_matches_the_article(demo):
    check = budget_check(demo)
    assert check.counts == {1: 20, 2: 16, 3: 16}
    assert check.standards_total == Decimal("7720000.00")
    assert check.special_fund == Decimal("6690000.00")
    assert check.shortfall == Decimal("1030000.00")
    assert check.surplus == Decimal("0.00")
    assert check.floors_total == Decimal("1560000.00")
    assert check.grand_total == Decimal("9280000.00")


def test_allocation_of_one_township_is_floor_plus_standard(demo):
    rows = {t.name: t for t in allocation_queryset(demo)}
    taiping = rows["太平镇"]
    assert taiping.category == Category.FIRST
    assert demo.allocation_for(taiping.category) == Decimal("200000.00")
    assert demo.allocation_for(Category.THIRD) == Decimal("150000.00")
    assert taiping.standard_amount == Decimal("170000.00")


def test_floor_as_minimum_only_tops_up_lower_standards():
    year = FundYear(year=2030, special_fund=Decimal("0"), floor_amount=Decimal("130000"),
                    floor_on_top=False)
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
