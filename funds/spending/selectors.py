"""Reads of the spending loop that return plain data for pages."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import OuterRef, Subquery

from funds.models import Expenditure, ExpenditureTransition, Finding

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
