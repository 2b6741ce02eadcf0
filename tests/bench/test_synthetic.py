"""The benchmarks' synthetic data: fills an empty database, refuses one with real data."""

import pytest

from funds.budget.selectors import budget_check_get
from funds.models import FundYear
from townships.models import AssessmentResult, Township, TownshipCategory

from .synthetic import SyntheticRefused, synthetic_generate


def test_fills_an_empty_database_and_replaces_its_own_data(db):
    assert synthetic_generate(townships=300, years=2) == {
        "townships": 300, "years": 2, "categories": 600, "results": 600}
    assert Township.objects.count() == 300
    assert TownshipCategory.objects.filter(year=2021).count() == 300
    assert AssessmentResult.objects.filter(year=2020).count() == 300
    check = budget_check_get(fund_year=FundYear.objects.get(year=2020))
    assert check.counts == {1: 120, 2: 90, 3: 90}
    synthetic_generate(townships=50, years=1)
    assert Township.objects.count() == 50
    assert FundYear.objects.count() == 1


def test_refuses_a_database_with_real_data(demo):
    before = Township.objects.count()
    with pytest.raises(SyntheticRefused, match="real data"):
        synthetic_generate(townships=10, years=1)
    assert Township.objects.count() == before == 52
