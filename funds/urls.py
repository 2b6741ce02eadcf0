"""URLs of the funds app: the money (budget), the yearly cycle (yearly) and the spending loop."""

from django.urls import path

from funds.budget import views as budget
from funds.documents import views as documents
from funds.planning import views as planning
from funds.spending import ledger_import_views as ledger_import
from funds.spending import views as spending
from funds.yearly import views as yearly
from townships import converters  # noqa: F401 - registers <township_code:…>

urlpatterns = [
    # The money: overview, allocation and its exports
    path("", budget.overview, name="overview"),
    path("year/", budget.year_switch, name="year-switch"),
    path("allocations/<int:year>/", budget.allocation_list, name="allocation-list"),
    path("allocations/<int:year>/export.csv", budget.allocation_export_csv,
         name="allocation-export-csv"),
    path("allocations/<int:year>/export.xlsx", budget.allocation_export_xlsx,
         name="allocation-export-xlsx"),
    path("allocations/<int:year>/print/", budget.allocation_print, name="allocation-print"),
    # The allocation planner: scenarios, their comparison, the adoption
    path("funds/<int:year>/plans/", planning.plan_list, name="plan-list"),
    path("funds/<int:year>/plans/compare/", planning.plan_compare, name="plan-compare"),
    path("funds/<int:year>/plans/compare.xlsx", planning.plan_compare_export_xlsx,
         name="plan-compare-export-xlsx"),
    path("funds/<int:year>/plans/revert/", planning.plan_revert, name="plan-revert"),
    path("funds/<int:year>/plans/<int:pk>/", planning.plan_detail, name="plan-detail"),
    path("funds/<int:year>/plans/<int:pk>/adopt/", planning.plan_adopt, name="plan-adopt"),
    # The yearly cycle: a township through the years, imports, the reclassification
    path("townships/<township_code:code>/", yearly.township_detail, name="township-detail"),
    path("townships/<township_code:code>/category/", yearly.township_category_change,
         name="township-category-change"),
    path("rankings/<int:year>/import/", yearly.rankings_import, name="rankings-import"),
    path("categories/<int:year>/import/", yearly.categories_import, name="categories-import"),
    path("settings/<int:year>/", yearly.fund_year_settings, name="fund-year-settings"),
    path("reclassification/<int:year>/", yearly.reclassification, name="reclassification"),
    path("reclassification/<int:year>/revert/", yearly.reclassification_revert,
         name="reclassification-revert"),
    # The spending loop
    path("my/", spending.clerk_home, name="clerk-home"),
    path("ledger/<township_code:code>/<int:year>/", spending.ledger, name="ledger"),
    path("ledger/<township_code:code>/<int:year>/print/", spending.ledger, {"printing": True},
         name="ledger-print"),
    path("ledger/<township_code:code>/<int:year>/export.csv", spending.ledger_export_csv,
         name="ledger-export-csv"),
    path("ledger/<township_code:code>/<int:year>/export.xlsx", spending.ledger_export_xlsx,
         name="ledger-export-xlsx"),
    path("ledger/<township_code:code>/<int:year>/new/", spending.expenditure_create,
         name="expenditure-create"),
    path("ledger/<township_code:code>/<int:year>/import/", ledger_import.ledger_import_page,
         name="ledger-import"),
    path("ledger/import-template.xlsx", ledger_import.ledger_import_template,
         name="ledger-import-template"),
    path("expenditures/", spending.expenditure_search, name="expenditure-search"),
    path("expenditures/<int:pk>/", spending.expenditure_detail, name="expenditure-detail"),
    path("expenditures/<int:pk>/edit/", spending.expenditure_edit, name="expenditure-edit"),
    path("expenditures/<int:pk>/vouchers/", spending.voucher_upload, name="voucher-upload"),
    path("expenditures/<int:pk>/decision/", spending.decision_create, name="decision-create"),
    path("expenditures/<int:pk>/<slug:action>/", spending.expenditure_action,
         name="expenditure-action"),
    path("vouchers/<int:pk>/", spending.voucher_download, name="voucher-download"),
    path("decisions/<int:pk>/minutes/", spending.decision_minutes, name="decision-minutes"),
    path("approvals/", spending.approval_queue, name="approval-queue"),
    path("approvals/batch/", spending.approval_batch, name="approval-batch"),
    path("payments/<int:year>/<int:month>/", spending.payments, name="payments"),
    path("payments/<int:year>/<int:month>/export.csv", spending.payments_export_csv,
         name="payments-export-csv"),
    path("payments/<int:year>/<int:month>/export.xlsx", spending.payments_export_xlsx,
         name="payments-export-xlsx"),
    path("notifications/read/", spending.notifications_read, name="notifications-read"),
    path("execution/<int:year>/", spending.execution, name="execution"),
    path("execution/<int:year>/print/", spending.execution, {"printing": True},
         name="execution-print"),
    path("execution/<int:year>/export.csv", spending.execution_export_csv,
         name="execution-export-csv"),
    path("execution/<int:year>/export.xlsx", spending.execution_export_xlsx,
         name="execution-export-xlsx"),
    path("inspections/", spending.inspection_list, name="inspection-list"),
    path("inspections/print/", spending.inspection_list, {"printing": True},
         name="inspection-print"),
    path("inspections/new/", spending.inspection_create, name="inspection-create"),
    path("inspections/<int:pk>/", spending.inspection_detail, name="inspection-detail"),
    path("findings/<int:pk>/close/", spending.finding_close, name="finding-close"),
    # The yearly documents (文件)
    path("documents/<int:year>/", documents.documents, name="documents"),
    path("documents/<int:year>/posting/", documents.posting, name="document-posting"),
    path("documents/<int:year>/<slug:kind>.<slug:fmt>", documents.document_download,
         name="document-download"),
    path("documents/<int:year>/<township_code:code>/posting/", documents.township_posting,
         name="township-document-posting"),
    path("documents/<int:year>/<township_code:code>/<slug:kind>.<slug:fmt>",
         documents.township_document_download, name="township-document-download"),
    path("documents/<int:year>/templates/", documents.template_upload,
         name="document-template-upload"),
    path("documents/<int:year>/templates/<slug:kind>/reset/", documents.template_reset,
         name="document-template-reset"),
]
