"""The year a page shows: the one rule every page and the navigation read.

A page with the year in its path remembers it (``remember_year``); a page without one
shows ``chosen_year``: the year asked for (``?year=``), else the one remembered, else the
latest. The navigation reads ``remembered_year``. Kept in the session under one key.
"""

from django.http import Http404
from django.utils.translation import gettext as _

#: The session key under which the dashboard remembers the year a user chose.
YEAR_SESSION_KEY = "fund_year"


def remember_year(request, year: int) -> None:
    if request.session.get(YEAR_SESSION_KEY) != year:  # an unchanged session is not written
        request.session[YEAR_SESSION_KEY] = year


def remembered_year(request) -> int | None:
    """The year this user chose last, if any (no query: it is in the session)."""
    year = request.session.get(YEAR_SESSION_KEY) if hasattr(request, "session") else None
    return year if isinstance(year, int) else None


def chosen_year(request, years) -> int | None:
    """The year asked for (``?year=``, then remembered), else the one chosen before, else
    the latest of ``years``. A year asked for that is not one of ``years`` is a 404."""
    years = set(years)
    raw = request.GET.get("year")
    if raw is not None:
        if not raw.isdigit():
            raise Http404(_("“%(value)s” is not a year.") % {"value": raw})
        if int(raw) not in years:
            raise Http404(_("There is no fund year %(year)s.") % {"year": raw})
        remember_year(request, int(raw))
        return int(raw)
    remembered = remembered_year(request)
    return remembered if remembered in years else max(years, default=None)
