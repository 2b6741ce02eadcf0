from django.conf import settings


def site(request):
    def nav_year():
        """The year the navigation links to: the one chosen last, else the latest.

        A callable, so that templates which never ask pay no query, and a user who has
        chosen a year (kept in the session) pays none either.
        """
        from funds.models import FundYear
        from townships.views import YEAR_SESSION_KEY

        year = request.session.get(YEAR_SESSION_KEY) if hasattr(request, "session") else None
        if isinstance(year, int):
            return year
        return FundYear.objects.order_by("-year").values_list("year", flat=True).first()

    def nav_years():
        from funds.models import FundYear

        return list(FundYear.objects.order_by("year").values_list("year", flat=True))

    return {
        "COUNTY_NAME": settings.COUNTY_NAME,
        "DEMO_MODE": settings.DEMO_MODE,
        "LOCKOUT_MINUTES": round(settings.AXES_COOLOFF_TIME * 60),
        "nav_year": nav_year,
        "nav_years": nav_years,
    }
