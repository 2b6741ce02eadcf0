"""Reads of the 绩效 cycle: a sheet as its page and its files show it, scored."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from funds.models import Indicator, PerformanceSettings, TargetSheet
from funds.performance import scoring
from funds.performance.actuals import SOURCES, Scope, actual_of
from funds.workdays import time_share

Dir = Indicator.Direction
#: The monitoring's lights as the table and the report write them.
LIGHTS = {"green": "绿", "yellow": "黄", "red": "红", "": "—"}


def target_text(indicator: Indicator) -> str:
    """年度指标值 as the table writes it: ≥90%, =52个, ≤669.00万元, or the qualitative
    answer expected."""
    if indicator.direction == Indicator.Direction.QUALITATIVE:
        return "达成年度指标"
    # ＝ (full width), as the tables write it: a text starting "=" is a formula in Excel
    symbol = "＝" if indicator.direction == Indicator.Direction.EQ else dict(
        Indicator.Direction.choices)[indicator.direction]
    return f"{symbol}{indicator.target.normalize():f}{indicator.unit}"


def actual_text(indicator: Indicator) -> str:
    if not indicator.applicable:
        return "不适用"
    if indicator.direction == Indicator.Direction.QUALITATIVE:
        return str(indicator.get_answer_display()) if indicator.answer else ""
    return "" if indicator.actual is None else value_text(indicator.actual, indicator.unit)


def value_text(value, unit: str) -> str:
    return "—" if value is None else f"{Decimal(value).normalize():f}{unit}"


def bands_of(settings: PerformanceSettings) -> scoring.Bands:
    return scoring.Bands(
        achieved=(settings.achieved_low, settings.achieved_high),
        partial=(settings.partial_low, settings.partial_high),
        failed=(settings.failed_low, settings.failed_high), le_rule=settings.le_rule)


@dataclass
class Line:
    indicator: Indicator
    scored: scoring.Scored | None
    source_words: str

    @property
    def target_text(self) -> str:
        return target_text(self.indicator)

    @property
    def actual_text(self) -> str:
        return actual_text(self.indicator)


@dataclass
class SheetView:
    sheet: TargetSheet
    settings: PerformanceSettings
    initial_budget: Decimal  # yuan
    budget: Decimal  # 全年预算数, yuan
    executed: Decimal  # 全年执行数, yuan
    execution_rate: Decimal | None  # fraction
    score: scoring.SheetScore
    lines: list[Line]


def _row(indicator: Indicator) -> scoring.Row:
    return scoring.Row(direction=indicator.direction, weight=indicator.weight,
                       target=indicator.target, actual=indicator.actual,
                       answer=indicator.answer or None, percent=indicator.percent,
                       applicable=indicator.applicable)


#: The scoring settings a filed sheet keeps (PerformanceSettings' fields).
SCORING_FIELDS = ("execution_weight", "le_rule", "achieved_low", "achieved_high",
                  "partial_low", "partial_high", "failed_low", "failed_high")


def filed_figures_of(*, sheet: TargetSheet) -> dict:
    """What a sheet's score is computed from today, as the sheet keeps it when filed."""
    settings = PerformanceSettings.get()
    scope = Scope(sheet.fund_year, sheet.township)
    return {"budget": str(scope.budget()), "executed": str(scope.executed()),
            "settings": {name: str(getattr(settings, name)) for name in SCORING_FIELDS}}


def sheet_view(*, sheet: TargetSheet) -> SheetView:
    """The sheet scored: from the figures it was filed with, once filed; else from
    today's records and settings."""
    settings = PerformanceSettings.get()
    if sheet.is_filed and sheet.filed_figures:
        figures = sheet.filed_figures
        budget, executed = Decimal(figures["budget"]), Decimal(figures["executed"])
        scored_by = PerformanceSettings(**{
            name: value if name == "le_rule" else Decimal(value)
            for name, value in figures["settings"].items()})
    else:
        scope = Scope(sheet.fund_year, sheet.township)
        budget, executed, scored_by = scope.budget(), scope.executed(), settings
    indicators = list(sheet.indicators.order_by("position", "pk"))
    score = scoring.sheet_score([_row(i) for i in indicators],
                                execution_weight=scored_by.execution_weight,
                                executed=executed, budget=budget, bands=bands_of(scored_by))
    lines = [Line(i, s, str(SOURCES[i.source].words) if i.source in SOURCES else "")
             for i, s in zip(indicators, score.rows, strict=True)]
    return SheetView(sheet, settings, sheet.initial_budget, budget, executed,
                     scoring.execution_rate(executed, budget), score, lines)


@dataclass
class MonitorLine:
    indicator: Indicator
    progress: Decimal | None  # the value so far
    expected: Decimal | None  # the expected year-end value
    light: str  # green / yellow / red / "" (nothing to measure)

    @property
    def target_text(self) -> str:
        return target_text(self.indicator)

    @property
    def progress_text(self) -> str:
        return value_text(self.progress, self.indicator.unit)

    @property
    def expected_text(self) -> str:
        return value_text(self.expected, self.indicator.unit)

    @property
    def light_label(self) -> str:
        return LIGHTS[self.light]


def _light(indicator: Indicator, expected: Decimal | None) -> str:
    if expected is None or indicator.target is None:
        return ""
    share = scoring.fraction(indicator.direction, indicator.target, expected)
    return "green" if share >= Decimal("0.9") else "yellow" if share >= Decimal("0.7") else "red"


ACCRUING = {"total_cost"}  # a value that grows with the year: extrapolated to its end


def monitoring_get(*, sheet: TargetSheet, as_of: datetime.date):
    """Execution against time progress on ``as_of``, and each computed row's progress,
    the value expected by the year's end (accruing ones extrapolated linearly) and its
    light: green at 90 % of the target's share or more, yellow from 70 %, red below."""
    scope = Scope(sheet.fund_year, sheet.township, as_of)
    budget, executed = scope.budget(), scope.executed()
    share = time_share(sheet.fund_year.year, as_of)
    lines = []
    for indicator in sheet.indicators.order_by("position", "pk"):
        progress = (actual_of(indicator.source, scope, sheet)
                    if indicator.source in SOURCES else None)
        expected = progress
        if progress is not None and indicator.source in ACCRUING and share > 0:
            expected = (progress / share).quantize(Decimal("0.01"))
        lines.append(MonitorLine(indicator, progress, expected, _light(indicator, expected)))
    rate = scoring.execution_rate(executed, budget)
    gap = None if rate is None else (share - rate) * 100
    light = ("" if gap is None else "green" if gap <= 10 else "yellow" if gap <= 20 else "red")
    return {"as_of": as_of, "budget": budget, "executed": executed, "rate": rate,
            "time": share.quantize(Decimal("0.0001")), "light": light,
            "light_label": LIGHTS[light], "lines": lines}
