"""What a request may open: the fund year it names, the township in the user's scope.

Read by the views of every subpackage; they hold no such helpers themselves. The year a
page shows when its path names none is ``wanyuan.years.chosen_year``'s rule.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from funds.models import FundYear
from townships.models import Township
from townships.roles import may_act_for
from wanyuan.years import chosen_year


def fund_year_or_404(year: int) -> FundYear:
    fund_year = FundYear.objects.filter(year=year).first()
    if fund_year is None:
        raise Http404(_("There is no fund year %(year)s.") % {"year": year})
    return fund_year


def chosen_fund_year(request) -> tuple[FundYear | None, list[FundYear]]:
    """The fund year a page without a year in its path shows (``chosen_year``'s rule),
    and every fund year, for the switcher, from one query."""
    years = list(FundYear.objects.order_by("year"))
    year = chosen_year(request, [fy.year for fy in years])
    return next((fy for fy in years if fy.year == year), None), years


def township_in_scope(request, code: str) -> Township:
    """The township of ``code`` if this user may act for it; otherwise a 404, as if it did
    not exist (a clerk never learns of another township's pages)."""
    township = get_object_or_404(Township, code=code)
    if not may_act_for(request.user, township):
        raise Http404
    return township
