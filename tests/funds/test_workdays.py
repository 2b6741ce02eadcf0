"""Working days: the State Council's holidays and make-up days, the administrator's
override table, and Monday to Friday beyond both, with a notice; no date raises."""

import datetime

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funds.models import WorkdayOverride
from funds.workdays import WorkingCalendar

D = datetime.date


def calendar(overrides=None):
    return WorkingCalendar(overrides or {})


def test_national_day_2026_and_its_make_up_saturday():
    cal = calendar()
    assert not cal.is_workday(D(2026, 10, 1))          # 国庆节, a Thursday
    assert not cal.is_workday(D(2026, 9, 25))          # 中秋节, a Friday
    assert cal.is_workday(D(2026, 10, 10))             # 调休: a Saturday worked
    assert not cal.is_workday(D(2026, 10, 11))         # an ordinary Sunday
    # Five working days from Wednesday 30 September: 8, 9, 10 (Saturday), 12, 13 October.
    assert cal.add(D(2026, 9, 30), 5) == D(2026, 10, 13)
    assert cal.between(D(2026, 9, 30), D(2026, 10, 13)) == 5
    assert not cal.unknown_years


def test_a_year_beyond_the_package_counts_weekdays_and_says_so():
    cal = calendar()
    assert cal.is_workday(D(2027, 1, 1))               # a Friday: not known to be 元旦 here
    assert not cal.is_workday(D(2027, 1, 2))
    assert cal.unknown_years == {2027}
    assert "2027" in cal.unknown_notice()
    assert not cal.is_known(2027) and cal.is_known(2026)


@pytest.mark.django_db
def test_the_override_table_wins_and_makes_its_year_known():
    WorkdayOverride.objects.create(date=D(2027, 1, 1), is_workday=False, name="元旦")
    WorkdayOverride.objects.create(date=D(2026, 10, 11), is_workday=True, name="调休上班")
    cal = WorkingCalendar()
    assert not cal.is_workday(D(2027, 1, 1))
    assert cal.is_workday(D(2027, 1, 4))
    assert cal.is_workday(D(2026, 10, 11))             # the table beats the package
    assert cal.is_known(2027)
    assert cal.unknown_years == set() and cal.unknown_notice() == ""


def test_waits_over_years_count_every_working_day():
    """The running count per year against a day-by-day count with the package itself."""
    cal = calendar()
    start, end = D(2024, 11, 20), D(2026, 2, 10)
    brute, day = 0, start
    while day < end:
        day += datetime.timedelta(days=1)
        brute += chinese_calendar.is_workday(day)
    assert cal.between(start, end) == brute
    assert cal.between(end, start) == 0


dates = st.dates(min_value=D(2004, 1, 1), max_value=D(2100, 12, 31))


@settings(max_examples=200, deadline=None)
@given(start=dates, later=st.integers(0, 400), n=st.integers(0, 40), m=st.integers(0, 40))
def test_working_day_arithmetic_is_monotone_and_never_raises(start, later, n, m):
    cal = calendar()
    other = min(start + datetime.timedelta(days=later), D(2100, 12, 31))
    # Adding working days: never before the start, monotone in the count and the start.
    assert cal.add(start, n) >= start >= cal.add(start, -n)
    if n <= m:
        assert cal.add(start, n) <= cal.add(start, m)
    assert cal.add(start, n) <= cal.add(other, n)
    # Counting is the inverse of adding, bounded by the calendar days, monotone in the end.
    assert cal.between(start, cal.add(start, n)) == n
    assert cal.between(start, other) <= (other - start).days
    assert cal.between(start, other) <= cal.between(start, other + datetime.timedelta(days=m))
