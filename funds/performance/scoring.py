"""Scoring a 绩效 self-evaluation (《项目支出绩效评价管理办法》, 财预〔2020〕10号; EVALUATION.md):
pure functions over ``Decimal``, rounded half-up to two places.

- execution: ``weight × min(全年执行数 ÷ 全年预算数, 1)`` (the adjusted budget, not the
  initial one);
- ≥: ``weight × min(actual ÷ target, 1)``;
- ≤: full at or under the target, then falling linearly to 0 at twice the target
  (``weight × (1 − (actual − target) ÷ target)``), or, a province's variant,
  ``weight × target ÷ actual``;
- =: full when met, else 0;
- qualitative: one of three answers, each scored inside its band of the weight (80–100 %,
  60–80 %, 0–60 % by default: a province's setting);
- an indicator that does not apply is dropped and the weights of the rest (the execution
  rate's included) are rescaled to total exactly 100;
- grades: 优 ≥ 90, 良 80–89, 中 60–79, 差 < 60.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
ZERO = Decimal("0.00")

GE, LE, EQ, QUALITATIVE = ">=", "<=", "=", "qualitative"
ACHIEVED, PARTIAL, FAILED = "achieved", "partial", "failed"
LINEAR, RATIO = "linear", "ratio"
#: An actual at or above this many times its (≥) target may mean a target set too low.
TOO_LOW_RATIO = Decimal("1.5")


def cents(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Bands:
    """The share of the weight (percent) each qualitative answer may score: a province's
    setting; ``le_rule`` is how a ≤ indicator falls off above its target."""

    achieved: tuple[Decimal, Decimal] = (Decimal(80), Decimal(100))
    partial: tuple[Decimal, Decimal] = (Decimal(60), Decimal(80))
    failed: tuple[Decimal, Decimal] = (Decimal(0), Decimal(60))
    le_rule: str = LINEAR

    def band(self, answer: str) -> tuple[Decimal, Decimal]:
        return {ACHIEVED: self.achieved, PARTIAL: self.partial, FAILED: self.failed}[answer]

    def default_percent(self, answer: str) -> Decimal:
        """The share a person starts from: the top of 达成, the middle of the others."""
        low, high = self.band(answer)
        return high if answer == ACHIEVED else (low + high) / 2


def fraction(direction: str, target: Decimal | None, actual: Decimal | None, *,
             le_rule: str = LINEAR) -> Decimal:
    """The share of its weight a quantitative indicator earns, in [0, 1]."""
    if actual is None or target is None:
        return Decimal(0)
    if direction == GE:
        if target <= 0:
            return Decimal(1) if actual >= target else Decimal(0)
        return min(max(actual, Decimal(0)) / target, Decimal(1))
    if direction == LE:
        if actual <= target:
            return Decimal(1)
        if target <= 0:
            return Decimal(0)
        if le_rule == RATIO:
            return min(target / actual, Decimal(1))
        return max(Decimal(1) - (actual - target) / target, Decimal(0))
    if direction == EQ:
        return Decimal(1) if actual == target else Decimal(0)
    raise ValueError(f"not a quantitative direction: {direction!r}")


def indicator_score(*, direction: str, weight: Decimal, target=None, actual=None,
                    answer: str | None = None, percent: Decimal | None = None,
                    bands: Bands = Bands()) -> Decimal:
    """One indicator's score, in [0, weight], rounded half-up to cents. A qualitative
    one takes its answer and the share of the weight chosen inside the answer's band
    (the band's default when none is chosen; clipped to the band)."""
    weight = Decimal(weight)
    if direction == QUALITATIVE:
        if answer is None:
            return ZERO
        low, high = bands.band(answer)
        chosen = bands.default_percent(answer) if percent is None else Decimal(percent)
        return cents(weight * min(max(chosen, low), high) / HUNDRED)
    return cents(weight * fraction(direction, target, actual, le_rule=bands.le_rule))


def execution_score(weight: Decimal, executed: Decimal, budget: Decimal) -> Decimal:
    """The execution rate's score: ``weight × min(executed ÷ budget, 1)``."""
    if budget <= 0:
        return ZERO
    return cents(Decimal(weight) * min(max(executed, Decimal(0)) / budget, Decimal(1)))


def execution_rate(executed: Decimal, budget: Decimal) -> Decimal | None:
    """全年执行数 ÷ 全年预算数, capped at 100 %, as a fraction with four places."""
    if budget <= 0:
        return None
    return min(executed / budget, Decimal(1)).quantize(Decimal("0.0001"),
                                                      rounding=ROUND_HALF_UP)


def rescaled(weights: list[Decimal]) -> list[Decimal]:
    """Weights rescaled to total exactly 100.00: proportional, cut to cents, the cents
    left over given to the largest remainders (ties to the first)."""
    total = sum(weights, Decimal(0))
    if total <= 0:
        return [ZERO for _ in weights]
    exact = [w * HUNDRED / total for w in weights]
    cut = [e.quantize(CENT, rounding=ROUND_DOWN) for e in exact]
    left = int(((HUNDRED - sum(cut)) / CENT).to_integral_value())
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - cut[i]), i))
    for i in order[:left]:
        cut[i] += CENT
    return cut


def grade(total: Decimal) -> str:
    if total >= 90:
        return "优"
    if total >= 80:
        return "良"
    if total >= 60:
        return "中"
    return "差"


@dataclass(frozen=True)
class Row:
    """An indicator as scored: its direction, weight, target and actual (or answer)."""

    direction: str
    weight: Decimal
    target: Decimal | None = None
    actual: Decimal | None = None
    answer: str | None = None
    percent: Decimal | None = None
    applicable: bool = True


@dataclass
class Scored:
    weight: Decimal  # after rescaling
    score: Decimal
    needs_reason: bool  # scored below its weight: 偏差原因分析及改进措施 required
    too_low: bool  # far above its target: a target set too low?


@dataclass
class SheetScore:
    execution_weight: Decimal
    execution_score: Decimal
    rows: list[Scored | None] = field(default_factory=list)  # None: does not apply

    @property
    def total(self) -> Decimal:
        return cents(self.execution_score + sum((r.score for r in self.rows if r), ZERO))

    @property
    def grade(self) -> str:
        return grade(self.total)


def sheet_score(rows: list[Row], *, execution_weight: Decimal, executed: Decimal,
                budget: Decimal, bands: Bands = Bands()) -> SheetScore:
    """The sheet's scores: the rows that apply and the execution rate's weight rescaled
    to 100 together, each row scored with its rescaled weight."""
    live = [i for i, row in enumerate(rows) if row.applicable]
    weights = rescaled([Decimal(execution_weight)] + [Decimal(rows[i].weight) for i in live])
    result = SheetScore(weights[0], execution_score(weights[0], executed, budget),
                        [None] * len(rows))
    for i, weight in zip(live, weights[1:], strict=True):
        row = rows[i]
        score = indicator_score(direction=row.direction, weight=weight, target=row.target,
                                actual=row.actual, answer=row.answer, percent=row.percent,
                                bands=bands)
        too_low = (row.direction == GE and row.target is not None and row.target > 0
                   and row.actual is not None and row.actual >= row.target * TOO_LOW_RATIO)
        result.rows[i] = Scored(weight, score, score < weight, too_low)
    return result
