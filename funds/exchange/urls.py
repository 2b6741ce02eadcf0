"""Upward reporting: the upper level's dashboard (on a city or province instance)."""

from django.urls import path

from funds.exchange import views as exchange
from townships import converters  # noqa: F401 - registers org_unit_code

urlpatterns = [
    path("upper/", exchange.upper_home, name="upper-home"),
    path("upper/<int:year>/", exchange.upper_dashboard, name="upper-dashboard"),
    path("upper/<int:year>/export.csv", exchange.upper_export, {"file_format": "csv"},
         name="upper-export-csv"),
    path("upper/<int:year>/export.xlsx", exchange.upper_export, {"file_format": "xlsx"},
         name="upper-export-xlsx"),
    path("upper/<int:year>/<org_unit_code:unit>/", exchange.upper_dashboard, name="upper-unit"),
    path("upper/<int:year>/<org_unit_code:unit>/export.csv", exchange.upper_export,
         {"file_format": "csv"}, name="upper-unit-export-csv"),
    path("upper/<int:year>/<org_unit_code:unit>/export.xlsx", exchange.upper_export,
         {"file_format": "xlsx"}, name="upper-unit-export-xlsx"),
    path("upper/<int:year>/<org_unit_code:unit>/decide/", exchange.upper_decide,
         name="upper-decide"),
]
