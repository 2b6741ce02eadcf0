"""The yearly cycle: a township through the years, the imports, the settings and the
reclassification."""

from django.urls import path

from funds.yearly import views as yearly
from townships import converters  # noqa: F401 - registers <township_code:…>

urlpatterns = [
    path("townships/<township_code:code>/", yearly.township_detail, name="township-detail"),
    path("townships/<township_code:code>/category/", yearly.township_category_change,
         name="township-category-change"),
    path("rankings/<int:year>/import/", yearly.rankings_import, name="rankings-import"),
    path("categories/<int:year>/import/", yearly.categories_import, name="categories-import"),
    path("settings/<int:year>/", yearly.fund_year_settings, name="fund-year-settings"),
    path("reclassification/<int:year>/", yearly.reclassification, name="reclassification"),
    path("reclassification/<int:year>/revert/", yearly.reclassification_revert,
         name="reclassification-revert"),
]
