"""The 绩效 scoring rules, each on both sides of its edge, and with hypothesis: bounded by
the weight, monotone in the actual, never above 100 in total, rescaling exact — checked
against an independent formula in exact fractions."""

from decimal import Decimal
from fractions import Fraction

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from funds.performance import scoring as s

D = Decimal


def test_ge_le_eq_and_execution():
    assert s.indicator_score(direction=s.GE, weight=D(10), target=D(52), actual=D(52)) == D("10.00")
    assert s.indicator_score(direction=s.GE, weight=D(10), target=D(52), actual=D(26)) == D("5.00")
    assert s.indicator_score(direction=s.GE, weight=D(10), target=D(90), actual=D(120)) == D("10.00")
    # ≤ 669万: full at the target, half at 1.5 times, nothing at twice
    assert s.indicator_score(direction=s.LE, weight=D(10), target=D(669), actual=D(669)) == D("10.00")
    assert s.indicator_score(direction=s.LE, weight=D(10), target=D(100), actual=D(150)) == D("5.00")
    assert s.indicator_score(direction=s.LE, weight=D(10), target=D(100), actual=D(250)) == D("0.00")
    ratio = s.Bands(le_rule=s.RATIO)
    assert s.indicator_score(direction=s.LE, weight=D(10), target=D(100), actual=D(200),
                             bands=ratio) == D("5.00")
    assert s.indicator_score(direction=s.EQ, weight=D(5), target=D(100), actual=D(100)) == D("5.00")
    assert s.indicator_score(direction=s.EQ, weight=D(5), target=D(100), actual=D("99.99")) == D("0.00")
    assert s.execution_score(D(10), D("5930000"), D("6690000")) == D("8.86")
    assert s.execution_score(D(10), D("7000000"), D("6690000")) == D("10.00")
    assert s.execution_rate(D("7000000"), D("6690000")) == D("1.0000")


def test_qualitative_answers_stay_in_their_bands():
    assert s.indicator_score(direction=s.QUALITATIVE, weight=D(10), answer=s.ACHIEVED) == D("10.00")
    assert s.indicator_score(direction=s.QUALITATIVE, weight=D(10), answer=s.PARTIAL) == D("7.00")
    assert s.indicator_score(direction=s.QUALITATIVE, weight=D(10), answer=s.PARTIAL,
                             percent=D(95)) == D("8.00")   # clipped to 80 %
    assert s.indicator_score(direction=s.QUALITATIVE, weight=D(10), answer=s.FAILED,
                             percent=D(10)) == D("1.00")
    assert s.indicator_score(direction=s.QUALITATIVE, weight=D(10), answer=None) == D("0.00")


def test_rounding_is_half_up():
    # 10 × 1/8 = 1.25 exactly; 10 × 0.12345 = 1.2345 → 1.23; 10 × 0.1235 = 1.235 → 1.24
    assert s.indicator_score(direction=s.GE, weight=D(10), target=D(8), actual=D(1)) == D("1.25")
    assert s.indicator_score(direction=s.GE, weight=D(10), target=D(1), actual=D("0.1235")) == D("1.24")


def test_a_dropped_indicator_rescales_the_rest_and_reasons_are_asked_below_the_weight():
    rows = [s.Row(s.GE, D(25), D(52), D(52)), s.Row(s.GE, D(25), D(90), D(45)),
            s.Row(s.QUALITATIVE, D(30), answer=s.ACHIEVED),
            s.Row(s.GE, D(10), D(90), D(95), applicable=False)]
    scored = s.sheet_score(rows, execution_weight=D(10), executed=D(90), budget=D(100))
    assert scored.execution_weight == D("11.11")
    assert [r.weight for r in scored.rows[:3]] == [D("27.78"), D("27.78"), D("33.33")]
    assert scored.rows[3] is None
    assert scored.execution_weight + sum(r.weight for r in scored.rows[:3]) == D("100.00")
    assert [r.needs_reason for r in scored.rows[:3]] == [False, True, False]
    assert scored.total == D("10.00") + D("27.78") + D("13.89") + D("33.33")
    assert scored.grade == "良"
    too_low = s.sheet_score([s.Row(s.GE, D(90), D(10), D(52))], execution_weight=D(10),
                            executed=D(1), budget=D(1))
    assert too_low.rows[0].too_low and too_low.grade == "优"


def test_grades():
    assert [s.grade(D(x)) for x in ("90", "89.99", "80", "79.99", "60", "59.99")] == [
        "优", "良", "良", "中", "中", "差"]


amounts = st.decimals(min_value=0, max_value=10_000, places=2)
weights = st.decimals(min_value=D("0.01"), max_value=60, places=2)
directions = st.sampled_from([s.GE, s.LE, s.EQ])


def _independent(direction, weight, target, actual, le_rule=s.LINEAR) -> Fraction:
    """The rule in exact fractions, written from EVALUATION.md without the module."""
    w, t, a = Fraction(weight), Fraction(target), Fraction(actual)
    if direction == s.GE:
        share = (1 if a >= t else 0) if t <= 0 else min(a / t, 1)
    elif direction == s.LE:
        if a <= t:
            share = 1
        elif t <= 0:
            share = 0
        else:
            share = min(t / a, 1) if le_rule == s.RATIO else max(1 - (a - t) / t, 0)
    else:
        share = 1 if a == t else 0
    return w * share


def _half_up(value: Fraction) -> Decimal:
    cents, remainder = divmod(value * 100, 1)
    return D(int(cents) + (1 if remainder >= Fraction(1, 2) else 0)) / 100


@settings(max_examples=300, deadline=None)
@given(direction=directions, weight=weights, target=amounts, actual=amounts,
       rule=st.sampled_from([s.LINEAR, s.RATIO]))
def test_a_score_equals_the_independent_formula_and_stays_within_its_weight(
        direction, weight, target, actual, rule):
    score = s.indicator_score(direction=direction, weight=weight, target=target, actual=actual,
                              bands=s.Bands(le_rule=rule))
    assert score == _half_up(_independent(direction, weight, target, actual, rule))
    assert D(0) <= score <= weight


@settings(max_examples=300, deadline=None)
@given(direction=st.sampled_from([s.GE, s.LE]), weight=weights, target=amounts,
       a=amounts, b=amounts)
def test_scores_are_monotone_in_the_actual(direction, weight, target, a, b):
    low, high = sorted((a, b))
    first = s.indicator_score(direction=direction, weight=weight, target=target, actual=low)
    second = s.indicator_score(direction=direction, weight=weight, target=target, actual=high)
    assert (first <= second) if direction == s.GE else (first >= second)


rows = st.lists(st.builds(
    s.Row, direction=directions, weight=weights, target=amounts, actual=amounts,
    applicable=st.booleans()), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(rows=rows, execution_weight=weights, executed=amounts, budget=amounts)
def test_rescaling_is_exact_and_the_total_never_exceeds_100(rows, execution_weight, executed,
                                                             budget):
    scored = s.sheet_score(rows, execution_weight=execution_weight, executed=executed,
                           budget=budget)
    live = [r for r in scored.rows if r is not None]
    assert scored.execution_weight + sum(r.weight for r in live) == D("100.00")
    assert D(0) <= scored.total <= D(100)
    # each rescaled weight is within a cent of the exact proportion
    total = Fraction(execution_weight) + sum(Fraction(r.weight) for r in rows if r.applicable)
    for row, got in zip([r for r in rows if r.applicable], live, strict=True):
        assert abs(Fraction(got.weight) - Fraction(row.weight) * 100 / total) < Fraction(1, 100)


@given(st.lists(weights, min_size=1, max_size=20))
def test_rescaled_weights_total_100(ws):
    assume(sum(ws) > 0)
    assert sum(s.rescaled(ws)) == D("100.00")
