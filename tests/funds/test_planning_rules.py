"""The planner's arithmetic (funds.planning.rules) against independent brute-force oracles."""

from decimal import Decimal
from fractions import Fraction
from itertools import product

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funds.planning import rules
from funds.planning.rules import ELSEWHERE, IN_FUND, MINIMUM, Parameters, PlanError


def yuan(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def townships_of(counts):
    rows, next_id = [], 1
    for category, n in zip((1, 2, 3), counts, strict=True):
        for _ in range(n):
            rows.append((next_id, category))
            next_id += 1
    return rows


# --- oracles ------------------------------------------------------------------------


def covered(mode, standard, floor):
    return {ELSEWHERE: standard, IN_FUND: standard + floor,
            MINIMUM: max(standard, floor)}[mode]


def exact_standards_oracle(method, p, counts):
    """The exact standard per category, or None when no t ≥ 0 spends the money.

    Standards are a·t + b per category. For every subset of categories assumed above the
    floor (minimum mode; in the other modes all are), the cost is linear in t: solve,
    and keep the smallest t consistent with the assumption.
    """
    available = Fraction(p.fund) - Fraction(p.reserve)
    floor = Fraction(p.floor)
    if method == "scale":
        a = {c: Fraction(p.standards[c]) for c in (1, 2, 3)}
        b = {c: Fraction(0) for c in (1, 2, 3)}
    else:
        gap = Fraction(p.gap)
        a = {c: Fraction(1) for c in (1, 2, 3)}
        b = {1: 2 * gap, 2: gap, 3: Fraction(0)}
    n = dict(zip((1, 2, 3), counts, strict=True))
    found = []
    for above in product((True, False), repeat=3):
        above = dict(zip((1, 2, 3), above, strict=True))
        if p.floor_mode != MINIMUM and not all(above.values()):
            continue
        fixed, slope = Fraction(0), Fraction(0)
        for c in (1, 2, 3):
            if not above[c]:
                fixed += n[c] * floor
                continue
            fixed += n[c] * (b[c] + (0 if p.floor_mode == ELSEWHERE else
                                     floor if p.floor_mode == IN_FUND else 0))
            slope += n[c] * a[c]
        if slope == 0:
            if fixed != available:
                continue
            t = Fraction(0)
        else:
            t = (available - fixed) / slope
        if t < 0:
            continue
        if p.floor_mode == MINIMUM and not all(
                (a[c] * t + b[c] >= floor) if above[c] else (a[c] * t + b[c] <= floor)
                for c in (1, 2, 3) if n[c]):
            continue
        found.append(t)
    if not found:
        return None
    t = min(found)
    return {c: a[c] * t + b[c] for c in (1, 2, 3)}


def fit_oracle(p, n):
    floor = Fraction(p.floor)
    cost = {c: covered(p.floor_mode, Fraction(p.standards[c]), floor) for c in (1, 2, 3)}
    target = Fraction(p.fund) - Fraction(p.reserve)
    values = {}
    for n1 in range(n + 1):
        for n2 in range(n + 1):
            for n3 in range(n + 1):
                if n1 + n2 + n3 == n:
                    values[(n1, n2, n3)] = n1 * cost[1] + n2 * cost[2] + n3 * cost[3]
    exact = sorted(s for s, v in values.items() if v == target)
    under = [v for v in values.values() if v < target]
    over = [v for v in values.values() if v > target]
    nearest_under = sorted(s for s, v in values.items() if under and v == max(under))
    nearest_over = sorted(s for s, v in values.items() if over and v == min(over))
    return exact, nearest_under, nearest_over


# --- strategies ---------------------------------------------------------------------

cents = st.integers(min_value=0, max_value=50_000_000)  # up to 50万 yuan


@st.composite
def parameters(draw, gap=False):
    s = sorted((draw(cents), draw(cents), draw(cents)), reverse=True)
    fund = draw(st.integers(min_value=0, max_value=2_000_000_000))
    reserve = draw(st.integers(min_value=0, max_value=fund))
    return Parameters(
        fund=yuan(fund), reserve=yuan(reserve), floor=yuan(draw(cents)),
        floor_mode=draw(st.sampled_from(rules.FLOOR_MODES)),
        standards={1: yuan(s[0]), 2: yuan(s[1]), 3: yuan(s[2])},
        rounding_unit=draw(st.sampled_from([1, 100])),
        gap=yuan(draw(st.integers(min_value=0, max_value=10_000_000))),
    )


counts_strategy = st.tuples(*[st.integers(min_value=0, max_value=25)] * 3)


def fund_covered_expected(p, n):
    """The fund-covered total a scale or ladder plan must reach: the money available less
    its remainder below one unit, counted above the fixed floors."""
    available = Fraction(p.fund) - Fraction(p.reserve)
    fixed = 0 if p.floor_mode == ELSEWHERE else n * Fraction(p.floor)
    unit = p.rounding_unit
    return fixed + ((available - fixed) // unit) * unit


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(method=st.sampled_from(["scale", "ladder"]), p=parameters(), counts=counts_strategy)
def test_scale_and_ladder_spend_the_fund_exactly_within_one_unit_in_category_order(
        method, p, counts):
    townships = townships_of(counts) + [(999, None)]  # one without a category: nothing
    oracle = exact_standards_oracle(method, p, counts)
    try:
        plan = rules.plan(method, p, townships)
    except PlanError:
        assert oracle is None
        return
    assert oracle is not None
    n = sum(counts)
    available = p.fund - p.reserve
    assert plan.fund_covered == yuan(int(fund_covered_expected(p, n) * 100))
    assert Decimal(0) <= plan.difference < p.rounding_unit
    assert plan.available == available
    exact = oracle
    floor = Fraction(p.floor)
    by_category = {1: [], 2: [], 3: []}
    for line in plan.lines:
        if line.category is None:
            assert line.total == line.standard == line.floor == 0
            continue
        share = covered(MINIMUM, exact[line.category], floor) if p.floor_mode == MINIMUM \
            else exact[line.category] + floor
        if counts[line.category - 1]:
            assert abs(Fraction(line.total) - share) < p.rounding_unit
            assert line.exact == share
        assert line.total == line.standard + line.floor
        assert line.standard >= 0 and line.floor >= 0
        by_category[line.category].append(line.total)
    present = [by_category[c] for c in (1, 2, 3) if by_category[c]]
    for better, worse in zip(present, present[1:], strict=False):
        assert min(better) >= max(worse)
    for amounts in present:
        assert max(amounts) - min(amounts) <= p.rounding_unit
    assert len(plan.recipients) < max(n, 1)
    if method == "ladder" and all(counts) and p.floor_mode != MINIMUM:
        assert plan.standards[1] - plan.standards[2] == p.gap.quantize(Decimal(1)) \
            or abs(plan.standards[1] - plan.standards[2] - p.gap) < p.rounding_unit


@settings(max_examples=300, deadline=None)
@given(p=parameters(), n=st.integers(min_value=0, max_value=14))
def test_fit_lists_exactly_the_splits_brute_force_finds(p, n):
    fit = rules.fit_splits(p, n)
    exact, under, over = fit_oracle(p, n)
    assert [s.counts for s in fit.exact] == exact
    assert [s.counts for s in fit.nearest_under] == under
    assert [s.counts for s in fit.nearest_over] == over


@settings(max_examples=100, deadline=None)
@given(p=parameters(), counts=counts_strategy)
def test_keep_costs_the_standards_and_shows_the_gap(p, counts):
    plan = rules.plan("keep", p, townships_of(counts))
    floor = p.floor
    expected = sum((n * covered(p.floor_mode, p.standards[c], floor)
                    for c, n in zip((1, 2, 3), counts, strict=True)), Decimal("0.00"))
    assert plan.fund_covered == expected
    assert plan.difference == p.fund - p.reserve - expected


# --- the county's own figures -------------------------------------------------------

WAN = Decimal(10000)
COUNTY_2020 = Parameters(
    fund=669 * WAN, floor=3 * WAN, floor_mode=ELSEWHERE,
    standards={1: 17 * WAN, 2: 15 * WAN, 3: 12 * WAN})


def test_the_2020_fund_fits_exactly_four_splits():
    fit = rules.plan("fit", COUNTY_2020, townships_of((20, 16, 16))).fit
    assert [s.counts for s in fit.exact] == [(0, 15, 37), (3, 10, 39), (6, 5, 41), (9, 0, 43)]
    assert all(s.cost == 669 * WAN for s in fit.exact)


def test_the_2020_standards_scale_by_669_over_772():
    plan = rules.plan("scale", COUNTY_2020, townships_of((20, 16, 16)))
    assert plan.standards == {1: Decimal("147318.00"), 2: Decimal("129987.00"),
                              3: Decimal("103989.00")}
    assert [rules._wan(plan.standards[c]) for c in (1, 2, 3)] == ["14.7318", "12.9987",
                                                                  "10.3989"]
    assert plan.standards_total == 669 * WAN
    assert plan.difference == 0
    # remainders 0.6528 (一类), 0.0466 (二类), 0.6373 (三类) add up to exactly 24 yuan:
    # all of 一类 get one more, then the first four of 三类
    assert plan.recipients == list(range(1, 21)) + [37, 38, 39, 40]
    assert plan.floors_total == 52 * 3 * WAN


def test_floors_on_top_paid_by_the_fund_can_never_fit_2020():
    in_fund = Parameters(**{**COUNTY_2020.__dict__, "floor_mode": IN_FUND})
    assert rules.plan("fit", in_fund, townships_of((20, 16, 16))).fit.exact == []
    with pytest.raises(PlanError):
        rules.plan("ladder", Parameters(**{**in_fund.__dict__, "gap": 30 * WAN}),
                   townships_of((20, 16, 16)))


def test_a_rounding_unit_of_100_leaves_the_remainder_unallocated():
    p = Parameters(**{**COUNTY_2020.__dict__, "fund": Decimal("6690050.00"),
                      "rounding_unit": 100})
    plan = rules.plan("scale", p, townships_of((20, 16, 16)))
    assert plan.standards_total == Decimal("6690000.00")
    assert plan.difference == Decimal("50.00")
    assert all(line.standard % 100 == 0 for line in plan.lines)


def test_the_formula_is_stated_in_both_languages():
    plan = rules.plan("scale", COUNTY_2020, townships_of((20, 16, 16)))
    assert "669" in plan.formula_zh and "最大余额" in plan.formula_zh
    assert "largest-remainder" in plan.formula_en and "14.7318" in plan.formula_en


@st.composite
def round_parameters(draw):
    """Standards and fund in whole 万元, as counties set them: exact fits are common."""
    s = sorted((draw(st.integers(0, 20)) for _ in range(3)), reverse=True)
    return Parameters(
        fund=draw(st.integers(0, 300)) * WAN, floor=draw(st.integers(0, 5)) * WAN,
        floor_mode=draw(st.sampled_from(rules.FLOOR_MODES)),
        standards={1: s[0] * WAN, 2: s[1] * WAN, 3: s[2] * WAN},
        reserve=draw(st.integers(0, 20)) * WAN)


@settings(max_examples=300, deadline=None)
@given(p=round_parameters(), n=st.integers(min_value=0, max_value=14))
def test_fit_with_round_figures_lists_what_brute_force_finds(p, n):
    fit = rules.fit_splits(p, n)
    exact, under, over = fit_oracle(p, n)
    assert [s.counts for s in fit.exact] == exact
    assert [s.counts for s in fit.nearest_under] == under
    assert [s.counts for s in fit.nearest_over] == over


def test_the_2020_nearest_splits_are_brute_forces():
    fit = rules.fit_splits(COUNTY_2020, 52)
    exact, under, over = fit_oracle(COUNTY_2020, 52)
    assert [s.counts for s in fit.nearest_under] == under
    assert [s.counts for s in fit.nearest_over] == over
    assert all(s.cost == 668 * WAN for s in fit.nearest_under)


def test_a_tie_of_remainders_goes_by_the_order_given_not_by_id():
    """The townships come in code order (plan_input_get); a unit left over after the
    largest remainders goes to the first of equal ones in that order, whatever their ids
    (after the 2020 merger the new units' ids do not follow their codes)."""
    rows = townships_of((20, 16, 16))
    third = [t for t, c in rows if c == 3]
    # the same townships, the 三类 ones given in the reverse order of their ids
    shuffled = [row for row in rows if row[1] != 3] + [(t, 3) for t in reversed(third)]
    plan = rules.plan("scale", COUNTY_2020, shuffled)
    assert [t for t in plan.recipients if t in third] == third[::-1][:4]  # ids 52, 51, 50, 49
    plan_in_id_order = rules.plan("scale", COUNTY_2020, rows)
    assert [t for t in plan_in_id_order.recipients if t in third] == third[:4]
