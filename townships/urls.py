from django.urls import path

from townships import views

urlpatterns = [
    path("townships/", views.TownshipListView.as_view(), name="township-list"),
    path("townships/merger/", views.merger, name="township-merger"),
    path("rankings/<int:year>/", views.RankingListView.as_view(), name="ranking-list"),
    path("audit/categories/", views.CategoryChangeListView.as_view(),
         name="audit-category-changes"),
    path("audit/events/", views.AuditEventListView.as_view(), name="audit-events"),
]
