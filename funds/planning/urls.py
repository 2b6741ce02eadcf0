"""The allocation planner: scenarios, their comparison, the adoption."""

from django.urls import path

from funds.planning import views as planning

urlpatterns = [
    path("funds/<int:year>/plans/", planning.plan_list, name="plan-list"),
    path("funds/<int:year>/plans/compare/", planning.plan_compare, name="plan-compare"),
    path("funds/<int:year>/plans/compare.xlsx", planning.plan_compare_export_xlsx,
         name="plan-compare-export-xlsx"),
    path("funds/<int:year>/plans/revert/", planning.plan_revert, name="plan-revert"),
    path("funds/<int:year>/plans/<int:pk>/", planning.plan_detail, name="plan-detail"),
    path("funds/<int:year>/plans/<int:pk>/adopt/", planning.plan_adopt, name="plan-adopt"),
]
