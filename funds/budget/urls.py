"""The money: the allocation, its exports and print view."""

from django.urls import path

from funds.budget import views as budget

urlpatterns = [
    path("allocations/<int:year>/", budget.allocation_list, name="allocation-list"),
    path("allocations/<int:year>/export.csv", budget.allocation_export_csv,
         name="allocation-export-csv"),
    path("allocations/<int:year>/export.xlsx", budget.allocation_export_xlsx,
         name="allocation-export-xlsx"),
    path("allocations/<int:year>/print/", budget.allocation_print, name="allocation-print"),
]
