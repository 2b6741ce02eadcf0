from django.conf import settings


def site(request):
    return {
        "COUNTY_NAME": settings.COUNTY_NAME,
        "DEMO_MODE": settings.DEMO_MODE,
        "LOCKOUT_MINUTES": round(settings.AXES_COOLOFF_TIME * 60),
    }
