"""generate_synthetic: fills an empty database, refuses one with real data."""

import pytest
from django.core.management import CommandError, call_command

from funds.budget.selectors import budget_check
from funds.models import FundYear
from townships.models import AssessmentResult, Township, TownshipCategory


def test_fills_an_empty_database_and_replaces_its_own_data(db):
    call_command("generate_synthetic", "--townships", "300", "--years", "2")
    assert Township.objects.count() == 300
    assert TownshipCategory.objects.filter(year=2021).count() == 300
    assert AssessmentResult.objects.filter(year=2020).count() == 300
    check = budget_check(FundYear.objects.get(year=2020))
    assert check.counts == {1: 120, 2: 90, 3: 90}
    call_command("generate_synthetic", "--townships", "50", "--years", "1")
    assert Township.objects.count() == 50 and FundYear.objects.count() == 1


def test_refuses_a_database_with_real_data(demo):
    before = Township.objects.count()
    with pytest.raises(CommandError, match="real data"):
        call_command("generate_synthetic", "--townships", "10")
    assert Township.objects.count() == before == 52
