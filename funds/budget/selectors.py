"""Reads that span townships and fund years: allocations and the budget check."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DecimalField,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Round

from funds.models import SPENT_STATUSES, FloorMode, FundYear, PlanLine
from townships.models import (
    Category,
    Township,
    TownshipCategory,
)
from wanyuan.money import cents_to_yuan, rate, to_yuan

MONEY = DecimalField(max_digits=14, decimal_places=2)


def _by_category(amount_for) -> Case:
    """An amount per category as a SQL expression, so that tables sort on it."""
    return Case(*[When(category=c, then=Value(amount_for(c), output_field=MONEY))
                  for c in Category.values],
                default=Value(Decimal("0.00"), output_field=MONEY), output_field=MONEY)


def _line_or_formula(field: str, amount_for) -> Case:
    """A township's amount: its line of the year's adopted plan when the line was
    computed for the category the township has now, else the category's formula."""
    return Case(When(adopted_line__category=F("category"),
                     then=F(f"adopted_line__{field}")),
                default=_by_category(amount_for), output_field=MONEY)


def townships_with_category(year: int):
    """Townships in service in the year, each with its ``category`` of the year (None when
    it has none) and the joins of ``Township.objects.in_service_with_year``: the rows every
    count per category and every allocation start from."""
    return Township.objects.in_service_with_year(year).annotate(
        category=F("year_category__category"))


def allocation_list(*, fund_year: FundYear):
    """Townships in service in the year with category, rank, score and amounts.

    One query whatever the number of townships; the year's category and result are the
    LEFT JOINs of ``Township.objects.in_service_with_year``. The standard, floor and
    total are annotated so that the table sorts on money in the database (the floor
    sorts apart from the standard: as a minimum it shrinks as the standard grows).

    This is the one definition of what each township gets: the formula of its category
    (``FundYear.allocation_for``), or, in a year with an adopted plan
    (``FundYear.adopted_scenario``), the plan's line (one more LEFT JOIN): scale and
    ladder give townships of one category amounts that differ by one rounding unit.
    """
    rows = townships_with_category(fund_year.year).annotate(
        category_source=F("year_category__source"),
        rank=F("year_result__rank"),
        score=F("year_result__score"),
    )
    if fund_year.adopted_scenario_id is None:
        return rows.annotate(standard_amount=_by_category(fund_year.standard_for),
                             floor_amount=_by_category(fund_year.floor_for),
                             total_amount=_by_category(fund_year.allocation_for))
    return rows.annotate(
        adopted_line=FilteredRelation(
            "plan_lines", condition=Q(plan_lines__scenario=fund_year.adopted_scenario_id)),
    ).annotate(standard_amount=_line_or_formula("standard", fund_year.standard_for),
               floor_amount=_line_or_formula("floor", fund_year.floor_for),
               total_amount=_line_or_formula("total", fund_year.allocation_for))


def adopted_total(township_ref="township", year_ref="year", category_ref="category"):
    """The total of a township's line in its year's adopted plan, for its category now:
    a subquery, None when the year has no adopted plan (see :func:`allocation_list`)."""
    return Subquery(
        PlanLine.objects.filter(
            township=OuterRef(township_ref), category=OuterRef(category_ref),
            scenario__fund_year__year=OuterRef(year_ref),
            scenario__fund_year__adopted_scenario=F("scenario"))
        .values("total")[:1], output_field=MONEY)


def allocation_of(fund_year: FundYear, category: int | None, line_total) -> Decimal:
    """A township's allocation from its category and its adopted line's total (or None)."""
    return to_yuan(line_total) if line_total is not None else fund_year.allocation_for(category)


@dataclass(frozen=True)
class BudgetCheck:
    """The year's money: standards against the special fund, floors, grand total."""

    year: int
    counts: dict[int, int]
    uncategorised: int
    standards_total: Decimal
    special_fund: Decimal
    floors_total: Decimal
    grand_total: Decimal
    reserve: Decimal = Decimal("0.00")
    floor_mode: str = FloorMode.ELSEWHERE
    #: what each category's townships receive, floors included (from an adopted plan's
    #: lines); None: the category's formula times its count
    category_totals: dict[int, Decimal] | None = None
    #: the sum as a reader follows it: per category (count, standard each or None when
    #: an adopted plan's lines differ, standards in all), and the floor of one township
    standard_lines: tuple[tuple[int, int, Decimal | None, Decimal], ...] = ()
    floor_each: Decimal | None = None

    @property
    def township_count(self) -> int:
        return sum(self.counts.values()) + self.uncategorised

    @property
    def categorised_count(self) -> int:
        """Those who get a floor: a township without a category gets nothing yet."""
        return sum(self.counts.values())

    @property
    def fund_available(self) -> Decimal:
        """The special fund less the reserve (预留)."""
        return self.special_fund - self.reserve

    @property
    def fund_covered(self) -> Decimal:
        """What the fund must pay: the standards when the floors are paid from elsewhere,
        standards and floors otherwise (as a minimum, the floors are the top-ups)."""
        return (self.standards_total if self.floor_mode == FloorMode.ELSEWHERE
                else self.grand_total)

    @property
    def difference(self) -> Decimal:
        """The fund available minus what it must pay: positive is a surplus, negative a
        shortfall."""
        return self.fund_available - self.fund_covered

    @property
    def shortfall(self) -> Decimal:
        return max(Decimal("0.00"), -self.difference)

    @property
    def surplus(self) -> Decimal:
        return max(Decimal("0.00"), self.difference)

    def allocations_by_category(self, fund_year: FundYear) -> dict[int, Decimal]:
        """What each category's townships receive in all, floors included: the figure of
        the overview's cards and of its chart alike."""
        if self.category_totals is not None:
            return dict(self.category_totals)
        return {c: fund_year.allocation_for(c) * n for c, n in self.counts.items()}


def budget_check_from_counts(fund_year: FundYear, counts: dict[int | None, int],
                             sums: dict | None = None) -> BudgetCheck:
    """Totals from counts per category: exact Decimal sums, independent of the database.

    ``sums`` ({category: (standards, floors)} in yuan) are the summed lines of an adopted
    plan (:func:`category_sums`); without them each category costs its formula.
    """
    per_category = {c: counts.get(c, 0) for c in Category.values}
    uncategorised = sum(n for c, n in counts.items() if c not in Category.values)
    if sums is None:
        amounts = {c: (fund_year.standard_for(c) * n, fund_year.floor_for(c) * n)
                   for c, n in per_category.items()}
    else:
        amounts = {c: sums.get(c, (Decimal("0.00"), Decimal("0.00"))) for c in Category.values}
    standards = sum((s for s, _f in amounts.values()), Decimal("0.00"))
    floors = sum((f for _s, f in amounts.values()), Decimal("0.00"))
    return BudgetCheck(
        year=fund_year.year,
        counts=per_category,
        uncategorised=uncategorised,
        standards_total=to_yuan(standards),
        special_fund=to_yuan(fund_year.special_fund),
        floors_total=to_yuan(floors),
        grand_total=to_yuan(standards + floors),
        reserve=to_yuan(fund_year.reserve),
        floor_mode=fund_year.floor_mode,
        category_totals=None if sums is None else {
            c: to_yuan(s + f) for c, (s, f) in amounts.items()},
        standard_lines=tuple(
            (c, n, fund_year.standard_for(c) if sums is None else None,
             to_yuan(amounts[c][0])) for c, n in per_category.items() if n),
        floor_each=to_yuan(fund_year.floor_amount)
        if sums is None and fund_year.floor_mode != FloorMode.MINIMUM else None,
    )


def category_counts(rows) -> dict[int | None, int]:
    """Townships per category (None: in service without one) of rows that carry a
    ``category``: a year's (``townships_with_category(year)``) or allocation rows,
    filtered or not. The one count of the pages, the checks, the documents and the
    exports; one query."""
    counts = rows.order_by().values("category").annotate(n=Count("pk"))
    return {row["category"]: row["n"] for row in counts}


def category_sums(queryset) -> tuple[dict[int | None, int], dict]:
    """Counts and summed standards and floors per category of allocation rows, in one
    query: the budget check of a year with an adopted plan sums its lines."""
    rows = (queryset.order_by().values("category")
            .annotate(n=Count("pk"), standards=cents_sum("standard_amount"),
                      floors=cents_sum("floor_amount")))
    counts, sums = {}, {}
    for row in rows:
        counts[row["category"]] = row["n"]
        sums[row["category"]] = (cents_to_yuan(row["standards"]),
                                 cents_to_yuan(row["floors"]))
    return counts, sums


def budget_check_get(*, fund_year: FundYear, rows=None) -> BudgetCheck:
    """The budget check of the given allocation rows; of the whole year by default.
    One query; with an adopted plan it sums the rows' lines."""
    if fund_year.adopted_scenario_id is not None:
        counts, sums = category_sums(allocation_list(fund_year=fund_year) if rows is None
                                     else rows)
        return budget_check_from_counts(fund_year, counts, sums)
    rows = townships_with_category(fund_year.year) if rows is None else rows
    return budget_check_from_counts(fund_year, category_counts(rows))


def budget_check_list(*, fund_years) -> dict[int, BudgetCheck]:
    """The budget check of every given fund year (one query each: the fund years are
    few), for the history chart."""
    return {fy.year: budget_check_get(fund_year=fy)
            for fy in sorted(fund_years, key=lambda f: f.year)}


# --- Spending: budget, ledger, execution ------------------------------------------------


def cents_sum(field="amount"):
    """The sum of amounts as integer cents (see :func:`_cents`)."""
    return Sum(_cents(field))


def _cents(field="amount"):
    """Amounts summed as integer cents: exact on SQLite (which stores decimals as REAL)
    as on PostgreSQL, so that totals never depend on the database."""
    return Cast(Round(F(field) * 100), BigIntegerField())


def _sum_cents_subquery(year: int, statuses, township_ref="pk"):
    from funds.models import Expenditure

    return Subquery(
        Expenditure.objects.filter(township=OuterRef(township_ref), year=year,
                                   status__in=statuses)
        .order_by()
        .values("township")
        .annotate(cents=cents_sum())
        .values("cents")[:1]
    )


def with_spending(queryset, year: int):
    """Annotate townships with approved-not-reimbursed and reimbursed cents of the year."""
    return queryset.annotate(
        approved_cents=_sum_cents_subquery(year, ["approved"]),
        reimbursed_cents=_sum_cents_subquery(year, ["reimbursed"]),
    )


@dataclass(frozen=True)
class TownshipBudget:
    """预算: the allocation, and what approved and reimbursed spending took from it —
    of one township (:func:`township_budget_get`) or of many (:func:`execution_total_get`)."""

    allocation: Decimal
    approved: Decimal  # approved, not yet reimbursed
    reimbursed: Decimal

    @classmethod
    def of_row(cls, allocation: Decimal, approved_cents, reimbursed_cents) -> TownshipBudget:
        """From a row annotated by :func:`with_spending` (sums in integer cents)."""
        return cls(allocation, cents_to_yuan(approved_cents), cents_to_yuan(reimbursed_cents))

    @property
    def remaining(self) -> Decimal:
        return self.allocation - self.approved - self.reimbursed

    def covers(self, amount) -> bool:
        """Whether what is left of the budget covers ``amount``: the one statement of
        "over budget" that the services, the pages, the queue and the imports read."""
        return amount <= self.remaining

    def exceeded_by(self, amount=Decimal("0.00")) -> Decimal:
        """How far ``amount`` (nothing: the budget as it stands) goes beyond what is
        left; zero when it is covered."""
        return max(Decimal("0.00"), to_yuan(amount) - self.remaining)

    @property
    def execution_rate(self) -> Decimal | None:
        return rate(self.reimbursed, self.allocation)


def township_budget_get(*, township, fund_year: FundYear, exclude_pk=None) -> TownshipBudget:
    """One township's budget of one year; ``exclude_pk`` leaves one expenditure out."""
    from funds.models import Expenditure

    category, line_total = (
        TownshipCategory.objects.filter(township=township, year=fund_year.year)
        .annotate(line_total=adopted_total())
        .values_list("category", "line_total").first() or (None, None))
    sums = dict(
        Expenditure.objects.filter(township=township, year=fund_year.year,
                                   status__in=SPENT_STATUSES)
        .exclude(pk=exclude_pk)
        .order_by()
        .values("status")
        .annotate(cents=cents_sum())
        .values_list("status", "cents")
    )
    return TownshipBudget(
        allocation=allocation_of(fund_year, category, line_total),
        approved=cents_to_yuan(sums.get("approved")),
        reimbursed=cents_to_yuan(sums.get("reimbursed")),
    )


@dataclass(frozen=True)
class LedgerLine:
    expenditure: object
    remaining_after: Decimal | None  # None: this line does not touch the budget


def ledger_line_list(*, expenditures, allocation: Decimal) -> list[LedgerLine]:
    """Each expenditure with the remaining budget after it, in date order."""
    remaining = to_yuan(allocation)
    lines = []
    for expenditure in expenditures:
        if expenditure.status in SPENT_STATUSES:
            remaining -= to_yuan(expenditure.amount)
            lines.append(LedgerLine(expenditure, remaining))
        else:
            lines.append(LedgerLine(expenditure, None))
    return lines


def execution_total_get(*, fund_year: FundYear, rows=None,
                     check: BudgetCheck | None = None) -> TownshipBudget:
    """The year's execution over the given allocation rows (all townships by default);
    pass the rows' budget check when it is already known."""
    from funds.models import Expenditure

    if check is None:
        check = budget_check_get(fund_year=fund_year, rows=rows)
    # The whole year's townships are those in service: a simpler subquery to build and
    # to run than the allocation rows.
    townships = (Township.objects.in_service(fund_year.year) if rows is None
                 else rows).values("pk")
    sums = dict(
        Expenditure.objects.filter(year=fund_year.year, status__in=SPENT_STATUSES,
                                   township__in=townships)
        .order_by()
        .values("status")
        .annotate(cents=cents_sum())
        .values_list("status", "cents")
    )
    return TownshipBudget(
        allocation=check.grand_total,
        approved=cents_to_yuan(sums.get("approved")),
        reimbursed=cents_to_yuan(sums.get("reimbursed")),
    )


def allocation_row_list(*, fund_year: FundYear):
    """The year's allocation as plain rows (dicts of the money tables' fields, spending
    included), one query: what the allocation and execution pages and their exports
    show (funds.budget.tables.ALLOCATION_FIELDS)."""
    return with_spending(allocation_list(fund_year=fund_year), fund_year.year).values(
        "pk", "code", "name", "kind", "category", "rank", "floor_amount", "standard_amount",
        "total_amount", "approved_cents", "reimbursed_cents")


def allocation_summary_get(*, fund_year: FundYear, rows=None
                       ) -> tuple[BudgetCheck, TownshipBudget]:
    """The budget check and the execution of the given allocation rows (of the whole
    year when ``rows`` is None), in two queries."""
    check = budget_check_get(fund_year=fund_year, rows=rows)
    return check, execution_total_get(fund_year=fund_year, rows=rows, check=check)
