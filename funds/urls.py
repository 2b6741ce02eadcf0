"""URLs of the funds app: the overview above its subpackages, then each subpackage's own
list (docs/architecture.md). The names are global (``reverse("ledger", …)``), as before."""

from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

from funds import views
from funds.exchange.api import api

#: The API's patterns, built once: they answer 401 themselves, in JSON, rather than
#: redirecting to the login page.
api_urls = api.urls
for _pattern in api_urls[0]:
    _pattern.callback = login_not_required(_pattern.callback)

urlpatterns = [
    path("", views.overview, name="overview"),
    path("year/", views.year_switch, name="year-switch"),
    path("", include("funds.budget.urls")),
    path("", include("funds.planning.urls")),
    path("", include("funds.yearly.urls")),
    path("", include("funds.spending.urls")),
    path("", include("funds.documents.urls")),
    path("", include("funds.inspection.urls")),
    path("", include("funds.performance.urls")),
    path("", include("funds.exchange.urls")),
    path("api/v1/", api_urls),
]
