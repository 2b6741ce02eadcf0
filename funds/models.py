from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from townships.models import YEAR_MAX, YEAR_MIN, Category, RecordsActor, RecordsActorQuerySet
from wanyuan.money import to_yuan

MONEY_MAX = Decimal("999999999999.99")  # the largest amount max_digits=14 holds
MONEY = {"max_digits": 14, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


class OverspendPolicy(models.TextChoices):
    STOP = "stop", _("Stop: approval beyond the remaining budget is refused")
    WARN = "warn", _("Warn: approval beyond the remaining budget is allowed with a warning")


class FloorMode(models.TextChoices):
    """How the floor is counted: the one definition (FundYear.floor_for, the budget check)."""

    ELSEWHERE = "elsewhere", _("On top of the standard, paid from another source")
    IN_FUND = "in_fund", _("On top of the standard, paid out of the fund")
    MINIMUM = "minimum", _("A minimum: a township gets the larger of standard and floor")


class FundYear(models.Model):
    """The money and the rules of one year: floor, special fund, standards, settings."""

    year = models.PositiveSmallIntegerField(
        _("year"), unique=True,
        validators=[MinValueValidator(YEAR_MIN), MaxValueValidator(YEAR_MAX)],
    )
    floor_amount = models.DecimalField(
        _("floor per township (yuan)"), default=Decimal("30000.00"), **MONEY
    )
    special_fund = models.DecimalField(_("special fund (yuan)"), **MONEY)
    standard_first = models.DecimalField(
        _("standard of category 1 (yuan)"), default=Decimal("170000.00"), **MONEY
    )
    standard_second = models.DecimalField(
        _("standard of category 2 (yuan)"), default=Decimal("150000.00"), **MONEY
    )
    standard_third = models.DecimalField(
        _("standard of category 3 (yuan)"), default=Decimal("120000.00"), **MONEY
    )
    floor_mode = models.CharField(
        _("floor counted as"), max_length=10, choices=FloorMode.choices,
        default=FloorMode.ELSEWHERE,
        help_text=_("On top and paid from elsewhere: the fund covers the standards only. "
                    "On top and paid out of the fund: the fund covers standards and floors. "
                    "A minimum: the fund covers the larger of the two."),
    )
    reserve = models.DecimalField(
        _("reserve (yuan)"), default=Decimal("0.00"),
        help_text=_("预留: kept back from the special fund, not allocated to townships."),
        **MONEY,
    )
    adopted_scenario = models.ForeignKey(
        "PlanScenario", verbose_name=_("adopted allocation plan"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+", editable=False,
        help_text=_("When set, each township's amounts are this plan's lines."),
    )
    promote_count = models.PositiveSmallIntegerField(
        _("promote count"), default=5,
        help_text=_("How many top-ranked townships move up one category for the next year."),
    )
    demote_count = models.PositiveSmallIntegerField(
        _("demote count"), default=5,
        help_text=_("How many bottom-ranked townships move down one category for the next year."),
    )
    large_spending_threshold = models.DecimalField(
        _("large-spending threshold (yuan)"), default=Decimal("10000.00"),
        help_text=_("Spending at or above this needs a recorded collective decision."),
        **MONEY,
    )
    overspend_policy = models.CharField(
        _("spending beyond the remaining budget"), max_length=8,
        choices=OverspendPolicy.choices, default=OverspendPolicy.STOP,
    )
    approver_may_pay = models.BooleanField(
        _("the approver may also record the payment"), default=False,
        help_text=_("Off: finance records the payment and is never the expenditure's "
                    "approver. On: for a county where one office both approves and pays."),
    )
    # The red flags' thresholds (funds.inspection.flags; INSPECTION.md): settings of the
    # year, audited with the rest.
    flag_split_days = models.PositiveSmallIntegerField(
        _("splitting window (days)"), default=30,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text=_("化整为零: payments of a township to one payee within this many days, "
                    "each under the large-spending threshold, together at or over it."))
    flag_year_end_percent = models.DecimalField(
        _("year-end rush (percent of the allocation)"), max_digits=5, decimal_places=2,
        default=Decimal("30.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("年底突击: December spending over this share of the allocation."))
    flag_prohibited_words = models.TextField(
        _("prohibited words (八项规定)"), default="宴请\n烟\n酒\n礼品\n购物卡\n旅游\n景区",
        help_text=_("One per line: a purpose, payee or category holding one is flagged."))
    flag_meal_words = models.TextField(
        _("meal words"), default="餐费\n伙食\n工作餐\n用餐",
        help_text=_("One per line: a meal is flagged above the meal cap, and on a day off."))
    flag_meal_cap = models.DecimalField(
        _("meal cap per expenditure (yuan)"), default=Decimal("1000.00"),
        help_text=_("The ledger records no head count: the cap is per expenditure."), **MONEY)
    flag_trip_words = models.TextField(
        _("trip words"), default="考察\n参观\n住宿\n差旅",
        help_text=_("One per line: a trip dated on a day off is flagged."))
    flag_allowance_words = models.TextField(
        _("allowance words (津补贴)"), default="补贴\n劳务\n奖金\n慰问金",
        help_text=_("One per line: such a payment to a person is flagged."))
    flag_idle_points = models.DecimalField(
        _("idle money (points behind time)"), max_digits=5, decimal_places=2,
        default=Decimal("20.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("资金滞留: after 30 September, execution this many points behind the "
                    "share of the year elapsed."))
    flag_slow_workdays = models.PositiveSmallIntegerField(
        _("slow approval (working days)"), default=10,
        validators=[MinValueValidator(1), MaxValueValidator(250)],
        help_text=_("久拖未批: submitted and undecided for more than this many working days."))
    is_illustrative = models.BooleanField(
        _("illustrative data"), default=False,
        help_text=_("The categories and ranking of this year are examples, not official."),
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("fund year")
        verbose_name_plural = _("fund years")
        ordering = ["-year"]
        permissions = [("export_allocation", _("Can export the yearly allocation"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(year__gte=YEAR_MIN) & Q(year__lte=YEAR_MAX),
                name="fund_year_in_range",
                violation_error_message=_("The year is out of range."),
            ),
            models.CheckConstraint(
                condition=Q(floor_amount__gte=0) & Q(special_fund__gte=0)
                & Q(standard_first__gte=0) & Q(standard_second__gte=0)
                & Q(standard_third__gte=0) & Q(large_spending_threshold__gte=0)
                & Q(reserve__gte=0),
                name="fund_year_amounts_not_negative",
                violation_error_message=_("Amounts cannot be negative."),
            ),
        ]

    def __str__(self):
        return str(self.year)

    def standard_for(self, category: int | None) -> Decimal:
        return to_yuan({
            Category.FIRST: self.standard_first,
            Category.SECOND: self.standard_second,
            Category.THIRD: self.standard_third,
        }.get(category, 0))

    def floor_for(self, category: int | None) -> Decimal:
        """The floor money of one township.

        On top (the source's reading; paid from elsewhere or out of the fund): the full
        floor. As a minimum, only the top-up that lifts a lower standard to it. A township
        without a category gets nothing until an administrator sets one. A year with an
        adopted plan pays the plan's lines (funds.budget.selectors.allocation_list); this
        is the formula for a category.
        """
        if not category:
            return to_yuan(0)
        floor = to_yuan(self.floor_amount)
        if self.floor_mode != FloorMode.MINIMUM:
            return floor
        return max(to_yuan(0), floor - self.standard_for(category))

    def allocation_for(self, category: int | None) -> Decimal:
        return self.standard_for(category) + self.floor_for(category)

    def is_large(self, amount) -> bool:
        """Large spending (大额支出): at or above the year's threshold, it needs a recorded
        collective decision. The one statement of the rule."""
        return amount >= self.large_spending_threshold

    @property
    def fund_available(self) -> Decimal:
        """The special fund less the reserve: what the townships' amounts must fit."""
        return to_yuan(self.special_fund) - to_yuan(self.reserve)

    @property
    def standards(self) -> dict[int, Decimal]:
        return {c: self.standard_for(c) for c in Category.values}


class PlanScenario(models.Model):
    """A named allocation plan of a year (funds.planning): its parameters, its result per
    category and, in its lines, per township. Kept as computed; never edited."""

    class Method(models.TextChoices):
        KEEP = "keep", _("Keep the standards")
        SCALE = "scale", _("Scale the standards")
        LADDER = "ladder", _("Fixed ladder")
        FIT = "fit", _("Category counts that fit")
        CUSTOM = "custom", _("Custom standards")

    fund_year = models.ForeignKey(FundYear, verbose_name=_("fund year"),
                                  on_delete=models.PROTECT, related_name="plan_scenarios")
    name = models.CharField(_("name"), max_length=80)
    method = models.CharField(_("method"), max_length=8, choices=Method.choices)
    special_fund = models.DecimalField(_("special fund (yuan)"), **MONEY)
    reserve = models.DecimalField(_("reserve (yuan)"), default=Decimal("0.00"), **MONEY)
    floor_amount = models.DecimalField(_("floor per township (yuan)"), **MONEY)
    floor_mode = models.CharField(_("floor counted as"), max_length=10,
                                  choices=FloorMode.choices)
    rounding_unit = models.PositiveSmallIntegerField(
        _("rounding unit (yuan)"), default=1, choices=[(1, "1"), (100, "100")])
    gap = models.DecimalField(_("ladder gap (yuan)"), default=Decimal("20000.00"), **MONEY)
    input_standards = models.JSONField(
        _("standards given"), default=dict,
        help_text=_("The standards kept, scaled or typed in, per category, in yuan."))
    standard_first = models.DecimalField(_("standard of category 1 (yuan)"), **MONEY)
    standard_second = models.DecimalField(_("standard of category 2 (yuan)"), **MONEY)
    standard_third = models.DecimalField(_("standard of category 3 (yuan)"), **MONEY)
    total = models.DecimalField(_("total (yuan)"), **MONEY)
    fund_covered = models.DecimalField(_("paid out of the fund (yuan)"), **MONEY)
    difference = models.DecimalField(
        _("available less paid (yuan)"), max_digits=14, decimal_places=2,
        help_text=_("Positive: unallocated; negative: a shortfall."))
    recipients = models.JSONField(_("largest-remainder recipients"), default=list)
    fit = models.JSONField(_("splits that fit"), default=dict, blank=True)
    formula_zh = models.TextField(_("formula (Chinese)"))
    formula_en = models.TextField(_("formula (English)"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("allocation plan")
        verbose_name_plural = _("allocation plans")
        ordering = ["fund_year", "id"]
        permissions = [("adopt_allocation_plan", _("Can adopt or revert an allocation plan"))]

    def __str__(self):
        return f"{self.fund_year.year} {self.name}"

    @property
    def standards(self) -> dict[int, Decimal]:
        return {Category.FIRST: self.standard_first, Category.SECOND: self.standard_second,
                Category.THIRD: self.standard_third}


class PlanLine(models.Model):
    """One township's amounts in a plan, as computed (largest remainder included)."""

    scenario = models.ForeignKey(PlanScenario, verbose_name=_("allocation plan"),
                                 on_delete=models.CASCADE, related_name="lines")
    township = models.ForeignKey("townships.Township", verbose_name=_("township"),
                                 on_delete=models.PROTECT, related_name="plan_lines")
    category = models.PositiveSmallIntegerField(_("category"), choices=Category.choices,
                                                null=True)
    standard = models.DecimalField(_("standard (yuan)"), **MONEY)
    floor = models.DecimalField(_("floor (yuan)"), **MONEY)
    total = models.DecimalField(_("total (yuan)"), **MONEY)

    class Meta:
        verbose_name = _("allocation plan line")
        verbose_name_plural = _("allocation plan lines")
        ordering = ["scenario", "township"]
        constraints = [
            models.UniqueConstraint(fields=["scenario", "township"],
                                    name="plan_line_one_per_township",
                                    violation_error_message=_(
                                        "A plan has one line per township.")),
        ]

    def __str__(self):
        return f"{self.scenario_id}: {self.township_id} {self.total}"


# ---------------------------------------------------------------------------------------
# The spending loop (预算—使用—管理—检查): DOMAIN.md, "The spending loop".
# Rows here are never deleted: the foreign keys protect them and the admin refuses.
# ---------------------------------------------------------------------------------------


#: 开支类别 of DOMAIN.md, created by migration 0003 and by the demo; administrators edit.
DEFAULT_SPENDING_CATEGORIES = ["教育培训", "组织生活和主题活动", "阵地建设", "关怀慰问党员",
                               "表彰激励", "其他"]


class SpendingCategory(models.Model):
    """开支类别: a list administrators edit; the defaults come from DOMAIN.md."""

    name = models.CharField(_("name"), max_length=40, unique=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(
        _("in use"), default=True,
        help_text=_("Categories no longer in use stay on old expenditures but cannot be chosen."),
    )

    class Meta:
        verbose_name = _("spending category")
        verbose_name_plural = _("spending categories")
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name


class CollectiveDecision(models.Model):
    """集体决策: the recorded meeting that decided a large expenditure."""

    class MeetingType(models.TextChoices):
        PARTY_COMMITTEE = "party_committee", _("Party committee meeting")
        LEADERSHIP = "leadership", _("Leadership team meeting")
        JOINT = "joint", _("Joint meeting")
        OTHER = "other", _("Other meeting")

    township = models.ForeignKey(
        "townships.Township", verbose_name=_("township"), on_delete=models.PROTECT,
        related_name="decisions",
    )
    meeting_type = models.CharField(_("meeting type"), max_length=20, choices=MeetingType.choices)
    meeting_date = models.DateField(_("meeting date"))
    attendance = models.TextField(
        _("attendance"), help_text=_("Who attended, and how many of how many members."))
    minutes_reference = models.CharField(
        _("minutes reference"), max_length=100, blank=True,
        help_text=_("The number or title of the minutes; or attach the minutes."))
    minutes_file = models.FileField(_("minutes"), upload_to="decisions/%Y/", blank=True)
    amount = models.DecimalField(
        _("amount decided (yuan)"), max_digits=14, decimal_places=2,
        help_text=_("The amount the meeting decided: the decision covers spending up to it."),
    )
    purpose = models.TextField(_("purpose decided"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("collective decision")
        verbose_name_plural = _("collective decisions")
        ordering = ["-meeting_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(minutes_reference="") | ~Q(minutes_file=""),
                name="decision_has_minutes",
                violation_error_message=_("Give the minutes reference or attach the minutes."),
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="decision_amount_positive",
                violation_error_message=_("The amount must be positive."),
            ),
        ]

    def __str__(self):
        return f"{self.get_meeting_type_display()} {self.meeting_date:%Y-%m-%d}"

    def covers(self, expenditure, *, on) -> bool:
        """Whether this decision allows approving the expenditure as it is now, on a day:
        the same township and purpose, at least its amount, and a meeting held by then."""
        return (self.township_id == expenditure.township_id
                and self.amount >= expenditure.amount
                and self.purpose == expenditure.purpose and self.meeting_date <= on)


class Expenditure(models.Model):
    """One spending of a township's party-building funds, from draft to reimbursement."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned for changes")
        APPROVED = "approved", _("Approved")
        REIMBURSED = "reimbursed", _("Reimbursed")
        REJECTED = "rejected", _("Rejected")
        VOIDED = "voided", _("Voided")

    township = models.ForeignKey(
        "townships.Township", verbose_name=_("township"), on_delete=models.PROTECT,
        related_name="expenditures",
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(YEAR_MIN), MaxValueValidator(YEAR_MAX)],
        help_text=_("The fund year whose budget pays it: the year of the date."),
    )
    date = models.DateField(_("date"))
    amount = models.DecimalField(
        _("amount (yuan)"), max_digits=14, decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    category = models.ForeignKey(
        SpendingCategory, verbose_name=_("spending category"), on_delete=models.PROTECT,
        related_name="expenditures",
    )
    purpose = models.TextField(_("purpose"))
    payee = models.CharField(_("payee"), max_length=100)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices,
                              default=Status.DRAFT, db_index=True)
    decision = models.ForeignKey(
        CollectiveDecision, verbose_name=_("collective decision"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="expenditures",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approved by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    approved_values = models.JSONField(
        _("as approved"), null=True, blank=True, editable=False,
        help_text=_("What the approval covered: a returned expenditure that differs from "
                    "it in anything goes through approval again."),
    )
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("last changed by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    # What finance records when it pays (报账): the day, and its accounting voucher.
    reimbursed_on = models.DateField(_("reimbursement date"), null=True, blank=True)
    accounting_voucher = models.CharField(
        _("accounting voucher no."), max_length=40, blank=True,
        help_text=_("会计凭证号: the number of the finance office's accounting voucher."))
    reimbursed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("payment recorded by"), null=True,
        blank=True, on_delete=models.PROTECT, related_name="+",
        help_text=_("Empty for payments recorded before issue 23 and for imported rows."))
    ledger_import = models.ForeignKey(
        "funds.LedgerImport", verbose_name=_("imported from"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="expenditures", editable=False,
        help_text=_("Set when the expenditure came from a township's existing ledger: "
                    "recorded as reimbursed, approved by nobody in this system."))

    class Meta:
        verbose_name = _("expenditure")
        verbose_name_plural = _("expenditures")
        ordering = ["date", "id"]
        indexes = [models.Index(fields=["township", "year", "status"],
                                name="expenditure_ledger_idx")]
        permissions = [
            ("submit_expenditure", _("Can submit an expenditure for approval")),
            ("approve_expenditure", _("Can approve, return or reject expenditures")),
            ("reimburse_expenditure", _("Can record the reimbursement of an expenditure")),
            ("void_expenditure", _("Can void any expenditure")),
            ("override_budget_stop", _("Can approve beyond the remaining budget")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="expenditure_amount_positive",
                violation_error_message=_("The amount must be positive."),
            ),
            # The four-eyes rule, held by the database as well as the service (which also
            # refuses anyone who changed it since its last approval, from the history).
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | (
                    ~Q(approved_by=models.F("created_by"))
                    & (Q(submitted_by__isnull=True) | ~Q(approved_by=models.F("submitted_by")))
                    & (Q(last_edited_by__isnull=True)
                       | ~Q(approved_by=models.F("last_edited_by")))),
                name="expenditure_four_eyes",
                violation_error_message=_("Nobody approves an expenditure they created, "
                                          "submitted or changed."),
            ),
            # Paying is a second person's step too: whoever records the payment did not
            # create, submit or change the expenditure (the service also reads the
            # history, and by default refuses its approver: FundYear.approver_may_pay).
            models.CheckConstraint(
                condition=Q(reimbursed_by__isnull=True) | (
                    ~Q(reimbursed_by=models.F("created_by"))
                    & (Q(submitted_by__isnull=True)
                       | ~Q(reimbursed_by=models.F("submitted_by")))
                    & (Q(last_edited_by__isnull=True)
                       | ~Q(reimbursed_by=models.F("last_edited_by")))),
                name="expenditure_payer_four_eyes",
                violation_error_message=_("Nobody records the payment of an expenditure they "
                                          "created, submitted or changed."),
            ),
            models.CheckConstraint(
                condition=~Q(status="reimbursed") | (
                    Q(reimbursed_on__isnull=False) & ~Q(accounting_voucher="")),
                name="expenditure_reimbursement_recorded",
                violation_error_message=_("A reimbursement records its date and its "
                                          "accounting voucher number."),
            ),
        ]

    def __str__(self):
        return f"{self.township} {self.date:%Y-%m-%d} {self.amount}"

    @property
    def counts_against_budget(self) -> bool:
        return self.status in SPENT_STATUSES

    def is_decided(self, *, on=None) -> bool:
        """Whether a recorded collective decision covers the expenditure as it is now
        (on a day; today by default)."""
        return self.decision is not None and self.decision.covers(
            self, on=on or timezone.localdate())

    def needs_decision(self, fund_year: FundYear) -> bool:
        """Large, and no recorded decision covers it: approval waits for one."""
        return fund_year.is_large(self.amount) and not self.is_decided()

    def approval_values(self) -> dict[str, str]:
        """What an approval covers, as stored in ``approved_values``: a change of any of
        these fields needs a new approval."""
        return {"township": str(self.township_id), "date": str(self.date),
                "amount": str(to_yuan(self.amount)), "category": str(self.category_id),
                "purpose": self.purpose, "payee": self.payee}


#: The statuses whose amounts are taken from a township's budget.
SPENT_STATUSES = (Expenditure.Status.APPROVED, Expenditure.Status.REIMBURSED)


#: The ends of an expenditure that are not spending: it holds no invoice (the county-wide
#: check and its warnings) and takes part in no red-flag rule.
NOT_SPENT = (Expenditure.Status.VOIDED, Expenditure.Status.REJECTED)


class TransitionQuerySet(RecordsActorQuerySet):
    def returns(self):
        """The returns for changes: moves into returned from another state. A change or a
        voucher recorded on a returned expenditure stays returned and is no return."""
        return self.filter(to_status=Expenditure.Status.RETURNED).exclude(
            from_status=Expenditure.Status.RETURNED)


class ExpenditureTransition(RecordsActor):
    """Every change of an expenditure's state, with who (as named then), when and why;
    append-only."""

    objects = TransitionQuerySet.as_manager()

    @property
    def is_return(self) -> bool:
        """A return for changes (:meth:`TransitionQuerySet.returns`, row by row)."""
        return (self.to_status == Expenditure.Status.RETURNED
                and self.from_status != Expenditure.Status.RETURNED)

    expenditure = models.ForeignKey(
        Expenditure, verbose_name=_("expenditure"), on_delete=models.PROTECT,
        related_name="transitions",
    )
    from_status = models.CharField(_("from"), max_length=12, choices=Expenditure.Status.choices,
                                   blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=Expenditure.Status.choices)
    note = models.TextField(_("note"), blank=True)
    changes = models.JSONField(
        _("changes"), default=dict, blank=True,
        help_text=_("Each changed field with its old and new value."),
    )
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("expenditure transition")
        verbose_name_plural = _("expenditure transitions")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.expenditure_id}: {self.from_status} → {self.to_status}"


class Voucher(models.Model):
    """A supporting document of an expenditure, stored under MEDIA_ROOT, served after login."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        SIGN_IN = "sign_in", _("Sign-in sheet")
        PHOTO = "photo", _("Photo")
        MINUTES = "minutes", _("Meeting minutes")
        OTHER = "other", _("Other")

    expenditure = models.ForeignKey(
        Expenditure, verbose_name=_("expenditure"), on_delete=models.PROTECT,
        related_name="vouchers",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to="vouchers/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, blank=True,
                              db_index=True)
    # An invoice's facts (发票信息), read from its QR code or OFD file or typed in
    # (funds.spending.invoices). The key is unique among non-voided expenditures
    # county-wide unless an administrator allowed a duplicate with a reason.
    invoice_type = models.CharField(_("invoice type"), max_length=4, blank=True)
    invoice_code = models.CharField(_("invoice code"), max_length=12, blank=True)
    invoice_number = models.CharField(_("invoice number"), max_length=20, blank=True)
    invoice_date = models.DateField(_("invoice date"), null=True, blank=True)
    invoice_amount = models.DecimalField(_("invoice amount (yuan)"), max_digits=14,
                                         decimal_places=2, null=True, blank=True)
    invoice_seller = models.CharField(_("seller"), max_length=100, blank=True)
    invoice_key = models.CharField(_("invoice key"), max_length=34, blank=True,
                                   db_index=True, editable=False)
    duplicate_reason = models.TextField(
        _("reason to allow a duplicate invoice"), blank=True,
        help_text=_("Given by an administrator who let an invoice already used elsewhere "
                    "be recorded again."))
    duplicate_allowed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("duplicate allowed by"), null=True,
        blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("voucher")
        verbose_name_plural = _("vouchers")
        ordering = ["uploaded_at", "id"]
        permissions = [("allow_duplicate_invoice",
                        _("Can record an invoice already used on another expenditure"))]

    def __str__(self):
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.file.name.lower().endswith((".png", ".jpg", ".jpeg"))

    @property
    def is_pdf(self) -> bool:
        return self.file.name.lower().endswith(".pdf")

    @property
    def has_invoice_facts(self) -> bool:
        """An invoice whose number is known: it can be checked for duplicates. An invoice
        voucher without it counts as no invoice (白条) in the red flags."""
        return self.kind == self.Kind.INVOICE and bool(self.invoice_key)


class InvoiceKey(models.Model):
    """One row per invoice key ever recorded: the row lock that makes two clerks recording
    the same invoice at once wait for each other (funds.spending.services)."""

    key = models.CharField(_("invoice key"), max_length=34, unique=True)

    class Meta:
        verbose_name = _("invoice key")
        verbose_name_plural = _("invoice keys")

    def __str__(self):
        return self.key


class Inspection(models.Model):
    """检查: an inspection of one or more townships' use of the funds."""

    date = models.DateField(_("date"))
    inspectors = models.CharField(_("inspectors"), max_length=200)
    townships = models.ManyToManyField("townships.Township", verbose_name=_("townships"),
                                       related_name="inspections")
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-date", "-id"]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.inspectors}"


class Finding(models.Model):
    """A problem an inspection found, to be rectified by a deadline and then closed."""

    inspection = models.ForeignKey(Inspection, verbose_name=_("inspection"),
                                   on_delete=models.PROTECT, related_name="findings")
    township = models.ForeignKey("townships.Township", verbose_name=_("township"),
                                 on_delete=models.PROTECT, related_name="findings")
    expenditures = models.ManyToManyField(Expenditure, verbose_name=_("expenditures"),
                                          blank=True, related_name="findings")
    description = models.TextField(_("finding"))
    deadline = models.DateField(_("rectification deadline"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("closed by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    closure_note = models.TextField(_("rectification"), blank=True)
    # What the rectification ledger (整改台账) adds up: the money a finding concerns, and
    # what was paid back or put right by its closure.
    amount_involved = models.DecimalField(_("amount involved (yuan)"), default=Decimal("0.00"),
                                          **MONEY)
    amount_restored = models.DecimalField(_("amount restored (yuan)"), default=Decimal("0.00"),
                                          **MONEY)

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["deadline", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | ~Q(closure_note=""),
                name="finding_closed_with_a_note",
                violation_error_message=_("Say how the finding was rectified to close it."),
            ),
            models.CheckConstraint(
                condition=Q(amount_involved__gte=0) & Q(amount_restored__gte=0),
                name="finding_amounts_not_negative",
                violation_error_message=_("Amounts cannot be negative."),
            ),
        ]

    def __str__(self):
        return self.description[:40]

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def is_overdue(self) -> bool:
        """Open after its rectification deadline: flagged wherever the finding shows."""
        return self.closed_at is None and self.deadline < timezone.localdate()


class RedFlagReview(models.Model):
    """An inspector's closing of a red flag, with the explanation (audited). The flag is
    closed while its items are as they were (``fingerprint``); when they change, it opens
    again, and this row stays as its history."""

    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(YEAR_MIN), MaxValueValidator(YEAR_MAX)])
    township = models.ForeignKey("townships.Township", verbose_name=_("township"),
                                 on_delete=models.PROTECT, related_name="flag_reviews")
    rule = models.CharField(_("rule"), max_length=20)
    subject = models.CharField(_("subject"), max_length=200)
    fingerprint = models.CharField(_("fingerprint of the items"), max_length=64)
    figure = models.CharField(_("figure"), max_length=300)
    explanation = models.TextField(_("explanation"))
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("closed by"),
                                  on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(_("closed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("red flag review")
        verbose_name_plural = _("red flag reviews")
        ordering = ["-closed_at", "-id"]
        indexes = [models.Index(fields=["year", "township", "rule"],
                                name="flag_review_lookup_idx")]
        permissions = [("close_redflag", _("Can close a red flag with an explanation")),
                       ("generate_audit_pack", _("Can make the audit pack of a year"))]

    def __str__(self):
        return f"{self.year} {self.rule} {self.subject}"


class Reminder(models.Model):
    """An in-app reminder made by ``manage.py send_reminders`` (funds.inspection.reminders):
    once per kind, subject, due day and recipient, whatever how often the command runs."""

    class Kind(models.TextChoices):
        FINDING_DUE = "finding_due", _("Finding due soon")
        FINDING_OVERDUE = "finding_overdue", _("Finding overdue")
        WAITING = "waiting", _("Waiting too long for approval")
        HALF_YEAR_REPORT = "half_year_report", _("Half-year report due")
        ANNUAL_REPORT = "annual_report", _("Annual report due")
        RED_FLAG = "red_flag", _("Open red flag")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recipient"),
                                  on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    due = models.DateField(_("due"))
    message = models.TextField(_("message"))
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("made at"), auto_now_add=True, db_index=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "subject", "due", "recipient"],
                                    name="reminder_once",
                                    violation_error_message=_("This reminder was sent.")),
        ]

    def __str__(self):
        return f"{self.kind} {self.subject} {self.due}"


class WorkdayOverride(models.Model):
    """One day of the State Council's holiday notice (国务院办公厅关于节假日安排的通知),
    typed in by an administrator: a holiday on a weekday, or a make-up working day (调休)
    on a weekend. It wins over the ``chinesecalendar`` package, which knows 2004–2026
    only (funds.workdays)."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(
        _("working day"),
        help_text=_("Ticked: a make-up working day (调休上班). Not ticked: a day off."))
    name = models.CharField(_("name"), max_length=40,
                            help_text=_("The holiday, e.g. 春节, or 调休上班."))

    class Meta:
        verbose_name = _("holiday arrangement day")
        verbose_name_plural = _("holiday arrangement days")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}"


class NotificationsRead(models.Model):
    """Up to when a user has read the dashboard's notifications (in-app, no email)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("user"),
                                on_delete=models.CASCADE, primary_key=True,
                                related_name="notifications_read")
    read_until = models.DateTimeField(_("read until"))

    class Meta:
        verbose_name = _("notifications read")
        verbose_name_plural = _("notifications read")

    def __str__(self):
        return f"{self.user_id}: {self.read_until:%Y-%m-%d %H:%M}"
# ---------------------------------------------------------------------------------------
# The yearly documents (issue 16): the county's words, and replacement templates.
# ---------------------------------------------------------------------------------------


class DocumentKind(models.TextChoices):
    PLAN = "plan", _("Allocation plan")
    NOTICE = "notice", _("Notice issuing the funds")
    POSTING = "posting", _("Public posting")
    EXECUTION = "execution", _("Execution report")
    RECTIFICATION = "rectification", _("Rectification ledger and report")


class DocumentSettings(models.Model):
    """The county's words in its documents: one row (pk 1), edited in the admin, its
    changes audited with old and new values (funds/signals.py)."""

    county_name = models.CharField(_("county name"), max_length=40, default="万源市")
    issuing_organs = models.TextField(
        _("issuing organs"), default="中共万源市委组织部\n万源市财政局",
        help_text=_("One per line; two or more lines issue the notice jointly."))
    number_prefix = models.CharField(
        _("document-number prefix"), max_length=20, default="万组发",
        help_text=_("The notice's number reads prefix〔year〕N号."))
    next_number = models.PositiveIntegerField(
        _("document number N (default)"), default=1,
        help_text=_("Proposed on the documents page; editable before each generation."))
    signers = models.TextField(
        _("signers"), default="中共万源市委组织部\n万源市财政局",
        help_text=_("The signature of the notice and the reports: one organ per line."))
    recipients = models.CharField(_("recipients"), max_length=200, default="各乡镇党委")
    copy_to = models.CharField(_("copy to"), max_length=300,
                               default="市纪委监委，市审计局，各乡镇人民政府")
    printing_organ = models.CharField(_("printing organ"), max_length=100,
                                      default="中共万源市委组织部办公室")
    posting_period = models.CharField(
        _("posting period"), max_length=200,
        default="自发布之日起5个工作日",
        help_text=_("As the posting says it, e.g. 自发布之日起5个工作日."))
    objections_to = models.TextField(
        _("where objections go"),
        default="中共万源市委组织部组织科（来信来访请注明真实姓名和联系方式）")
    low_execution_rate = models.DecimalField(
        _("low execution rate (%)"), max_digits=5, decimal_places=2, default=Decimal("50.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("The execution report lists the townships below it."))

    class Meta:
        verbose_name = _("document settings")
        verbose_name_plural = _("document settings")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="document_settings_singleton",
                                   violation_error_message=_("There is one settings row.")),
        ]

    def __str__(self):
        return str(_("document settings"))

    @classmethod
    def get(cls) -> DocumentSettings:
        """The settings, with the defaults until an administrator saves them."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)

    @staticmethod
    def lines(text: str) -> list[str]:
        return [line.strip() for line in text.splitlines() if line.strip()]


class DocumentTemplate(models.Model):
    """An uploaded replacement for a document kind's default .docx template; the active
    one of a kind is used; deactivating it resets the kind to the default."""

    kind = models.CharField(_("kind"), max_length=16, choices=DocumentKind.choices)
    file = models.FileField(_("file"), upload_to="document_templates/")
    version = models.PositiveIntegerField(_("version"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT,
        related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")
        ordering = ["kind", "-version"]
        permissions = [
            ("generate_documents", _("Can generate the county's yearly documents")),
            ("generate_township_documents",
             _("Can generate a township's posting and rectification ledger")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"],
                                    name="document_template_version_unique",
                                    violation_error_message=_("This version exists.")),
            models.UniqueConstraint(fields=["kind"], condition=Q(active=True),
                                    name="one_active_document_template_per_kind",
                                    violation_error_message=_(
                                        "Another template of this kind is in use.")),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} v{self.version}"


class LedgerImport(models.Model):
    """One township's existing ledger (台账) brought in from a file: its expenditures are
    recorded as reimbursed on their own dates, approved by nobody in this system."""

    township = models.ForeignKey(
        "townships.Township", verbose_name=_("township"), on_delete=models.PROTECT,
        related_name="ledger_imports",
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(YEAR_MIN), MaxValueValidator(YEAR_MAX)])
    original_name = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(
        _("SHA-256 of the file"), max_length=64,
        unique=True, error_messages={"unique": _("This file has already been imported.")})
    rows = models.PositiveIntegerField(_("rows"))
    total = models.DecimalField(_("total (yuan)"), max_digits=16, decimal_places=2)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("imported by"), on_delete=models.PROTECT,
        related_name="+",
    )
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    overdraft_reason = models.TextField(
        _("reason for going below zero"), blank=True,
        help_text=_("Given when the import took the remaining budget below zero."))

    class Meta:
        verbose_name = _("ledger import")
        verbose_name_plural = _("ledger imports")
        ordering = ["-imported_at", "-id"]

    def __str__(self):
        return f"{self.original_name} ({self.sha256[:12]})"


# ---------------------------------------------------------------------------------------
# The 绩效 cycle (issue 27): targets with the budget, monitoring, the self-evaluation.
# ---------------------------------------------------------------------------------------


#: A share in percent, 0–100, with two places.
PERCENT = {"max_digits": 5, "decimal_places": 2,
           "validators": [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]}


class PerformanceSettings(models.Model):
    """The province's rules for scoring a self-evaluation, and whose sheet it is: one row
    (pk 1), edited in the admin, audited."""

    class EvaluatedAs(models.TextChoices):
        PROJECT = "project", _("One organization-department project (the county's sheet)")
        TRANSFER = "transfer", _("A transfer per township (a sheet per township as well)")

    class LeRule(models.TextChoices):
        LINEAR = "linear", _("Falls linearly to 0 at twice the target")
        RATIO = "ratio", _("Target ÷ actual × weight")

    evaluated_as = models.CharField(_("the fund is evaluated as"), max_length=10,
                                    choices=EvaluatedAs.choices, default=EvaluatedAs.PROJECT)
    execution_weight = models.DecimalField(
        _("weight of the execution rate"), max_digits=5, decimal_places=2,
        default=Decimal("10.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))])
    le_rule = models.CharField(_("a ≤ indicator above its target"), max_length=8,
                               choices=LeRule.choices, default=LeRule.LINEAR)
    achieved_low = models.DecimalField(_("achieved: lowest percent of the weight"),
                                       default=Decimal("80.00"), **PERCENT)
    achieved_high = models.DecimalField(_("achieved: highest percent"),
                                        default=Decimal("100.00"), **PERCENT)
    partial_low = models.DecimalField(_("partly achieved: lowest percent"),
                                      default=Decimal("60.00"), **PERCENT)
    partial_high = models.DecimalField(_("partly achieved: highest percent"),
                                       default=Decimal("80.00"), **PERCENT)
    failed_low = models.DecimalField(_("not achieved: lowest percent"),
                                     default=Decimal("0.00"), **PERCENT)
    failed_high = models.DecimalField(_("not achieved: highest percent"),
                                      default=Decimal("60.00"), **PERCENT)

    class Meta:
        verbose_name = _("performance settings")
        verbose_name_plural = _("performance settings")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="performance_settings_singleton",
                                   violation_error_message=_("There is one settings row.")),
            models.CheckConstraint(
                condition=Q(achieved_low__lte=models.F("achieved_high"))
                & Q(partial_low__lte=models.F("partial_high"))
                & Q(failed_low__lte=models.F("failed_high"))
                & Q(failed_low__gte=0) & Q(achieved_high__lte=100),
                name="performance_bands_ordered",
                violation_error_message=_("Each band runs from its lowest to its highest "
                                          "share, within 0–100 %.")),
        ]

    def __str__(self):
        return str(_("performance settings"))

    @classmethod
    def get(cls) -> PerformanceSettings:
        return cls.objects.filter(pk=1).first() or cls(pk=1)


class TargetSheet(models.Model):
    """绩效目标表 of a fund year: the county's (no township) or a township's, its overall
    goal and indicators; monitored mid-year, then scored and filed as the 自评."""

    fund_year = models.ForeignKey(FundYear, verbose_name=_("fund year"),
                                  on_delete=models.PROTECT, related_name="target_sheets")
    township = models.ForeignKey("townships.Township", verbose_name=_("township"), null=True,
                                 blank=True, on_delete=models.PROTECT,
                                 related_name="target_sheets")
    goal = models.TextField(_("overall goal of the year (年度总体目标)"))
    achieved = models.TextField(_("what was achieved (实际完成情况)"), blank=True)
    budget_date = models.DateField(
        _("budget approved on"), null=True, blank=True,
        help_text=_("预算批复日期: the issuing of the funds is timed from it."))
    initial_budget = models.DecimalField(_("initial budget (年初预算数, yuan)"), **MONEY)
    monitoring_measures = models.TextField(_("corrective measures (监控纠偏措施)"), blank=True)
    filed_at = models.DateTimeField(_("filed at"), null=True, blank=True)
    # what the score was computed from when filed (the year's budget and execution, the
    # scoring settings): a filed sheet is scored from these, not from today's records
    filed_figures = models.JSONField(_("figures as filed"), default=dict, blank=True,
                                     editable=False)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("filed by"),
                                 null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")

    class Meta:
        verbose_name = _("performance target sheet")
        verbose_name_plural = _("performance target sheets")
        ordering = ["-fund_year__year", "township__code"]
        permissions = [("file_self_evaluation",
                        _("Can file and reopen a performance self-evaluation"))]
        constraints = [
            models.UniqueConstraint(fields=["fund_year", "township"],
                                    name="one_target_sheet_per_township_year",
                                    violation_error_message=_("This sheet exists.")),
            models.UniqueConstraint(fields=["fund_year"], condition=Q(township__isnull=True),
                                    name="one_county_target_sheet_per_year",
                                    violation_error_message=_("This sheet exists.")),
        ]

    def __str__(self):
        return f"{self.fund_year.year} {self.township or ''}".strip()

    @property
    def is_filed(self) -> bool:
        return self.filed_at is not None


class Indicator(models.Model):
    """One row of a target sheet: 一级/二级 level, name, direction, target and unit,
    weight; its actual, computed from the records (``source``) or entered with evidence;
    for a qualitative one, the answer and the share of the weight in its band."""

    class Level1(models.TextChoices):
        OUTPUT = "output", _("Output indicators")
        BENEFIT = "benefit", _("Benefit indicators")
        SATISFACTION = "satisfaction", _("Satisfaction indicators")

    class Level2(models.TextChoices):
        QUANTITY = "quantity", _("Quantity")
        QUALITY = "quality", _("Quality")
        TIMELINESS = "timeliness", _("Timeliness")
        COST = "cost", _("Cost")
        ECONOMIC = "economic", _("Economic benefit")
        SOCIAL = "social", _("Social benefit")
        ECOLOGICAL = "ecological", _("Ecological benefit")
        SUSTAINABLE = "sustainable", _("Sustainable impact")
        SATISFACTION = "satisfaction", _("Satisfaction of those served")

    class Direction(models.TextChoices):
        GE = ">=", "≥"
        LE = "<=", "≤"
        EQ = "=", "="
        QUALITATIVE = "qualitative", _("qualitative")

    class Answer(models.TextChoices):
        ACHIEVED = "achieved", _("Achieved the year's target")
        PARTIAL = "partial", _("Partly achieved, with some effect")
        FAILED = "failed", _("Not achieved, with poor effect")

    sheet = models.ForeignKey(TargetSheet, verbose_name=_("target sheet"),
                              on_delete=models.CASCADE, related_name="indicators")
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    level1 = models.CharField(_("level 1"), max_length=12, choices=Level1.choices)
    level2 = models.CharField(_("level 2"), max_length=12, choices=Level2.choices)
    name = models.CharField(_("indicator (三级指标)"), max_length=100)
    direction = models.CharField(_("direction"), max_length=12, choices=Direction.choices)
    target = models.DecimalField(_("target value"), max_digits=14, decimal_places=2,
                                 null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=12, blank=True)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0"))])
    source = models.CharField(_("computed from"), max_length=30, blank=True,
                              help_text=_("Filled from the records when set."))
    actual = models.DecimalField(_("actual value"), max_digits=14, decimal_places=2,
                                 null=True, blank=True)
    answer = models.CharField(_("answer"), max_length=10, choices=Answer.choices, blank=True)
    percent = models.DecimalField(_("share of the weight in its band (percent)"), max_digits=5,
                                  decimal_places=2, null=True, blank=True)
    applicable = models.BooleanField(_("applies"), default=True)
    deviation_reason = models.TextField(_("deviation and measures (偏差原因分析及改进措施)"),
                                        blank=True)
    evidence = models.FileField(_("evidence"), upload_to="performance/%Y/", blank=True)

    class Meta:
        verbose_name = _("performance indicator")
        verbose_name_plural = _("performance indicators")
        ordering = ["sheet", "position", "id"]

    def __str__(self):
        return self.name


# --- Upward reporting (issue 28): what an upper-level instance holds --------------------


class OrgUnit(models.Model):
    """A unit of the hierarchy an upper-level instance reports on, by its official code
    (GB/T 2260 for provinces, cities and counties; the 统计用区划代码 for townships).
    Loaded from a file (``manage.py orgunits_load``); townships arrive with their
    counties' data value sets, with their names and years of validity."""

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("province")
        CITY = 2, _("city")
        COUNTY = 3, _("county")
        TOWNSHIP = 4, _("township")

    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=50)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    parent = models.ForeignKey("self", verbose_name=_("parent"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    valid_from = models.PositiveSmallIntegerField(_("valid from"), null=True, blank=True)
    valid_to = models.PositiveSmallIntegerField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        ordering = ["code"]
        permissions = [
            ("view_upper_dashboard", _("Can see the upper level's dashboard")),
        ]

    def __str__(self):
        return f"{self.name}（{self.code}）"

    def in_service(self, year: int) -> bool:
        """Whether the unit exists in ``year`` (mergers and new counties change codes)."""
        return ((self.valid_from is None or self.valid_from <= year)
                and (self.valid_to is None or self.valid_to >= year))


class ApiKey(models.Model):
    """A machine client's key (a county instance pushing its sets), scoped to one org
    unit, with an expiry. Only its SHA-256 is stored; the key is shown once."""

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, unique=True)
    digest = models.CharField(_("SHA-256 of the key"), max_length=64)
    org_unit = models.ForeignKey(OrgUnit, verbose_name=_("org unit"), on_delete=models.PROTECT,
                                 related_name="api_keys")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("revoked by"),
                                   null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def is_valid(self, now=None) -> bool:
        return self.revoked_at is None and self.expires_at > (now or timezone.now())


class Submission(models.Model):
    """A county's report of a period at the upper level: its state (completeness apart
    from the values) and the upper level's decision."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", pgettext_lazy("a county's report", "Submitted")
        NOTHING = "nothing", _("Nothing to report")
        ACCEPTED = "accepted", _("Accepted")
        RETURNED = "returned", _("Returned")

    org_unit = models.ForeignKey(OrgUnit, verbose_name=_("org unit"), on_delete=models.PROTECT,
                                 related_name="submissions")
    period = models.PositiveSmallIntegerField(
        _("period"), validators=[MinValueValidator(YEAR_MIN), MaxValueValidator(YEAR_MAX)])
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    sha256 = models.CharField(_("SHA-256 of the values"), max_length=64, blank=True)
    value_count = models.PositiveIntegerField(_("values"), default=0)
    generated = models.CharField(_("generated at the source"), max_length=40, blank=True)
    received_at = models.DateTimeField(_("received at"))
    received_from = models.CharField(_("received from"), max_length=120, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"),
                                   null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        ordering = ["period", "org_unit__code"]
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "period"], name="submission_once"),
        ]
        permissions = [
            ("decide_submission", _("Can accept or return a county's submission")),
        ]

    def __str__(self):
        return f"{self.org_unit} {self.period}"


class DataValue(models.Model):
    """One value of a submission: a data element for a township (the period is the
    submission's). Amounts in yuan, counts as whole numbers; no rate is stored."""

    submission = models.ForeignKey(Submission, verbose_name=_("submission"),
                                   on_delete=models.CASCADE, related_name="values")
    data_element = models.CharField(_("data element"), max_length=20)
    org_unit = models.ForeignKey(OrgUnit, verbose_name=_("org unit"), on_delete=models.PROTECT,
                                 related_name="+")
    category_option_combo = models.CharField(_("category option combo"), max_length=10)
    value = models.DecimalField(_("value"), max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("data value")
        verbose_name_plural = _("data values")
        constraints = [
            models.UniqueConstraint(fields=["submission", "data_element", "org_unit"],
                                    name="datavalue_once"),
        ]

    def __str__(self):
        return f"{self.data_element} {self.org_unit_id} {self.value}"


class SubmissionTotal(models.Model):
    """A submission's sum of one data element and category, with the count of its values,
    written with the values in the same transaction: the dashboards read these few rows per
    county, not every township's values, so they stay flat at any size."""

    submission = models.ForeignKey(Submission, verbose_name=_("submission"),
                                   on_delete=models.CASCADE, related_name="totals")
    data_element = models.CharField(_("data element"), max_length=20)
    category_option_combo = models.CharField(_("category option combo"), max_length=10)
    total = models.DecimalField(_("total"), max_digits=18, decimal_places=2)
    count = models.PositiveIntegerField(_("values"))

    class Meta:
        verbose_name = _("submission total")
        verbose_name_plural = _("submission totals")
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "data_element", "category_option_combo"],
                name="submissiontotal_once"),
        ]

    def __str__(self):
        return f"{self.submission_id} {self.data_element} {self.total}"
