"""Accounts and role groups in the admin: only a superuser grants roles.

A superuser sees Django's full user form, plus the township of a clerk. Anybody else
with the user permissions (a 管理员) manages township clerk accounts only: creates them
(always in 乡镇经办 and nothing else, linked to a township), deactivates them, resets
their passwords and edits their names. Every other account, their own included, they
see read-only. Fields they are not shown are not in their form, so posting them does
nothing; and the save path checks again, as do the signals of ``townships.accounts``
under the acting user this admin sets. The role groups are the superuser's alone.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from townships import roles
from townships.accounts import is_clerk_account
from townships.audit import ActingAdmin, acting
from townships.models import AccountUnit, Township, TownshipClerk


class TownshipFieldForm(forms.Form):
    """The township a clerk's account is linked to (townships.TownshipClerk)."""

    township_required = False

    township = forms.ModelChoiceField(
        label=_("Township"), queryset=Township.objects.order_by("code"), required=False,
        help_text=_("The township whose spending this township clerk keeps."),
    )

    unit = forms.CharField(
        label=_("Unit"), max_length=60, required=False,
        help_text=_("Where the person works, shown with the name in histories, e.g. "
                    "组织部 or 财政局; a township clerk without one shows the township."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "unit" in self.fields and self.instance.pk:
            unit = AccountUnit.objects.filter(user_id=self.instance.pk).first()
            if unit is not None:
                self.initial.setdefault("unit", unit.unit)
        if "township" in self.fields:
            self.fields["township"].required = self.township_required
            link = TownshipClerk.objects.filter(user_id=self.instance.pk).first() \
                if self.instance.pk else None
            if link is not None:
                self.initial.setdefault("township", link.township_id)


class AccountChangeForm(TownshipFieldForm, UserChangeForm):
    pass


class AccountCreationForm(TownshipFieldForm, AdminUserCreationForm):
    pass


class ClerkChangeForm(AccountChangeForm):
    township_required = True


class ClerkCreationForm(AccountCreationForm):
    township_required = True


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class AccountAdmin(ActingAdmin, auth_admin.UserAdmin):
    form = AccountChangeForm
    add_form = AccountCreationForm
    list_display = ("username", "first_name", "last_name", "unit", "is_active", "is_staff",
                    "is_superuser")
    list_select_related = ("unit_of",)
    fieldsets = auth_admin.UserAdmin.fieldsets + (
        (_("Unit"), {"fields": ("unit",)}),
        (_("Township clerk"), {"fields": ("township",)}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",),
                "fields": ("username", "usable_password", "password1", "password2",
                           "township")}),
    )
    # What a 管理员 edits of a clerk's account, and what they see of the others.
    clerk_fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "unit", "email")}),
        (_("Township clerk"), {"fields": ("is_active", "township")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    clerk_add_fieldsets = add_fieldsets
    view_fieldsets = (
        (None, {"fields": ("username",)}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "unit", "email")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups",
                                       "user_permissions", "clerk_township")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )

    @admin.display(description=_("Unit"))
    def unit(self, obj):
        return getattr(getattr(obj, "unit_of", None), "unit", "") or "—"

    @admin.display(description=_("Township"))
    def clerk_township(self, obj):
        link = TownshipClerk.objects.filter(user=obj).select_related("township").first()
        return str(link.township) if link else "—"

    def _may_grant(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or self._may_grant(request) or is_clerk_account(obj)

    def get_fieldsets(self, request, obj=None):
        if self._may_grant(request):
            return super().get_fieldsets(request, obj)
        if obj is None:
            return self.clerk_add_fieldsets
        if self.has_change_permission(request, obj):
            return self.clerk_fieldsets
        return self.view_fieldsets

    def get_readonly_fields(self, request, obj=None):
        if self._may_grant(request):
            return super().get_readonly_fields(request, obj)
        return ("last_login", "date_joined")

    def get_form(self, request, obj=None, **kwargs):
        if not self._may_grant(request):
            kwargs.setdefault("form", ClerkCreationForm if obj is None else ClerkChangeForm)
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        if not self._may_grant(request):
            if change and not is_clerk_account(obj):
                raise PermissionDenied
            # a clerk's account never opens the admin site and is nobody's superuser
            if obj.is_superuser or obj.is_staff:
                raise PermissionDenied
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        township = form.cleaned_data.get("township")
        if not self._may_grant(request):
            user.groups.set([Group.objects.get(name=roles.CLERKS)])
            if not is_clerk_account(user) or township is None:
                raise PermissionDenied
        elif township is not None and not change and not user.groups.exists():
            user.groups.add(Group.objects.get(name=roles.CLERKS))
        link = TownshipClerk.objects.filter(user=user).first()
        if township is not None:
            if link is None:
                TownshipClerk.objects.create(user=user, township=township)
            elif link.township_id != township.pk:
                link.township = township
                link.save()
        elif link is not None and "township" in form.changed_data:
            link.delete()
        if "unit" in form.changed_data:
            unit = form.cleaned_data["unit"].strip()
            if unit:
                AccountUnit.objects.update_or_create(user=user, defaults={"unit": unit})
            else:
                AccountUnit.objects.filter(user=user).delete()

    def user_change_password(self, request, id, form_url=""):
        with acting(request.user), transaction.atomic():
            return super().user_change_password(request, id, form_url)


@admin.register(Group)
class RoleGroupAdmin(ActingAdmin, auth_admin.GroupAdmin):
    """The roles and their permissions: seen by those allowed to, changed by a superuser."""

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser
