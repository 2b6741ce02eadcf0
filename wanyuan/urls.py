from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from funds import views
from wanyuan import converters  # noqa: F401 - registers <township_code:…>

admin.site.site_header = _("Township party-building funds: administration")
admin.site.site_title = _("Township party-building funds")
admin.site.index_title = _("Administration")

urlpatterns = [
    path("", views.overview, name="overview"),
    path("year/", views.year_switch, name="year-switch"),
    path("allocations/<int:year>/", views.allocation_list, name="allocation-list"),
    path("allocations/<int:year>/export.csv", views.allocation_export_csv,
         name="allocation-export-csv"),
    path("allocations/<int:year>/export.xlsx", views.allocation_export_xlsx,
         name="allocation-export-xlsx"),
    path("", include("townships.urls")),
    path("", include("funds.urls")),
    path("allocations/<int:year>/print/", views.allocation_print, name="allocation-print"),
    path("townships/<township_code:code>/", views.township_detail, name="township-detail"),
    path("townships/<township_code:code>/category/", views.township_category_change,
         name="township-category-change"),
    path("rankings/<int:year>/import/", views.rankings_import, name="rankings-import"),
    path("categories/<int:year>/import/", views.categories_import, name="categories-import"),
    path("reclassification/<int:year>/", views.reclassification, name="reclassification"),
    path("reclassification/<int:year>/revert/", views.reclassification_revert,
         name="reclassification-revert"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
]


handler400 = "wanyuan.views.bad_request"
