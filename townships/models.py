from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

YEAR_MIN = 2000
YEAR_MAX = 2100


class Category(models.IntegerChoices):
    """Funding category of a township for one year; 1 is the highest."""

    FIRST = 1, _("Category 1")
    SECOND = 2, _("Category 2")
    THIRD = 3, _("Category 3")


class TownshipKind(models.TextChoices):
    TOWN = "town", pgettext_lazy("township kind", "Town")
    TOWNSHIP = "township", pgettext_lazy("township kind", "Township")
    SUBDISTRICT = "subdistrict", pgettext_lazy("township kind", "Subdistrict")


class CategorySource(models.TextChoices):
    INITIAL = "initial", _("Initial classification")
    MANUAL = "manual", _("Manual change")
    IMPORT = "import", _("Imported file")
    RECLASSIFICATION = "reclassification", _("Yearly reclassification")


def in_service(year, prefix: str = "") -> Q:
    """The one definition of "in service in the year", as a condition on the township
    reached through ``prefix`` (e.g. ``"township__"``); ``year`` may be an expression,
    such as ``F("year")`` of the row that joins the township."""
    return ((Q(**{f"{prefix}first_year__isnull": True}) | Q(**{f"{prefix}first_year__lte": year}))
            & (Q(**{f"{prefix}last_year__isnull": True}) | Q(**{f"{prefix}last_year__gte": year})))


def out_of_service(year, prefix: str = "") -> Q:
    """Not in service in the year: opened later or closed before."""
    return ~in_service(year, prefix)


class TownshipQuerySet(models.QuerySet):
    def in_service(self, year: int):
        return self.filter(in_service(year))

    def in_service_with_year(self, year: int):
        """Townships in service in the year, joined to that year's category and result
        as ``year_category`` and ``year_result``: LEFT JOINs (each is unique per township
        and year) that the database can hash-join over every township."""
        return self.in_service(year).annotate(
            year_category=models.FilteredRelation(
                "categories", condition=Q(categories__year=year)),
            year_result=models.FilteredRelation(
                "assessments", condition=Q(assessments__year=year)),
        )


#: An official township code: digits only (e.g. 511781100; the full statistical code has
#: 12). URLs match codes with it (``townships.converters``), so a code never holds a slash.
TOWNSHIP_CODE_PATTERN = "[0-9]{1,12}"


class Township(models.Model):
    code = models.CharField(
        _("official code"), max_length=12, unique=True,
        validators=[RegexValidator(
            rf"\A{TOWNSHIP_CODE_PATTERN}\Z",
            _("An official code consists of digits only (0–9), at most 12."))],
    )
    name = models.CharField(_("name"), max_length=64, db_index=True)
    kind = models.CharField(_("kind"), max_length=16, choices=TownshipKind.choices)
    first_year = models.PositiveSmallIntegerField(
        _("first year in service"), null=True, blank=True,
        help_text=_("Empty: in service since before the records begin."),
    )
    last_year = models.PositiveSmallIntegerField(
        _("last year in service"), null=True, blank=True,
        help_text=_("Empty: still in service."),
    )
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="merged_from",
    )

    objects = TownshipQuerySet.as_manager()

    class Meta:
        verbose_name = _("township")
        verbose_name_plural = _("townships")
        ordering = ["code"]
        permissions = [
            ("view_all_townships", _("Can see every township")),
            ("import_rankings", _("Can import assessment rankings")),
            ("apply_reclassification", _("Can apply and revert the yearly reclassification")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(first_year__isnull=True)
                | Q(last_year__isnull=True)
                | Q(last_year__gte=models.F("first_year")),
                name="township_service_years_ordered",
                violation_error_message=_("The last year in service is before the first."),
            ),
        ]

    def __str__(self):
        return self.name

    def in_service(self, year: int) -> bool:
        return (self.first_year is None or self.first_year <= year) and (
            self.last_year is None or self.last_year >= year
        )


class TownshipCategory(models.Model):
    """The category a township has in one year: one row per township and year."""

    # db_index=False: the unique (township, year) index serves lookups by township.
    township = models.ForeignKey(
        Township, verbose_name=_("township"), on_delete=models.PROTECT,
        related_name="categories", db_index=False,
    )
    year = models.PositiveSmallIntegerField(_("year"))
    category = models.PositiveSmallIntegerField(_("category"), choices=Category.choices)
    source = models.CharField(_("source"), max_length=20, choices=CategorySource.choices)
    reason = models.TextField(_("reason"), blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("township category")
        verbose_name_plural = _("township categories")
        ordering = ["year", "township__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["township", "year"], name="one_category_per_township_year",
                violation_error_message=_("This township already has a category for that year."),
            ),
            models.CheckConstraint(
                condition=Q(category__in=Category.values), name="category_is_known",
                violation_error_message=_("Unknown category."),
            ),
        ]
        indexes = [models.Index(fields=["year", "category"], name="category_year_idx")]

    def __str__(self):
        return f"{self.township} {self.year} {self.get_category_display()}"


def display_name(user) -> str:
    """A person's name as pages, histories and exports show it: the real name an
    administrator set (last name then first name, without a space, as Chinese names are
    written), else the user name."""
    return f"{user.last_name}{user.first_name}".strip() or user.get_username()


def display_unit(user) -> str:
    """The unit an administrator set for the account, else a clerk's township, else "".
    Reads ``unit_of`` and ``clerk_of__township``: select them with the user."""
    unit = getattr(user, "unit_of", None) if user is not None else None
    if unit is not None:
        return unit.unit
    clerk = getattr(user, "clerk_of", None) if user is not None else None
    return clerk.township.name if clerk is not None else ""


class RecordsActorQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.record_actor()
        return super().bulk_create(objs, *args, **kwargs)


class RecordsActor(models.Model):
    """A record of who acted, as they were named and placed when they acted.

    The name, user name and unit are copied from the acting account when the row is
    first written (``save`` or ``bulk_create``) and never again: a later rename or move
    of the account does not rewrite who appears to have acted. ``actor_field`` names the
    row's link to the account."""

    actor_field = "actor"

    actor_name = models.CharField(_("name when acting"), max_length=300, blank=True,
                                  editable=False)
    actor_username = models.CharField(_("user name when acting"), max_length=150, blank=True,
                                      editable=False)
    actor_unit = models.CharField(_("unit when acting"), max_length=60, blank=True,
                                  editable=False)

    objects = RecordsActorQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self._state.adding:
            self.record_actor()
        super().save(*args, **kwargs)

    def record_actor(self) -> None:
        user = getattr(self, self.actor_field)
        if self.actor_username or user is None:
            return
        self.actor_name = display_name(user)
        self.actor_username = user.get_username()
        self.actor_unit = display_unit(user)

    @property
    def recorded_actor(self) -> str:
        """The name then (the user name when none was set), or "—" for nobody."""
        return self.actor_name or self.actor_username or "—"

    @property
    def recorded_actor_and_username(self) -> str:
        """The name then with the user name: 张华（zhanghua）."""
        if self.actor_name and self.actor_name != self.actor_username:
            return f"{self.actor_name}（{self.actor_username}）"
        return self.recorded_actor

    @property
    def recorded_actor_and_unit(self) -> str:
        """The name then with the unit then, for a history: 张华（组织部）."""
        if self.actor_unit:
            return f"{self.recorded_actor}（{self.actor_unit}）"
        return self.recorded_actor


class CategoryChange(RecordsActor):
    """Audit record of every change of a township's category; never edited or deleted."""

    actor_field = "changed_by"

    # db_index=False: category_change_idx (township, year) serves lookups by township.
    township = models.ForeignKey(
        Township, verbose_name=_("township"), on_delete=models.PROTECT,
        related_name="category_changes", db_index=False,
    )
    year = models.PositiveSmallIntegerField(_("year"))
    old_category = models.PositiveSmallIntegerField(
        _("old category"), choices=Category.choices, null=True, blank=True
    )
    new_category = models.PositiveSmallIntegerField(
        _("new category"), choices=Category.choices, null=True, blank=True
    )
    source = models.CharField(_("source"), max_length=20, choices=CategorySource.choices)
    reason = models.TextField(_("reason"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"))
    reclassification = models.ForeignKey(
        "Reclassification", verbose_name=_("reclassification"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="changes",
    )

    class Meta:
        verbose_name = _("category change")
        verbose_name_plural = _("category changes")
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["township", "year"], name="category_change_idx")]

    def __str__(self):
        return f"{self.township} {self.year}: {self.old_category} → {self.new_category}"


class AssessmentResult(models.Model):
    """A township's result in the annual party-building assessment; rank 1 is best."""

    # db_index=False: the unique (township, year) index serves lookups by township.
    township = models.ForeignKey(
        Township, verbose_name=_("township"), on_delete=models.PROTECT,
        related_name="assessments", db_index=False,
    )
    year = models.PositiveSmallIntegerField(_("year"))
    rank = models.PositiveIntegerField(_("rank"))
    score = models.DecimalField(_("score"), max_digits=7, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("assessment result")
        verbose_name_plural = _("assessment results")
        ordering = ["year", "rank", "township__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["township", "year"], name="one_assessment_per_township_year",
                violation_error_message=_("This township already has a result for that year."),
            ),
            models.CheckConstraint(
                condition=Q(rank__gte=1), name="assessment_rank_positive",
                violation_error_message=_("A rank starts at 1."),
            ),
        ]

    def __str__(self):
        return f"{self.township} {self.year} #{self.rank}"


class Reclassification(models.Model):
    """One application of the yearly rule: year's ranking → next year's categories."""

    year = models.PositiveSmallIntegerField(_("assessment year"))
    promote_count = models.PositiveSmallIntegerField(_("promote count"))
    demote_count = models.PositiveSmallIntegerField(_("demote count"))
    ranked_count = models.PositiveIntegerField(_("ranked townships"))
    promoted = models.PositiveIntegerField(_("promoted"))
    demoted = models.PositiveIntegerField(_("demoted"))
    counts_before = models.JSONField(_("counts before"))
    counts_after = models.JSONField(_("counts after"))
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("applied by"), on_delete=models.PROTECT,
        related_name="+",
    )
    applied_at = models.DateTimeField(_("applied at"))
    reverted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reverted by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    reverted_at = models.DateTimeField(_("reverted at"), null=True, blank=True)
    revert_reason = models.TextField(_("revert reason"), blank=True)

    class Meta:
        verbose_name = _("reclassification")
        verbose_name_plural = _("reclassifications")
        ordering = ["-year", "-applied_at"]
        constraints = [
            # The database itself guarantees a year is applied at most once, even when
            # two administrators confirm at the same moment.
            models.UniqueConstraint(
                fields=["year"], condition=Q(reverted_at__isnull=True),
                name="one_active_reclassification_per_year",
                violation_error_message=_("This year's reclassification has already been applied."),
            ),
        ]

    def __str__(self):
        return f"{self.year} → {self.year + 1}"

    @property
    def target_year(self) -> int:
        return self.year + 1

    @property
    def is_active(self) -> bool:
        return self.reverted_at is None


class AuditEvent(RecordsActor):
    """Audit trail of yearly operations (imports, reclassification), of role grants, of
    accounts (activation, name, unit, township) and of changed settings (a year's,
    spending categories); append-only."""

    class Action(models.TextChoices):
        RANKINGS_IMPORTED = "rankings_imported", _("Ranking imported")
        RANKINGS_REPLACED = "rankings_replaced", _("Ranking replaced")
        CATEGORIES_IMPORTED = "categories_imported", _("Categories imported")
        RECLASSIFICATION_APPLIED = "reclassification_applied", _("Reclassification applied")
        RECLASSIFICATION_REVERTED = "reclassification_reverted", _("Reclassification reverted")
        MERGER_APPLIED = "merger_applied", _("Merger applied")
        TOWNSHIPS_LOADED = "townships_loaded", _("Township list loaded")
        ROLE_GRANTED = "role_granted", _("Role granted")
        ROLE_REMOVED = "role_removed", _("Role removed")
        FUND_YEAR_CREATED = "fund_year_created", _("Fund year created")
        FUND_YEAR_CHANGED = "fund_year_changed", _("Fund year settings changed")
        SPENDING_CATEGORY_CREATED = "spending_category_created", _("Spending category created")
        SPENDING_CATEGORY_CHANGED = "spending_category_changed", _("Spending category changed")
        PLAN_CREATED = "plan_created", _("Allocation plan created")
        PLAN_ADOPTED = "plan_adopted", _("Allocation plan adopted")
        PLAN_REVERTED = "plan_reverted", _("Allocation plan reverted")
        DOCUMENT_GENERATED = "document_generated", _("Document generated")
        DOCUMENT_SETTINGS_CHANGED = "document_settings_changed", _("Document settings changed")
        DOCUMENT_TEMPLATE_UPLOADED = "document_template_uploaded", _("Document template uploaded")
        DOCUMENT_TEMPLATE_RESET = "document_template_reset", _("Document template reset")
        ACCOUNT_ACTIVATED = "account_activated", _("Account activated")
        ACCOUNT_DEACTIVATED = "account_deactivated", _("Account deactivated")
        ACCOUNT_CHANGED = "account_changed", _("Account changed")
        LEDGER_IMPORTED = "ledger_imported", _("Ledger imported")
        DUPLICATE_INVOICE_ALLOWED = "duplicate_invoice_allowed", _("Duplicate invoice allowed")
        FLAG_CLOSED = "flag_closed", _("Red flag closed")
        AUDIT_PACK_GENERATED = "audit_pack_generated", _("Audit pack generated")
        PERFORMANCE_CHANGED = "performance_changed", _("Performance sheet changed")
        PERFORMANCE_FILED = "performance_filed", _("Self-evaluation filed")
        PERFORMANCE_REOPENED = "performance_reopened", _("Self-evaluation reopened")
        ORG_UNITS_LOADED = "org_units_loaded", _("Org units loaded")
        API_KEY_CREATED = "api_key_created", _("API key created")
        API_KEY_REVOKED = "api_key_revoked", _("API key revoked")
        SUBMISSION_RECEIVED = "submission_received", _("Submission received")
        SUBMISSION_ACCEPTED = "submission_accepted", _("Submission accepted")
        SUBMISSION_RETURNED = "submission_returned", _("Submission returned")
        REPORT_SENT = "report_sent", _("Report sent upward")
        REPORT_STATE = "report_state", _("Report state from the upper level")

    action = models.CharField(_("action"), max_length=40, choices=Action.choices)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    summary = models.TextField(_("summary"))
    details = models.JSONField(_("details"), default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_action_display()} {self.year or ''}"


class TownshipClerk(models.Model):
    """Links a township clerk's account to the one township they may see."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
        related_name="clerk_of",
    )
    township = models.ForeignKey(
        Township, verbose_name=_("township"), on_delete=models.PROTECT, related_name="clerks"
    )

    class Meta:
        verbose_name = _("township clerk")
        verbose_name_plural = _("township clerks")

    def __str__(self):
        return f"{self.user} @ {self.township}"


class AccountUnit(models.Model):
    """The unit (单位) an account works for, set by an administrator: 组织部, 财政局, or a
    township's office (a clerk without one is shown with the own township)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
        primary_key=True, related_name="unit_of",
    )
    unit = models.CharField(_("unit"), max_length=60)

    class Meta:
        verbose_name = _("unit of an account")
        verbose_name_plural = _("units of accounts")

    def __str__(self):
        return self.unit
