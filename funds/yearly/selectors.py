"""Reads of the yearly cycle: where a year stands in the county's calendar."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _

from funds.models import FundYear
from townships.models import AssessmentResult, AuditEvent, Reclassification


@dataclass(frozen=True)
class Step:
    """One step of the yearly calendar: what, whether it is done, where to do it."""

    label: str
    done: bool
    detail: str = ""
    url: str = ""
    permission: str = ""
    #: the earlier year whose calendar the step belongs to, when it is carried over
    carried_from: int | None = None


def yearly_step_list(*, fund_year: FundYear) -> list[Step]:
    """The county's year in order (DOCUMENTS.md, "The year, as the county works it"),
    each step done or not from the records: the first step not done is the next one.

    A step of the year before that is still open comes first, marked as carried over:
    applying the reclassification creates this year, and its plan and notice (the last
    steps of the year before) are still to do (issue 25, item 9)."""
    previous = FundYear.objects.filter(year=fund_year.year - 1).first()
    carried = []
    if previous is not None:
        carried = [dataclasses.replace(step, carried_from=previous.year)
                   for step in _steps_of(previous) if not step.done]
    return carried + _steps_of(fund_year)


def _steps_of(fund_year: FundYear) -> list[Step]:
    year, target = fund_year.year, fund_year.year + 1
    ranked = AssessmentResult.objects.filter(year=year).count()
    applied = Reclassification.objects.filter(year=year, reverted_at__isnull=True).first()
    next_year = FundYear.objects.filter(year=target).first()
    return [
        Step(_("Settings of %(year)s: fund, floor, standards") % {"year": year}, True,
             url=reverse("fund-year-settings", args=[year]), permission="funds.change_fundyear"),
        Step(_("Assessment ranking of %(year)s imported") % {"year": year}, bool(ranked),
             _("%(n)s townships ranked.") % {"n": ranked} if ranked else "",
             url=reverse("rankings-import", args=[year]), permission="townships.import_rankings"),
        Step(_("Reclassification applied: the categories of %(target)s")
             % {"target": target}, applied is not None,
             url=reverse("reclassification", args=[year]),
             permission="townships.apply_reclassification"),
        Step(_("Fund year %(year)s set up") % {"year": target}, next_year is not None,
             url=reverse("fund-year-settings", args=[target]) if next_year else "",
             permission="funds.change_fundyear"),
        Step(_("Allocation plan of %(year)s adopted") % {"year": target},
             bool(next_year and next_year.adopted_scenario_id),
             url=reverse("plan-list", args=[target]) if next_year else "",
             permission="funds.adopt_allocation_plan"),
        Step(_("Notice issuing the %(year)s funds generated") % {"year": target},
             AuditEvent.objects.filter(action=AuditEvent.Action.DOCUMENT_GENERATED,
                                       year=target, details__kind="notice").exists(),
             url=reverse("documents", args=[target]) if next_year else "",
             permission="funds.generate_documents"),
    ]


def first_open_step(steps: list[Step]) -> Step | None:
    return next((step for step in steps if not step.done), None)
