"""Chinese working days (工作日), with the State Council's make-up days (调休).

Three sources, in this order:

1. :class:`funds.models.WorkdayOverride`, the days an administrator typed in from the
   year's notice (it comes each November or December for the next year);
2. the ``chinesecalendar`` package, which knows 2004–2026 and raises
   ``NotImplementedError`` outside them;
3. beyond both, Monday to Friday, and :attr:`WorkingCalendar.unknown_years` names the
   years counted that way so that a page can say "年度节假日安排未录入".

No date raises. Deadlines of findings, reports and approvals count in these days
(DOMAIN.md; INSPECTION.md, "Working days").
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import chinese_calendar
from django.utils.translation import gettext as _

from funds.models import WorkdayOverride

ONE_DAY = datetime.timedelta(days=1)


def time_share(year: int, as_of: datetime.date) -> Decimal:
    """The share of the year elapsed on a day (时间进度): 0 before it, 1 after it."""
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    if as_of < first:
        return Decimal(0)
    if as_of >= last:
        return Decimal(1)
    return Decimal((as_of - first).days + 1) / Decimal((last - first).days + 1)


def _package_knows(day: datetime.date) -> bool | None:
    """The package's answer, or None for a year it does not cover."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


class WorkingCalendar:
    """The working days, with the override table read once (one query)."""

    def __init__(self, overrides: dict[datetime.date, bool] | None = None):
        if overrides is None:
            overrides = dict(WorkdayOverride.objects.values_list("date", "is_workday"))
        self.overrides = overrides
        self.entered_years = {day.year for day in overrides}
        #: Years met so far that neither source covers: counted as Monday to Friday.
        self.unknown_years: set[int] = set()
        self._running: dict[int, list[int]] = {}
        self._days: dict[datetime.date, bool] = {}  # each day asked once

    def is_workday(self, day: datetime.date) -> bool:
        known = self._days.get(day)
        if known is None:
            known = self._days[day] = self._is_workday(day)
        return known

    def _is_workday(self, day: datetime.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        known = None if day.year in self.entered_years else _package_knows(day)
        if known is not None:
            return known
        if day.year not in self.entered_years:
            self.unknown_years.add(day.year)
        return day.weekday() < 5

    def is_known(self, year: int) -> bool:
        """Whether a year's holidays are known (typed in, or in the package)."""
        return (year in self.entered_years
                or _package_knows(datetime.date(year, 6, 1)) is not None)

    def add(self, start: datetime.date, days: int) -> datetime.date:
        """The day ``days`` working days after ``start`` (before it, for a negative
        count); zero gives ``start`` itself."""
        step = ONE_DAY if days >= 0 else -ONE_DAY
        day = start
        for _step in range(abs(days)):
            day += step
            while not self.is_workday(day):
                day += step
        return day

    def _running_count(self, year: int) -> list[int]:
        """Per day of a year, the working days from 1 January up to it: counted once per
        year, so that a wait of years costs no more than one of days."""
        running = self._running.get(year)
        if running is None:
            first = datetime.date(year, 1, 1)
            running, count = [], 0
            for offset in range((datetime.date(year + 1, 1, 1) - first).days):
                count += self.is_workday(first + datetime.timedelta(days=offset))
                running.append(count)
            self._running[year] = running
        return running

    def between(self, start: datetime.date, end: datetime.date) -> int:
        """The working days after ``start`` up to and including ``end`` (0 when ``end``
        is not after ``start``): how many working days something has waited."""
        if end <= start:
            return 0

        def upto(day):
            return self._running_count(day.year)[day.timetuple().tm_yday - 1]

        total = upto(end) - upto(start)
        for year in range(start.year, end.year):
            total += self._running_count(year)[-1]
        return total

    def unknown_notice(self) -> str:
        """The notice a page shows when it counted a year as Monday to Friday."""
        if not self.unknown_years:
            return ""
        years = "、".join(str(y) for y in sorted(self.unknown_years))
        return _("The %(years)s holiday arrangement has not been entered (年度节假日安排未录入): "
                 "working days are counted as Monday to Friday.") % {"years": years}
