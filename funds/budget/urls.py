"""The money: the allocation, its exports and print view."""

from django.urls import path

from funds.budget import views as budget

urlpatterns = [
    path("allocations/<int:year>/", budget.AllocationListView.as_view(),
         name="allocation-list"),
    path("allocations/<int:year>/export.csv", budget.allocation_export_csv,
         name="allocation-export-csv"),
    path("allocations/<int:year>/export.xlsx", budget.allocation_export_xlsx,
         name="allocation-export-xlsx"),
    path("allocations/<int:year>/print/", budget.AllocationPrintView.as_view(),
         name="allocation-print"),
]
