"""The allocation planner's arithmetic, pure: plain Decimal data in, a Plan out.

How the money is divided among the townships of a year (因素法): the fund less the reserve
is what the year may spend; the floor is counted as the year's floor mode says
(``elsewhere``: on top of the standard and paid from another source, so the fund covers
the standards only; ``in_fund``: on top and paid out of the fund; ``minimum``: a township
gets the larger of its standard and the floor, out of the fund).

Every computation is exact (``fractions.Fraction``); amounts are rounded once, to the
rounding unit, by the largest-remainder method on the part above the floor, so that the
fund-covered total is the money available less its remainder below one unit, each
township is less than one unit from its exact share, and townships of a better category
never get less than those of a worse one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.utils import translation
from django.utils.translation import gettext as _

from townships.models import Category

FIRST, SECOND, THIRD = 1, 2, 3
CATEGORIES = (FIRST, SECOND, THIRD)

ELSEWHERE, IN_FUND, MINIMUM = "elsewhere", "in_fund", "minimum"
FLOOR_MODES = (ELSEWHERE, IN_FUND, MINIMUM)

KEEP, SCALE, LADDER, FIT, CUSTOM = "keep", "scale", "ladder", "fit", "custom"
METHODS = (KEEP, SCALE, LADDER, FIT, CUSTOM)

CENT = Decimal("0.01")


class PlanError(ValueError):
    """The parameters admit no plan (say, the fund does not even cover the floors)."""


@dataclass(frozen=True)
class Parameters:
    fund: Decimal
    floor: Decimal
    floor_mode: str
    standards: dict[int, Decimal]  # kept (keep, fit, custom) or scaled (scale)
    reserve: Decimal = Decimal("0.00")
    rounding_unit: int = 1
    gap: Decimal = Decimal("20000.00")  # ladder: between neighbouring categories


@dataclass(frozen=True)
class Line:
    township: int
    category: int | None
    standard: Decimal
    floor: Decimal
    total: Decimal
    exact: Fraction  # the exact share: what the total would be without rounding
    extra_unit: bool = False  # a largest-remainder recipient


@dataclass(frozen=True)
class Split:
    counts: tuple[int, int, int]
    cost: Decimal


@dataclass(frozen=True)
class Fit:
    exact: list[Split]
    nearest_under: list[Split]
    nearest_over: list[Split]


@dataclass
class Plan:
    method: str
    parameters: Parameters
    standards: dict[int, Decimal]  # per category, before the largest-remainder units
    lines: list[Line]
    fit: Fit | None = None
    formula_zh: str = ""
    formula_en: str = ""
    counts: dict[int, int] = field(default_factory=dict)

    @property
    def available(self) -> Decimal:
        """What the year may spend out of the fund: the fund less the reserve."""
        return self.parameters.fund - self.parameters.reserve

    @property
    def total(self) -> Decimal:
        """What every township receives, floors included."""
        return sum((line.total for line in self.lines), Decimal("0.00"))

    @property
    def standards_total(self) -> Decimal:
        return sum((line.standard for line in self.lines), Decimal("0.00"))

    @property
    def floors_total(self) -> Decimal:
        return sum((line.floor for line in self.lines), Decimal("0.00"))

    @property
    def fund_covered(self) -> Decimal:
        """What the fund pays: the standards when the floors come from elsewhere."""
        return self.standards_total if self.parameters.floor_mode == ELSEWHERE else self.total

    @property
    def difference(self) -> Decimal:
        """Available less what the fund pays: positive is unallocated, negative a shortfall.
        For scale and ladder this is the remainder below one rounding unit."""
        return self.available - self.fund_covered

    @property
    def recipients(self) -> list[int]:
        """The townships that received one more rounding unit (largest remainders)."""
        return [line.township for line in self.lines if line.extra_unit]

    def by_category(self) -> dict[int, Decimal]:
        totals = {c: Decimal("0.00") for c in CATEGORIES}
        for line in self.lines:
            if line.category in totals:
                totals[line.category] += line.total
        return totals


def _fraction(value) -> Fraction:
    return Fraction(Decimal(value))


def _decimal(value: Fraction) -> Decimal:
    """An exact fraction that is a whole number of cents, as Decimal yuan."""
    cents = value * 100
    if cents.denominator != 1:
        raise AssertionError("not a whole number of cents")
    return (Decimal(cents.numerator) / 100).quantize(CENT)


def _floor_to(value: Fraction, unit: Fraction) -> Fraction:
    return (value // unit) * unit


def _covered(mode: str, standard: Fraction, floor: Fraction) -> Fraction:
    """What the fund pays for one township of that standard."""
    if mode == ELSEWHERE:
        return standard
    if mode == IN_FUND:
        return standard + floor
    return max(standard, floor)


def _solve(counts, slopes, offsets, floor, mode, target) -> Fraction:
    """The t ≥ 0 at which Σ n_c · covered(a_c·t + b_c) equals the target.

    The left side is continuous, piecewise linear and non-decreasing in t; its kinks are
    where a standard crosses the floor (minimum mode only).
    """
    def cost(t):
        return sum((n * _covered(mode, slopes[c] * t + offsets[c], floor)
                    for c, n in counts.items()), Fraction(0))

    if cost(Fraction(0)) > target:
        raise PlanError(_("The money available does not cover even the fixed part "
                          "(floors or the ladder's gaps)."))
    kinks = sorted({(floor - offsets[c]) / slopes[c] for c in counts
                    if mode == MINIMUM and slopes[c] > 0 and counts[c]
                    and (floor - offsets[c]) / slopes[c] > 0})
    left = Fraction(0)
    for right in [*kinks, None]:
        if right is not None and cost(right) < target:
            left = right
            continue
        # cost is linear on [left, right]: its slope is that of the categories above the
        # floor there (all of them unless in minimum mode)
        probe = left + 1 if right is None else (left + right) / 2
        slope = sum((n * slopes[c] for c, n in counts.items()
                     if mode != MINIMUM or slopes[c] * probe + offsets[c] > floor),
                    Fraction(0))
        if slope == 0:
            if cost(left) == target:
                return left
            raise PlanError(_("No standards can spend the money available: "
                              "the standards are all zero or there are no townships."))
        return left + (target - cost(left)) / slope
    raise AssertionError("unreachable")


def _counts(townships) -> dict[int, int]:
    counts = dict.fromkeys(CATEGORIES, 0)
    for _township, category in townships:
        if category in counts:
            counts[category] += 1
    return counts


def _shares(p: Parameters, method: str, counts) -> dict[int, Fraction]:
    """The exact standard of each category for scale and ladder."""
    floor, mode = _fraction(p.floor), p.floor_mode
    target = _fraction(p.fund) - _fraction(p.reserve)
    if method == SCALE:
        slopes = {c: _fraction(p.standards.get(c, 0)) for c in CATEGORIES}
        offsets = {c: Fraction(0) for c in CATEGORIES}
    else:  # ladder: 三类 = t, 二类 = t + gap, 一类 = t + 2 gaps
        gap = _fraction(p.gap)
        slopes = {c: Fraction(1) for c in CATEGORIES}
        offsets = {FIRST: 2 * gap, SECOND: gap, THIRD: Fraction(0)}
    t = _solve(counts, slopes, offsets, floor, mode, target)
    return {c: slopes[c] * t + offsets[c] for c in CATEGORIES}


def _fixed_lines(p: Parameters, townships, standards: dict[int, Fraction]) -> list[Line]:
    floor = _fraction(p.floor)
    lines = []
    for township, category in townships:
        if category not in CATEGORIES:
            lines.append(Line(township, category, CENT * 0, CENT * 0, CENT * 0, Fraction(0)))
            continue
        standard = standards[category]
        top = floor if p.floor_mode != MINIMUM else max(Fraction(0), floor - standard)
        lines.append(Line(township, category, _decimal(standard), _decimal(top),
                          _decimal(standard + top), standard + top))
    return lines


def _rounded_lines(p: Parameters, townships, exact: dict[int, Fraction]) -> list[Line]:
    """Round the part above the floor with the largest-remainder method."""
    unit = Fraction(p.rounding_unit)
    floor, mode = _fraction(p.floor), p.floor_mode

    def above(category):  # the part of a township's money that is rounded
        standard = exact[category]
        return max(Fraction(0), standard - floor) if mode == MINIMUM else standard

    rows = [(township, category) for township, category in townships
            if category in CATEGORIES]
    parts = {t: above(c) for t, c in rows}
    base = {t: _floor_to(parts[t], unit) for t, _c in rows}
    total = sum(parts.values(), Fraction(0))
    units_left = int((_floor_to(total, unit) - sum(base.values(), Fraction(0))) / unit)
    # Largest remainder first; a tie goes to the better category, so that no township of
    # a worse category gets a unit a better one did not, then to the one given first (the
    # townships come in code order: plan_input_get), never by database id.
    position = {township: i for i, (township, _c) in enumerate(rows)}
    order = sorted(rows, key=lambda row: (-(parts[row[0]] - base[row[0]]), row[1],
                                          position[row[0]]))
    extra = {t for t, _c in order[:units_left]}
    lines = []
    for township, category in townships:
        if category not in CATEGORIES:
            lines.append(Line(township, category, CENT * 0, CENT * 0, CENT * 0, Fraction(0)))
            continue
        part = base[township] + (unit if township in extra else 0)
        if mode == MINIMUM:
            total_amount = floor + part
            standard = total_amount if part else min(floor, _floor_to(exact[category], unit))
            top = total_amount - standard
            exact_total = max(exact[category], floor)
        else:
            standard, top = part, floor
            exact_total = exact[category] + floor
        lines.append(Line(township, category, _decimal(standard), _decimal(top),
                          _decimal(standard + top), exact_total, township in extra))
    return lines


def _cents(value) -> int:
    return int(Decimal(value).quantize(CENT) * 100)


def fit_splits(p: Parameters, n: int) -> Fit:
    """Every split (一类, 二类, 三类) of n townships whose cost to the fund equals the money
    available, with the standards fixed; and the nearest splits under and over it.

    For each count of 一类 the cost is linear in the count of 二类, so the exact and the
    nearest counts of 二类 are found by division rather than by trying each.
    """
    floor = _cents(p.floor)
    cost = {c: _covered_cents(p.floor_mode, _cents(p.standards.get(c, 0)), floor)
            for c in CATEGORIES}
    target = _cents(p.fund) - _cents(p.reserve)
    exact, under, over = [], [], []
    best_under, best_over = None, None
    step = cost[SECOND] - cost[THIRD]
    for n1 in range(n + 1):
        rest = n - n1
        base = n1 * cost[FIRST] + rest * cost[THIRD]  # with n2 = 0
        # candidates for n2: the exact one, and those on each side of the target
        if step == 0:  # every count of 二类 costs the same
            candidates = set(range(rest + 1))
        else:
            q = (target - base) // step
            candidates = {q - 1, q, q + 1, 0, rest}
        for n2 in candidates:
            if not 0 <= n2 <= rest:
                continue
            value = base + n2 * step
            split = (n1, n2, rest - n2)
            if value == target:
                exact.append(split)
            elif value < target and (best_under is None or value >= best_under):
                if value != best_under:
                    under, best_under = [], value
                under.append(split)
            elif value > target and (best_over is None or value <= best_over):
                if value != best_over:
                    over, best_over = [], value
                over.append(split)

    def splits(found, value):
        return [Split(s, Decimal(value) / 100) for s in sorted(set(found))]

    return Fit(splits(exact, target), splits(under, best_under or 0),
               splits(over, best_over or 0))


def _covered_cents(mode: str, standard: int, floor: int) -> int:
    return int(_covered(mode, Fraction(standard), Fraction(floor)))


def plan(method: str, p: Parameters, townships: list[tuple[int, int | None]]) -> Plan:
    """Compute one scenario for the townships, given as (id, category or None)."""
    if method not in METHODS or p.floor_mode not in FLOOR_MODES:
        raise PlanError(_("Unknown method or floor mode."))
    if p.rounding_unit not in (1, 100):
        raise PlanError(_("The rounding unit is 1 or 100 yuan."))
    counts = _counts(townships)
    fit = None
    if method in (SCALE, LADDER):
        exact = _shares(p, method, counts)
        lines = _rounded_lines(p, townships, exact)
        unit = Fraction(p.rounding_unit)
        standards = {c: _decimal(_floor_to(exact[c], unit)) for c in CATEGORIES}
    else:
        standards = {c: Decimal(p.standards.get(c, 0)).quantize(CENT) for c in CATEGORIES}
        lines = _fixed_lines(p, townships, {c: _fraction(s) for c, s in standards.items()})
        if method == FIT:
            fit = fit_splits(p, sum(counts.values()))
    result = Plan(method, p, standards, lines, fit, counts=counts)
    for language, attribute in (("zh-hans", "formula_zh"), ("en", "formula_en")):
        with translation.override(language):
            setattr(result, attribute, formula(result))
    return result


def _wan(value: Decimal) -> str:
    return f"{(Decimal(value) / 10000).quantize(Decimal('0.0001')).normalize():f}"


def formula(result: Plan) -> str:
    """The one-paragraph 因素法 text of a plan, in the active language."""
    p = result.parameters
    names = {c: str(Category(c).label) for c in CATEGORIES}
    separator = _(", ")
    standards = separator.join(f"{names[c]} {_wan(result.standards[c])}" for c in CATEGORIES)
    floor_text = {
        ELSEWHERE: _("Each township also receives the floor of %(floor)s (10k yuan), "
                     "paid from another source."),
        IN_FUND: _("Each township also receives the floor of %(floor)s (10k yuan), "
                   "paid out of the fund."),
        MINIMUM: _("A township receives at least the floor of %(floor)s (10k yuan): the "
                   "larger of its standard and the floor."),
    }[p.floor_mode] % {"floor": _wan(p.floor)}
    head = _("The special fund of %(fund)s (10k yuan), less a reserve of %(reserve)s, "
             "leaves %(available)s for the townships.") % {
        "fund": _wan(p.fund), "reserve": _wan(p.reserve), "available": _wan(result.available)}
    if result.method == SCALE:
        body = _("The standards %(given)s were scaled by one common factor so that the "
                 "money paid out of the fund equals the money available, giving %(standards)s "
                 "(10k yuan).") % {
            "given": separator.join(_wan(p.standards.get(c, 0)) for c in CATEGORIES),
            "standards": standards}
    elif result.method == LADDER:
        body = _("The standards step down by %(gap)s (10k yuan) from one category to the "
                 "next and were solved so that the money paid out of the fund equals the "
                 "money available: %(standards)s (10k yuan).") % {
            "gap": _wan(p.gap), "standards": standards}
    elif result.method == FIT:
        body = _("The standards stay %(standards)s (10k yuan); the counts of townships "
                 "per category that spend exactly the money available are listed.") % {
            "standards": standards}
    else:
        body = _("The standards are %(standards)s (10k yuan); the difference to the "
                 "money available is %(difference)s (10k yuan).") % {
            "standards": standards, "difference": _wan(result.difference)}
    rounding = ""
    if result.method in (SCALE, LADDER):
        rounding = _("Amounts are rounded to %(unit)s yuan by the largest-remainder method: "
                     "%(count)s townships with the largest remainders receive one unit more; "
                     "%(left)s yuan remain unallocated.") % {
            "unit": p.rounding_unit, "count": len(result.recipients),
            "left": f"{result.difference:.2f}"}
    return " ".join(str(s) for s in (head, body, floor_text, rounding) if s)
