"""The one rule of every door into a year's numbers (issue 23, item 7).

The settings page, the admin's fund year, a plan's adoption, a category's edit and a
category import all change what townships are allocated. Each asks this module which
townships the change would leave with a remaining budget below zero (remaining =
allocation − approved − reimbursed spending, as ``TownshipBudget.remaining``), and by how
much; such a change is refused unless it is confirmed, with a reason, and the reason and
the townships go into its audit event.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.utils.translation import gettext as _

from funds.budget.selectors import TownshipBudget, allocation_list, cents_sum
from funds.models import SPENT_STATUSES, Expenditure, FundYear
from townships.models import Township
from wanyuan.money import cents_to_yuan, format_wan, to_yuan


@dataclass(frozen=True)
class Overdrawn:
    """A township that a proposed change leaves below zero."""

    code: str
    name: str
    allocation: Decimal  # as proposed
    spent: Decimal  # approved and reimbursed

    @property
    def remaining(self) -> Decimal:
        return self.allocation - self.spent

    def text(self) -> str:
        return _("%(name)s: %(remaining)s (10k yuan) remaining") % {
            "name": self.name, "remaining": format_wan(self.remaining)}


def overdrawn_list(year: int, proposed: dict[int, Decimal],
                   current: dict[int, Decimal] | None = None) -> list[Overdrawn]:
    """The townships of ``proposed`` (township id → new allocation in yuan) whose remaining
    budget of ``year`` would be below zero, where the change lowers their allocation
    (``current``: the allocations now; without it, every township below zero counts).
    One query for the spending, one for the townships' names.

    Inside a transaction (a write), the lowered townships' rows are locked first, in
    ascending order, with the lock every spending write takes first (``FOR NO KEY
    UPDATE``, funds.spending.services._lock_township): an approval in progress ends
    before the spending is read, and one that starts meanwhile waits for this change and
    then reads the lowered allocation."""
    lowered = {pk: to_yuan(amount) for pk, amount in proposed.items()
               if current is None or to_yuan(amount) < to_yuan(current.get(pk))}
    if not lowered:
        return []
    if connection.in_atomic_block:
        list(Township.objects.select_for_update(no_key=True).filter(pk__in=lowered)
             .order_by("pk").values_list("pk", flat=True))
    spent = dict(Expenditure.objects.filter(year=year, township_id__in=lowered,
                                            status__in=SPENT_STATUSES)
                 .order_by().values("township_id").annotate(cents=cents_sum())
                 .values_list("township_id", "cents"))
    # below zero: the spending is more than the budget covers (TownshipBudget's rule)
    below = {pk: cents_to_yuan(cents) for pk, cents in spent.items()
             if TownshipBudget(lowered[pk], cents_to_yuan(cents), Decimal("0.00")).exceeded_by()}
    if not below:
        return []
    return [Overdrawn(t.code, t.name, lowered[t.pk], below[t.pk])
            for t in Township.objects.filter(pk__in=below).order_by("code")]


def allocations_of(fund_year: FundYear) -> dict[int, Decimal]:
    """Every township's allocation under a fund year's settings, saved or not (the one
    definition: ``allocation_list``)."""
    return dict(allocation_list(fund_year=fund_year).values_list("pk", "total_amount"))


def overdrawn_by_settings(stored: FundYear, values: dict,
                          adopted_scenario_id: int | None | str = "keep") -> list[Overdrawn]:
    """What saving ``values`` over the stored fund year (and, if given, adopting another
    plan) would leave below zero."""
    after = copy.copy(stored)
    for name, value in values.items():
        setattr(after, name, value)
    if adopted_scenario_id != "keep":
        after.adopted_scenario_id = adopted_scenario_id
    return overdrawn_list(stored.year, allocations_of(after), allocations_of(stored))


class OverdrawRefused(Exception):
    """A change that leaves townships below zero, not confirmed with a reason."""

    def __init__(self, overdrawn: list[Overdrawn]):
        self.overdrawn = overdrawn
        super().__init__(refusal_text(overdrawn))


def refusal_text(overdrawn: list[Overdrawn]) -> str:
    return _("This change leaves townships below zero: %(townships)s. Confirm it and give "
             "a reason to save it all the same.") % {
        "townships": _("; ").join(o.text() for o in overdrawn)}


def overdraw_confirm(overdrawn: list[Overdrawn], *, reason: str = "",
                     confirmed: bool = False) -> dict:
    """Refuse a change that leaves townships below zero unless it is confirmed with a
    reason; return what its audit event records (nothing when no township goes below)."""
    if not overdrawn:
        return {}
    reason = (reason or "").strip()
    if not (confirmed and reason):
        raise OverdrawRefused(overdrawn)
    return {"overdrawn": [{"code": o.code, "name": o.name,
                           "allocation": f"{o.allocation:.2f}", "spent": f"{o.spent:.2f}",
                           "remaining": f"{o.remaining:.2f}"} for o in overdrawn],
            "overdraw_reason": reason, "overdraw_confirmed": True}


def category_change_check(*, year: int, categories: dict[int, int], reason: str = "",
                          confirmed: bool = False) -> dict:
    """The rule for a change of categories (a township's page, the admin, an import):
    registered with townships.services.CATEGORY_CHANGE_CHECKS. Refuses (ValidationError)
    a change that leaves townships below zero unless confirmed with a reason; returns
    what the change's record keeps, with ``text`` for the category history."""
    from django.core.exceptions import ValidationError

    from funds.models import PlanLine
    from townships.audit import stored_text

    fund_year = FundYear.objects.filter(year=year).first()
    if fund_year is None or not categories:
        return {}
    current = dict(allocation_list(fund_year=fund_year).filter(pk__in=categories)
                   .values_list("pk", "total_amount"))
    lines = {}
    if fund_year.adopted_scenario_id is not None:
        lines = {pk: (category, total) for pk, category, total in PlanLine.objects.filter(
            scenario=fund_year.adopted_scenario_id, township_id__in=categories)
            .values_list("township_id", "category", "total")}
    proposed = {}
    for pk, category in categories.items():
        line_category, line_total = lines.get(pk, (None, None))
        proposed[pk] = (to_yuan(line_total) if line_total is not None
                        and line_category == category else fund_year.allocation_for(category))
    overdrawn = overdrawn_list(year, proposed, current)
    try:
        note = overdraw_confirm(overdrawn, reason=reason, confirmed=confirmed)
    except OverdrawRefused as exc:
        raise ValidationError(str(exc)) from exc
    if note:
        note["text"] = stored_text(lambda: _("(leaves townships below zero, confirmed: "
                                             "%(townships)s)") % {
            "townships": _("; ").join(o.text() for o in overdrawn)})
    return note
