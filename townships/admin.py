from django import forms
from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from townships import services
from townships.audit import ActingAdmin
from townships.models import (
    AssessmentResult,
    AuditEvent,
    CategoryChange,
    CategorySource,
    Reclassification,
    Township,
    TownshipCategory,
    TownshipClerk,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Audit trails and results written by services: visible, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Township)
class TownshipAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "first_year", "last_year", "merged_into")
    list_filter = ("kind", "last_year")
    search_fields = ("code", "name")
    autocomplete_fields = ("merged_into",)

    def has_delete_permission(self, request, obj=None):
        return False


class TownshipCategoryForm(forms.ModelForm):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required; kept in the change history for good."),
        error_messages={"required": _("A reason is required to change a category.")},
    )
    overdraw_confirmed = forms.BooleanField(
        label=_("I confirm the change although it leaves the township's remaining budget "
                "below zero"), required=False)

    class Meta:
        model = TownshipCategory
        fields = ("township", "year", "category", "reason", "overdraw_confirmed")

    def clean(self):
        """The checks of the service (the one rule that no change leaves a township
        below zero unconfirmed) as a form error, not a failed save."""
        cleaned = super().clean()
        township = cleaned.get("township") or getattr(self.instance, "township", None)
        year = cleaned.get("year") or self.instance.year
        if township is not None and year and cleaned.get("category") and \
                "category" in self.changed_data and cleaned.get("reason"):
            if transaction.get_connection().in_atomic_block:
                services.year_lock(year - 1)  # the service's lock order: year, then rows
            services.category_change_check(
                year=year, categories={township.pk: cleaned["category"]},
                reason=cleaned["reason"], confirmed=cleaned.get("overdraw_confirmed", False))
        return cleaned

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("A reason is required to change a category."))
        return reason

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The reason of this change, not the one of the last change.
            self.initial["reason"] = ""


@admin.register(TownshipCategory)
class TownshipCategoryAdmin(admin.ModelAdmin):
    form = TownshipCategoryForm
    list_display = ("township", "year", "category", "source", "changed_by", "changed_at")
    list_filter = ("year", "category", "source", "township__kind")
    search_fields = ("township__name", "township__code")
    list_select_related = ("township", "changed_by")
    autocomplete_fields = ("township",)
    ordering = ("-year", "township__code")

    def get_readonly_fields(self, request, obj=None):
        return ("township", "year") if obj else ()

    def save_model(self, request, obj, form, change):
        # Through the service, so the change is audited exactly like one made on a page.
        saved = services.township_category_set(
            township=obj.township, year=obj.year, category=obj.category,
            reason=form.cleaned_data["reason"], acting_user=request.user,
            source=CategorySource.MANUAL,
            confirmed=form.cleaned_data.get("overdraw_confirmed", False),
        )
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CategoryChange)
class CategoryChangeAdmin(ReadOnlyAdmin):
    list_display = ("township", "year", "old_category", "new_category", "source",
                    "changed_by", "changed_at")
    list_filter = ("year", "source", "new_category")
    search_fields = ("township__name", "township__code", "reason")
    list_select_related = ("township", "changed_by")


@admin.register(AssessmentResult)
class AssessmentResultAdmin(ReadOnlyAdmin):
    list_display = ("year", "rank", "township", "score")
    list_filter = ("year",)
    search_fields = ("township__name", "township__code")
    list_select_related = ("township",)


@admin.register(Reclassification)
class ReclassificationAdmin(ReadOnlyAdmin):
    list_display = ("year", "promoted", "demoted", "applied_by", "applied_at", "reverted_at")
    list_filter = ("year",)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "action", "year", "recorded_actor", "summary")
    list_filter = ("action", "year")
    search_fields = ("summary", "actor_name", "actor_username")

    @admin.display(description=_("User"), ordering="actor_name")
    def recorded_actor(self, obj):
        return obj.recorded_actor_and_username


@admin.register(TownshipClerk)
class TownshipClerkAdmin(ActingAdmin, admin.ModelAdmin):
    """Seen here; a 管理员 links a clerk to a township on the clerk's account page
    (townships.accounts_admin), which makes sure the account is a clerk's."""

    list_display = ("user", "township")
    search_fields = ("user__username", "township__name")
    autocomplete_fields = ("township",)
    list_select_related = ("user", "township")

    def _may_grant(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return self._may_grant(request)

    def has_change_permission(self, request, obj=None):
        return self._may_grant(request)

    def has_delete_permission(self, request, obj=None):
        return self._may_grant(request)


# Accounts and role groups: Django's admins replaced by ones where only a superuser grants.
from townships import accounts_admin  # noqa: E402, F401
