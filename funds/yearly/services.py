"""Writes on fund years, and the reclassification as seen from the money side."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from funds.budget.selectors import BudgetCheck, budget_check_from_counts
from funds.models import FundYear
from townships import services as township_services
from townships.audit import acting
from townships.models import Reclassification
from townships.rules import Result
from townships.services import ReclassificationError


@dataclass(frozen=True)
class ReclassificationPreview:
    fund_year: FundYear
    result: Result
    next_fund_year: FundYear
    next_year_is_new: bool
    budget_before: BudgetCheck
    budget_after: BudgetCheck
    already_applied: Reclassification | None

    @property
    def can_apply(self) -> bool:
        return self.result.ok and self.already_applied is None


def _next_fund_year(fund_year: FundYear) -> tuple[FundYear, bool]:
    """Year+1's settings: the stored ones, or a copy of this year's (not saved)."""
    existing = FundYear.objects.filter(year=fund_year.year + 1).first()
    if existing:
        return existing, False
    copy = FundYear(
        year=fund_year.year + 1,
        floor_amount=fund_year.floor_amount,
        special_fund=fund_year.special_fund,
        standard_first=fund_year.standard_first,
        standard_second=fund_year.standard_second,
        standard_third=fund_year.standard_third,
        floor_mode=fund_year.floor_mode,
        reserve=fund_year.reserve,
        promote_count=fund_year.promote_count,
        demote_count=fund_year.demote_count,
        large_spending_threshold=fund_year.large_spending_threshold,
        is_illustrative=fund_year.is_illustrative,
        notes=_("Created by the %(year)s reclassification with %(year)s's amounts.")
        % {"year": fund_year.year},
    )
    return copy, True


def reclassification_preview(*, fund_year: FundYear) -> ReclassificationPreview:
    result = township_services.reclassification_preview(
        year=fund_year.year,
        promote_count=fund_year.promote_count,
        demote_count=fund_year.demote_count,
    )
    next_year, is_new = _next_fund_year(fund_year)
    return ReclassificationPreview(
        fund_year=fund_year,
        result=result,
        next_fund_year=next_year,
        next_year_is_new=is_new,
        budget_before=budget_check_from_counts(next_year, result.counts_before),
        budget_after=budget_check_from_counts(next_year, result.counts_after),
        already_applied=Reclassification.objects.filter(
            year=fund_year.year, reverted_at__isnull=True
        ).first(),
    )


def reclassification_apply(*, year: int, acting_user) -> Reclassification:
    """Apply the year's ranking to year+1, creating year+1's fund year if needed."""
    with transaction.atomic():
        # Serialises concurrent applications of the same year on PostgreSQL; the
        # partial unique constraint on Reclassification catches the rest.
        fund_year = FundYear.objects.select_for_update().filter(year=year).first()
        if fund_year is None:
            raise ReclassificationError(_("There is no fund year %(year)s.") % {"year": year})
        record = township_services.reclassification_apply(
            year=year,
            promote_count=fund_year.promote_count,
            demote_count=fund_year.demote_count,
            acting_user=acting_user,
        )
        next_year, is_new = _next_fund_year(fund_year)
        if is_new:
            with acting(acting_user):  # its creation is audited with who caused it
                next_year.save()
        return record
