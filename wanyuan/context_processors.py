from django.conf import settings


def site(request):
    return {
        "COUNTY_NAME": settings.COUNTY_NAME,
        # a city or province instance: its pages are the upper level's (funds.exchange)
        "UPPER_LEVEL": settings.INSTANCE_LEVEL != "county",
        "DEMO_MODE": settings.DEMO_MODE,
        "LOCKOUT_MINUTES": round(settings.AXES_COOLOFF_TIME * 60),
    }
