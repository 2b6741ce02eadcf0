from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from townships.models import YEAR_MAX, YEAR_MIN, Category
from wanyuan.money import to_yuan

MONEY = {"max_digits": 14, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


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
    floor_on_top = models.BooleanField(
        _("floor added on top of the standard"), default=True,
        help_text=_("Off: the floor is only a minimum, a township gets the larger of the two."),
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
                & Q(standard_third__gte=0) & Q(large_spending_threshold__gte=0),
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

        On top (the source's reading): the full floor. Otherwise the floor is a minimum
        and this is only the top-up that lifts a lower standard to it. A township without
        a category gets nothing until an administrator sets one.
        """
        if not category:
            return to_yuan(0)
        floor = to_yuan(self.floor_amount)
        if self.floor_on_top:
            return floor
        return max(to_yuan(0), floor - self.standard_for(category))

    def allocation_for(self, category: int | None) -> Decimal:
        return self.standard_for(category) + self.floor_for(category)

    @property
    def standards(self) -> dict[int, Decimal]:
        return {c: self.standard_for(c) for c in Category.values}
