from django import forms
from django.contrib import admin, messages
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from funds.budget.overdraw import OverdrawRefused, overdraw_confirm, overdrawn_by_settings
from funds.models import (
    ApiKey,
    CollectiveDecision,
    DocumentSettings,
    DocumentTemplate,
    Expenditure,
    ExpenditureTransition,
    Finding,
    FundYear,
    Inspection,
    OrgUnit,
    SpendingCategory,
    Submission,
    Voucher,
    WorkdayOverride,
)
from funds.signals import noted
from funds.yearly import services
from townships.admin import ReadOnlyAdmin
from townships.audit import ActingAdmin, acting
from townships.services import ReclassificationError

#: The red flags' thresholds of a year (funds.inspection.flags).
FLAG_FIELDS = ("flag_split_days", "flag_year_end_percent", "flag_prohibited_words",
               "flag_meal_words", "flag_meal_cap", "flag_trip_words", "flag_allowance_words",
               "flag_idle_points", "flag_slow_workdays")


class FundYearAdminForm(forms.ModelForm):
    """The admin's fund year under the one rule of every door into a year's numbers
    (funds.budget.overdraw): a change that leaves a township below zero needs the tick
    and a reason, both recorded in the audit event."""

    overdraw_confirmed = forms.BooleanField(
        label=gettext_lazy("I confirm saving although townships go below zero"),
        required=False)
    overdraw_reason = forms.CharField(label=gettext_lazy("Reason"), required=False,
                                      max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))

    class Meta:
        model = FundYear
        fields = ["year", "is_illustrative", "notes", "floor_amount", "special_fund",
                  "standard_first", "standard_second", "standard_third", "floor_mode",
                  "reserve", "promote_count", "demote_count", "large_spending_threshold",
                  "overspend_policy", "approver_may_pay", *FLAG_FIELDS]

    def clean(self):
        cleaned = super().clean()
        self.overdraw_note = {}
        if self.instance.pk is None or self.errors:
            return cleaned
        # the fund year's row first, then the townships' (overdrawn_list): the order of
        # the settings page and of a plan's adoption
        stored = FundYear.objects.select_for_update().get(pk=self.instance.pk)
        values = {name: cleaned[name] for name in self.changed_data
                  if name in cleaned and hasattr(stored, name)
                  and not name.startswith("overdraw_")}
        try:
            self.overdraw_note = overdraw_confirm(
                overdrawn_by_settings(stored, values),
                reason=cleaned.get("overdraw_reason", ""),
                confirmed=cleaned.get("overdraw_confirmed", False))
        except OverdrawRefused as exc:
            raise forms.ValidationError(str(exc)) from exc
        return cleaned


@admin.register(FundYear)
class FundYearAdmin(ActingAdmin, admin.ModelAdmin):
    form = FundYearAdminForm
    list_display = ("year", "floor_amount", "special_fund", "standard_first", "standard_second",
                    "standard_third", "floor_mode", "reserve", "promote_count", "demote_count",
                    "is_illustrative")
    list_filter = ("is_illustrative", "floor_mode")
    search_fields = ("year",)
    actions = ["apply_reclassification"]
    fieldsets = (
        (None, {"fields": ("year", "is_illustrative", "notes")}),
        (gettext_lazy("Money (yuan)"), {"fields": (
            "floor_amount", "special_fund", "standard_first", "standard_second",
            "standard_third", "floor_mode", "reserve")}),
        (gettext_lazy("Reclassification"), {"fields": ("promote_count", "demote_count")}),
        (gettext_lazy("Spending"), {"fields": ("large_spending_threshold",
                                               "overspend_policy", "approver_may_pay")}),
        (gettext_lazy("Red flags"), {"fields": FLAG_FIELDS, "classes": ("collapse",)}),
        (gettext_lazy("A change that leaves townships below zero"), {"fields": (
            "overdraw_confirmed", "overdraw_reason")}),
    )

    def save_model(self, request, obj, form, change):
        with noted(getattr(form, "overdraw_note", {})):
            super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(
        description=gettext_lazy("Preview and apply the reclassification to the next year"),
        permissions=["apply_reclassification"],
    )
    def apply_reclassification(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Choose exactly one year."), messages.ERROR)
            return None
        fund_year = queryset.get()
        if request.POST.get("confirm") == "yes":
            try:
                record = services.reclassification_apply(
                    year=fund_year.year, acting_user=request.user)
            except ReclassificationError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, _(
                    "Applied: %(up)s promoted and %(down)s demoted; the categories of "
                    "%(target)s are set.") % {"up": record.promoted, "down": record.demoted,
                                              "target": record.target_year}, messages.SUCCESS)
            return None
        preview = services.reclassification_preview(fund_year=fund_year)
        return TemplateResponse(request, "admin/funds/fundyear/reclassify_confirm.html", {
            **self.admin_site.each_context(request),
            "title": _("Reclassification %(year)s → %(target)s") % {
                "year": fund_year.year, "target": fund_year.year + 1},
            "opts": self.model._meta,
            "fund_year": fund_year,
            "preview": preview,
            "decisions": [d for d in preview.result.decisions if d.changed],
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        })

    def has_apply_reclassification_permission(self, request):
        return request.user.has_perm("townships.apply_reclassification")


@admin.register(SpendingCategory)
class SpendingCategoryAdmin(ActingAdmin, admin.ModelAdmin):
    """Administrators edit the list; a category in use is retired, never deleted."""

    list_display = ("name", "sort_order", "is_active")
    list_editable = ("sort_order", "is_active")

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WorkdayOverride)
class WorkdayOverrideAdmin(ActingAdmin, admin.ModelAdmin):
    """The year's holiday notice, typed in once a year: it wins over the package's
    calendar, and a year with days here counts as entered (funds.workdays)."""

    list_display = ("date", "is_workday", "name")
    list_filter = ("is_workday",)
    date_hierarchy = "date"


class TransitionInline(admin.TabularInline):
    model = ExpenditureTransition
    fields = ("at", "from_status", "to_status", "amount", "acted_by", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description=gettext_lazy("User"))
    def acted_by(self, obj):
        """As named and placed when they acted, with the user name."""
        return f"{obj.recorded_actor_and_unit} · {obj.actor_username}"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Expenditure)
class ExpenditureAdmin(ReadOnlyAdmin):
    """Read-only: every change goes through the pages, which enforce the rules."""

    list_display = ("township", "date", "amount", "category", "status", "submitted_by",
                    "approved_by", "reimbursed_by")
    list_filter = ("status", "year", "category")
    search_fields = ("township__name", "township__code", "purpose", "payee",
                     "accounting_voucher")
    list_select_related = ("township", "category", "submitted_by", "approved_by",
                           "reimbursed_by")
    inlines = [TransitionInline]


@admin.register(CollectiveDecision)
class CollectiveDecisionAdmin(ReadOnlyAdmin):
    list_display = ("township", "meeting_type", "meeting_date", "minutes_reference",
                    "recorded_by")
    list_select_related = ("township", "recorded_by")


@admin.register(Voucher)
class VoucherAdmin(ReadOnlyAdmin):
    list_display = ("original_name", "kind", "expenditure", "file_size", "uploaded_by",
                    "uploaded_at")
    list_select_related = ("expenditure__township", "uploaded_by")
    exclude = ("file", "size")  # downloaded through the page that checks the township
    readonly_fields = ("file_size",)

    @admin.display(description=gettext_lazy("Size"), ordering="size")
    def file_size(self, obj):
        return filesizeformat(obj.size)


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyAdmin):
    list_display = ("date", "inspectors", "recorded_by")


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ("township", "inspection", "deadline", "closed_at")
    list_filter = ("closed_at",)
    list_select_related = ("township", "inspection")


@admin.register(DocumentSettings)
class DocumentSettingsAdmin(ActingAdmin, admin.ModelAdmin):
    """The county's words in the yearly documents: one row, edited, never deleted."""

    list_display = ("county_name", "number_prefix", "next_number", "recipients")
    fieldsets = (
        (gettext_lazy("Issuing"), {"fields": ("county_name", "issuing_organs", "signers",
                                              "number_prefix", "next_number")}),
        (gettext_lazy("Notice"), {"fields": ("recipients", "copy_to", "printing_organ")}),
        (gettext_lazy("Public posting"), {"fields": ("posting_period", "objections_to")}),
        (gettext_lazy("Execution report"), {"fields": ("low_execution_rate",)}),
    )

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not DocumentSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        """The one row: created with the defaults on first visit, then edited."""
        from django.shortcuts import redirect

        if self.has_change_permission(request):
            with acting(request.user):
                settings, _created = DocumentSettings.objects.get_or_create(pk=1)
            return redirect("admin:funds_documentsettings_change", settings.pk)
        return super().changelist_view(request, extra_context)


@admin.register(DocumentTemplate)
class DocumentTemplateAdmin(ReadOnlyAdmin):
    """Uploaded on the documents page, where they are checked; listed here."""

    list_display = ("kind", "version", "active", "uploaded_by", "uploaded_at")
    list_filter = ("kind", "active")
    list_select_related = ("uploaded_by",)


# --- Upward reporting (issue 28): an upper level's records ---------------------------


@admin.register(OrgUnit)
class OrgUnitAdmin(ReadOnlyAdmin):
    """Loaded from a file (manage.py orgunits_load) and from the counties' sets."""

    list_display = ("code", "name", "level", "parent", "valid_from", "valid_to")
    list_filter = ("level",)
    search_fields = ("code", "name")
    list_select_related = ("parent",)


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    """Created with ``manage.py apikey create`` (the key is shown once); revoked here or
    there by a superuser, audited. Only the key's SHA-256 is stored."""

    list_display = ("name", "prefix", "org_unit", "expires_at", "revoked_at", "last_used_at",
                    "created_by")
    list_select_related = ("org_unit", "created_by")
    exclude = ("digest",)
    actions = ["revoke"]

    @admin.action(description=gettext_lazy("Revoke the chosen keys"))
    def revoke(self, request, queryset):
        if not request.user.is_superuser:
            self.message_user(request, _("Only a superuser revokes keys."), messages.ERROR)
            return
        from funds.exchange.upper import api_key_revoke

        revoked = 0
        for key in queryset.filter(revoked_at__isnull=True):
            api_key_revoke(key=key, acting_user=request.user)
            revoked += 1
        self.message_user(request, _("%(n)s keys revoked.") % {"n": revoked})

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            actions.pop("revoke", None)
        return actions


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    """Received through the API or import_datavalues; decided on the dashboard."""

    list_display = ("org_unit", "period", "state", "value_count", "received_at",
                    "received_from", "decided_by", "decided_at")
    list_filter = ("period", "state")
    list_select_related = ("org_unit", "decided_by")
