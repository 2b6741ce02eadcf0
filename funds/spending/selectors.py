"""Reads of the spending loop that return plain data for pages."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, Max, OuterRef, Q, Subquery

from funds.budget.selectors import TownshipBudget, adopted_total, allocation_of, cents_sum
from funds.models import (
    SPENT_STATUSES,
    Expenditure,
    ExpenditureTransition,
    Finding,
    FundYear,
    Voucher,
)
from townships.models import TownshipCategory

Status = Expenditure.Status


@dataclass(frozen=True)
class ClerkTodo:
    """What a township clerk has to do now, oldest first in each list."""

    drafts: list[Expenditure]
    returned: list[Expenditure]  # each with ``return_note``: why it came back
    waiting: list[Expenditure]  # submitted, waiting for the county's approval
    findings: list[Finding]  # open inspection findings (``is_overdue`` flags the late)

    @property
    def count(self) -> int:
        return len(self.drafts) + len(self.returned) + len(self.findings)


def clerk_todo_get(*, township, year: int) -> ClerkTodo:
    """A township's open work in a year, in two queries."""
    return_note = (ExpenditureTransition.objects
                   .filter(expenditure=OuterRef("pk"), to_status=Status.RETURNED)
                   .order_by("-at", "-id").values("note")[:1])
    open_items = list(
        Expenditure.objects.filter(township=township, year=year,
                                   status__in=[Status.DRAFT, Status.RETURNED, Status.SUBMITTED])
        .select_related("category").annotate(return_note=Subquery(return_note))
        .order_by("date", "id"))
    findings = list(Finding.objects.filter(township=township, closed_at__isnull=True)
                    .select_related("inspection").order_by("deadline", "id"))
    return ClerkTodo(
        drafts=[e for e in open_items if e.status == Status.DRAFT],
        returned=[e for e in open_items if e.status == Status.RETURNED],
        waiting=[e for e in open_items if e.status == Status.SUBMITTED],
        findings=findings,
    )


def approval_queue_list():
    """The expenditures waiting for approval, each with when it was submitted and
    whether its invoice is attached (``has_invoice``)."""
    return (
        Expenditure.objects.filter(status=Status.SUBMITTED)
        .select_related("township", "category", "submitted_by")
        .annotate(submitted_at=Max("transitions__at",
                                   filter=Q(transitions__to_status=Status.SUBMITTED)),
                  has_invoice=Exists(Voucher.objects.filter(expenditure=OuterRef("pk"),
                                                            kind=Voucher.Kind.INVOICE)))
    )


def remaining_budget_list(pairs) -> dict[tuple[int, int], Decimal]:
    """What is left of the budget of each (township id, year), in three queries whatever
    their number: the flags of a page of the approval queue."""
    pairs = set(pairs)
    if not pairs:
        return {}
    townships, years = {t for t, _y in pairs}, {y for _t, y in pairs}
    fund_years = {fy.year: fy for fy in FundYear.objects.filter(year__in=years)}
    categories = {(t, y): (c, line) for t, y, c, line in TownshipCategory.objects.filter(
        township__in=townships, year__in=years).annotate(line=adopted_total())
        .values_list("township", "year", "category", "line")}
    cents = {(t, y, status): n for t, y, status, n in (
        Expenditure.objects.filter(township__in=townships, year__in=years,
                                   status__in=SPENT_STATUSES)
        .order_by().values("township", "year", "status").annotate(n=cents_sum())
        .values_list("township", "year", "status", "n"))}
    return {(t, y): TownshipBudget.of_row(allocation_of(fund_years[y],
                                                        *categories.get((t, y), (None, None))),
                                          cents.get((t, y, Status.APPROVED)),
                                          cents.get((t, y, Status.REIMBURSED))).remaining
            for t, y in pairs if y in fund_years}
