from funds.models import Expenditure, FundYear
from wanyuan.years import remembered_year


def fund_years(request):
    def nav_year():
        """The year the navigation links to: the one chosen last, else the latest.

        A callable, so that templates which never ask pay no query, and a user who has
        chosen a year (kept in the session) pays none either.
        """
        year = remembered_year(request)
        if year is not None:
            return year
        return FundYear.objects.order_by("-year").values_list("year", flat=True).first()

    def nav_years():
        return list(FundYear.objects.order_by("year").values_list("year", flat=True))

    def awaiting_approval():
        """How many expenditures wait for approval: the count on the navigation's
        报账审批, read only when an approver's page shows it."""
        return Expenditure.objects.filter(status=Expenditure.Status.SUBMITTED).count()

    return {"nav_year": nav_year, "nav_years": nav_years,
            "awaiting_approval": awaiting_approval}
