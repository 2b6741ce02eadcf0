"""URLs of the spending loop (the allocation pages are in wanyuan/urls.py)."""

from django.urls import path

from funds import spending_views as views
from wanyuan import converters  # noqa: F401 - registers <township_code:…>

urlpatterns = [
    path("ledger/<township_code:code>/<int:year>/", views.ledger, name="ledger"),
    path("ledger/<township_code:code>/<int:year>/export.csv", views.ledger_export_csv,
         name="ledger-export-csv"),
    path("ledger/<township_code:code>/<int:year>/export.xlsx", views.ledger_export_xlsx,
         name="ledger-export-xlsx"),
    path("ledger/<township_code:code>/<int:year>/new/", views.expenditure_create,
         name="expenditure-create"),
    path("expenditures/<int:pk>/", views.expenditure_detail, name="expenditure-detail"),
    path("expenditures/<int:pk>/edit/", views.expenditure_edit, name="expenditure-edit"),
    path("expenditures/<int:pk>/vouchers/", views.voucher_upload, name="voucher-upload"),
    path("expenditures/<int:pk>/decision/", views.decision_create, name="decision-create"),
    path("expenditures/<int:pk>/<slug:action>/", views.expenditure_action,
         name="expenditure-action"),
    path("vouchers/<int:pk>/", views.voucher_download, name="voucher-download"),
    path("decisions/<int:pk>/minutes/", views.decision_minutes, name="decision-minutes"),
    path("approvals/", views.approval_queue, name="approval-queue"),
    path("execution/<int:year>/", views.execution, name="execution"),
    path("execution/<int:year>/export.csv", views.execution_export_csv,
         name="execution-export-csv"),
    path("execution/<int:year>/export.xlsx", views.execution_export_xlsx,
         name="execution-export-xlsx"),
    path("inspections/", views.inspection_list, name="inspection-list"),
    path("inspections/new/", views.inspection_create, name="inspection-create"),
    path("inspections/<int:pk>/", views.inspection_detail, name="inspection-detail"),
    path("findings/<int:pk>/close/", views.finding_close, name="finding-close"),
]
