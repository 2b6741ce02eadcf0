from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from wanyuan.passwords import GuardedPasswordChangeView

admin.site.site_header = _("Township party-building funds: administration")
admin.site.site_title = _("Township party-building funds")
admin.site.index_title = _("Administration")

urlpatterns = [
    path("", include("townships.urls")),
    path("", include("funds.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", GuardedPasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(),
         name="password_change_done"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
]


handler400 = "wanyuan.views.bad_request"
