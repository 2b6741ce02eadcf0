"""Reads of the planner: a year's plan input, its scenarios, their comparison."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F

from funds.budget.selectors import allocation_list
from funds.models import SPENT_STATUSES, Expenditure, FundYear, PlanLine, PlanScenario
from funds.planning import rules
from townships import services as township_services
from townships.models import Township


@dataclass(frozen=True)
class PlanInput:
    """What a plan divides: the townships in service in the year with their category —
    the applied ones, or the pending reclassification preview's when the year has none
    yet — and the year's money settings."""

    fund_year: FundYear
    townships: list[tuple[int, int | None]]
    from_preview: bool


def plan_input_get(*, fund_year: FundYear) -> PlanInput:
    rows = list(Township.objects.in_service_with_year(fund_year.year).order_by("code")
                .values_list("pk", "year_category__category"))
    if rows and all(category is None for _pk, category in rows):
        previous = FundYear.objects.filter(year=fund_year.year - 1).first()
        if previous is not None:
            result = township_services.reclassification_preview(
                year=previous.year, promote_count=previous.promote_count,
                demote_count=previous.demote_count)
            if result.ok:
                new = {d.key: d.new_category for d in result.decisions}
                return PlanInput(fund_year, [(pk, new.get(pk)) for pk, _c in rows], True)
    return PlanInput(fund_year, rows, False)


def plan_parameters_get(*, fund_year: FundYear, **overrides) -> rules.Parameters:
    """The rule's parameters from the year's settings, with what a scenario changes."""
    values = {
        "fund": fund_year.special_fund, "floor": fund_year.floor_amount,
        "floor_mode": fund_year.floor_mode, "reserve": fund_year.reserve,
        "standards": {1: fund_year.standard_first, 2: fund_year.standard_second,
                      3: fund_year.standard_third},
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    return rules.Parameters(**values)


def scenario_list(*, fund_year: FundYear):
    return (PlanScenario.objects.filter(fund_year=fund_year)
            .select_related("created_by").order_by("id"))


def year_has_spending(*, year: int) -> bool:
    """Whether money has been approved or reimbursed against the year."""
    return Expenditure.objects.filter(year=year, status__in=SPENT_STATUSES).exists()


@dataclass(frozen=True)
class ComparisonRow:
    code: str
    name: str
    category: int | None
    current: Decimal  # this year's allocation as it stands
    previous: Decimal | None  # Y−1's allocation of the township
    amounts: list[Decimal | None]  # one per scenario

    def changes(self) -> list[Decimal | None]:
        base = self.previous
        return [None if a is None or base is None else a - base for a in self.amounts]

    @property
    def cells(self) -> list[tuple[Decimal | None, Decimal | None]]:
        """(amount, change against Y−1) per scenario."""
        return list(zip(self.amounts, self.changes(), strict=True))


@dataclass(frozen=True)
class Comparison:
    fund_year: FundYear
    scenarios: list[PlanScenario]
    rows: list[ComparisonRow]

    def by_category(self) -> list[dict[int, Decimal]]:
        """Per scenario, what each category's townships receive in all."""
        totals = [{c: Decimal("0.00") for c in rules.CATEGORIES} for _s in self.scenarios]
        for row in self.rows:
            for i, amount in enumerate(row.amounts):
                if amount is not None and row.category in totals[i]:
                    totals[i][row.category] += amount
        return totals


def comparison_get(*, fund_year: FundYear, scenarios: list[PlanScenario]) -> Comparison:
    """Two to four scenarios side by side, per township, with Y−1's allocation.

    Three queries whatever the number of townships: this year's allocation rows, the
    scenarios' lines, Y−1's allocation rows.
    """
    current = list(allocation_list(fund_year=fund_year).order_by("code").values_list(
        "pk", "code", "name", "category", "total_amount"))
    index = {s.pk: i for i, s in enumerate(scenarios)}
    amounts: dict[int, list] = {pk: [None] * len(scenarios) for pk, *_rest in current}
    for scenario_id, township_id, total in PlanLine.objects.filter(
            scenario__in=scenarios).values_list("scenario", "township", "total"):
        if township_id in amounts:
            amounts[township_id][index[scenario_id]] = total
    previous_year = FundYear.objects.filter(year=fund_year.year - 1).first()
    previous = {}
    if previous_year is not None:
        previous = dict(allocation_list(fund_year=previous_year)
                        .values_list("pk", F("total_amount")))
    rows = [ComparisonRow(code, name, category, total, previous.get(pk), amounts[pk])
            for pk, code, name, category, total in current]
    return Comparison(fund_year, list(scenarios), rows)
