"""URLs of the funds app: the overview above its subpackages, then each subpackage's own
list (docs/architecture.md). The names are global (``reverse("ledger", …)``), as before."""

from django.urls import include, path

from funds import views

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
]
