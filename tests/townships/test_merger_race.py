"""A merger and a reclassification at once (issue 23, item 7): the merger takes the year
lock, so it never ends a unit that the reclassification is giving a category of a later
year. Two real PostgreSQL connections (tests.townships.test_year_lock._race); without the
lock the merger ends units whose next-year categories land anyway."""

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import F

from funds.yearly import services as fund_services
from tests.townships.test_year_lock import _race
from townships.models import Reclassification, Township, TownshipCategory
from townships.reference import ReferenceDataError, merger_apply, read_township_list

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="two connections racing need PostgreSQL; SQLite lets one "
                              "writer in at a time"),
    pytest.mark.django_db(transaction=True),
]

MERGER_LIST = settings.BASE_DIR / "fixtures" / "wanyuan-townships-2020-reform.csv"


def _categories_after_the_end():
    """Categories of a year after their unit ended: money of a unit no page shows."""
    return list(TownshipCategory.objects.filter(year__gt=F("township__last_year"))
                .values_list("township__name", "year"))


def test_a_merger_during_a_reclassification_is_refused(demo, admin_user):
    def apply():
        return fund_services.reclassification_apply(year=2020, acting_user=admin_user)

    def merge():
        return merger_apply(rows=read_township_list(MERGER_LIST),
                            source_name=MERGER_LIST.name, first_year=2021,
                            acting_user=admin_user)

    applied, merged = _race(apply, merge)
    assert isinstance(applied, Reclassification), applied
    assert isinstance(merged, ReferenceDataError), merged
    assert "梨树乡" in str(merged)
    assert not Township.objects.filter(last_year__isnull=False).exists()
    assert _categories_after_the_end() == []


def test_a_reclassification_during_a_merger_sees_the_ended_units(demo, admin_user):
    def merge():
        return merger_apply(rows=read_township_list(MERGER_LIST),
                            source_name=MERGER_LIST.name, first_year=2021,
                            acting_user=admin_user)

    def apply():
        return fund_services.reclassification_apply(year=2020, acting_user=admin_user)

    merged, applied = _race(merge, apply)
    assert isinstance(merged, dict), merged
    assert merged["ended"] == 25
    assert _categories_after_the_end() == []


def test_a_category_edit_years_after_a_merger_sees_the_ended_unit(demo, admin_user):
    """The edit of a year the merger's year locks do not cover still waits for the
    merger on the township's row, and then sees that the unit has ended."""
    from django.core.exceptions import ValidationError

    from townships.models import Category
    from townships.services import township_category_set

    lishu = Township.objects.get(name="梨树乡")

    def merge():
        return merger_apply(rows=read_township_list(MERGER_LIST),
                            source_name=MERGER_LIST.name, first_year=2021,
                            acting_user=admin_user)

    def edit():
        return township_category_set(township=lishu, year=2023, category=Category.SECOND,
                                     reason="调整", acting_user=admin_user)

    merged, edited = _race(merge, edit)
    assert isinstance(merged, dict), merged
    assert isinstance(edited, ValidationError), edited
    assert _categories_after_the_end() == []
