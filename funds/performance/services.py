"""Writes of the 绩效 cycle: a target sheet started from the library or from last year's,
edited (every change audited with old and new values), its actuals computed from the
records, filed (locked) and reopened with a reason."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from funds.models import FundYear, Indicator, PerformanceSettings, TargetSheet
from funds.performance.actuals import SOURCES, Scope, actual_of
from townships.audit import stored_text
from townships.models import AuditEvent, Township
from townships.roles import require_permission

L1, L2, Dir = Indicator.Level1, Indicator.Level2, Indicator.Direction


class PerformanceError(Exception):
    """A refused write of the 绩效 cycle; the message is for the user."""


@dataclass(frozen=True)
class LibraryRow:
    level1: str
    level2: str
    name: str
    direction: str
    target: Decimal | None
    unit: str
    weight: Decimal
    source: str = ""


def library(fund_year: FundYear, township: Township | None = None) -> list[LibraryRow]:
    """The starting indicators, after a real 村级补助 table (EVALUATION.md): outputs 50,
    benefits 30, satisfaction 10 (the execution rate's 10 is apart)."""
    count = (Township.objects.in_service(fund_year.year).count() if township is None else 1)
    cost = (fund_year.fund_available / Decimal(10000)).quantize(Decimal("0.01"))
    D = Decimal
    return [
        LibraryRow(L1.OUTPUT, L2.QUANTITY, "补助乡镇数量", Dir.EQ, D(count), "个", D(15),
                   "townships_covered"),
        LibraryRow(L1.OUTPUT, L2.QUALITY, "资金到位率", Dir.EQ, D(100), "%", D(10),
                   "funds_in_place"),
        LibraryRow(L1.OUTPUT, L2.QUALITY, "发票齐全率", Dir.GE, D(100), "%", D(5),
                   "invoice_share"),
        LibraryRow(L1.OUTPUT, L2.QUALITY, "经费审批流程规范性", Dir.QUALITATIVE, None, "",
                   D(5)),
        LibraryRow(L1.OUTPUT, L2.TIMELINESS, "资金下达及时性", Dir.LE, D(30), "天", D(5),
                   "days_to_issue"),
        LibraryRow(L1.OUTPUT, L2.COST, "项目总成本", Dir.LE, cost, "万元", D(10), "total_cost"),
        LibraryRow(L1.BENEFIT, L2.SOCIAL, "发现问题整改率", Dir.GE, D(90), "%", D(10),
                   "rectification_rate"),
        LibraryRow(L1.BENEFIT, L2.SOCIAL, "大额支出集体决策率", Dir.GE, D(100), "%", D(5),
                   "decision_share"),
        LibraryRow(L1.BENEFIT, L2.SUSTAINABLE, "对基层党组织正常运转的保障作用",
                   Dir.QUALITATIVE, None, "", D(15)),
        LibraryRow(L1.SATISFACTION, L2.SATISFACTION, "服务对象满意度", Dir.GE, D(90), "%",
                   D(10)),
    ]


INDICATOR_FIELDS = ("position", "level1", "level2", "name", "direction", "target", "unit",
                    "weight", "source", "actual", "answer", "percent", "applicable",
                    "deviation_reason")
SHEET_FIELDS = ("goal", "achieved", "budget_date", "initial_budget", "monitoring_measures")


def _value(value):
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def _snapshot(sheet: TargetSheet) -> dict:
    return {"sheet": {f: _value(getattr(sheet, f)) for f in SHEET_FIELDS},
            "indicators": [{f: _value(getattr(i, f)) for f in ("id", *INDICATOR_FIELDS)}
                           for i in sheet.indicators.order_by("position", "pk")]}


def _audit(action, sheet: TargetSheet, acting_user, summary, details):
    AuditEvent.objects.create(action=action, year=sheet.fund_year.year, actor=acting_user,
                              summary=stored_text(summary), details=details)


def _scope_name(sheet: TargetSheet) -> str:
    return sheet.township.name if sheet.township_id else str(_("the county"))


def _locked(sheet: TargetSheet) -> TargetSheet:
    sheet = TargetSheet.objects.select_for_update(of=("self",)).select_related(
        "fund_year", "township").get(pk=sheet.pk)
    if sheet.is_filed:
        raise PerformanceError(_("The self-evaluation is filed: reopen it with a reason to "
                                 "change it."))
    return sheet


@transaction.atomic
def sheet_start(*, fund_year: FundYear, township: Township | None = None, acting_user,
                copy_last_year: bool = False) -> TargetSheet:
    """A year's sheet from the library, or a copy of last year's (its goal, indicators,
    targets and weights; no actuals, answers or reasons)."""
    require_permission(acting_user, "funds.add_targetsheet")
    if TargetSheet.objects.filter(fund_year=fund_year, township=township).exists():
        raise PerformanceError(_("This year's sheet exists."))
    if copy_last_year:
        last = TargetSheet.objects.filter(fund_year__year=fund_year.year - 1,
                                          township=township).first()
        if last is None:
            raise PerformanceError(_("There is no sheet of %(year)s to copy.")
                                   % {"year": fund_year.year - 1})
        goal = last.goal
        rows = [LibraryRow(i.level1, i.level2, i.name, i.direction, i.target, i.unit,
                           i.weight, i.source) for i in last.indicators.all()]
    else:
        goal = _("Support the normal work of the grassroots party organizations of every "
                 "township with the year's party-building special fund, spent under the "
                 "closed loop of budget, use, management and inspection.")
        rows = library(fund_year, township)
    sheet = TargetSheet.objects.create(fund_year=fund_year, township=township, goal=goal,
                                       initial_budget=fund_year.fund_available)
    Indicator.objects.bulk_create(
        Indicator(sheet=sheet, position=n, level1=r.level1, level2=r.level2, name=r.name,
                  direction=r.direction, target=r.target, unit=r.unit, weight=r.weight,
                  source=r.source) for n, r in enumerate(rows, start=1))
    _audit(AuditEvent.Action.PERFORMANCE_CHANGED, sheet, acting_user,
           lambda: _("Performance sheet of %(year)s (%(scope)s) started %(how)s") % {
               "year": fund_year.year, "scope": _scope_name(sheet),
               "how": _("from last year's") if copy_last_year else _("from the library")},
           {"sheet": sheet.pk, "after": _snapshot(sheet)})
    return sheet


def weights_problem(weights, execution_weight: Decimal) -> str | None:
    total = sum(weights, Decimal(0)) + execution_weight
    if total != 100:
        return _("The weights total %(total)s with the execution rate's %(execution)s; they "
                 "must total 100.") % {"total": f"{total:.2f}",
                                       "execution": f"{execution_weight:.2f}"}
    return None


@transaction.atomic
def sheet_update(*, sheet: TargetSheet, values: dict, indicators: list[dict],
                 acting_user) -> TargetSheet:
    """Save the sheet's texts and its rows (dicts of ``INDICATOR_FIELDS``, with ``id`` for
    a kept row; rows not given are removed); the weights must total 100; audited with the
    values before and after."""
    require_permission(acting_user, "funds.change_targetsheet")
    sheet = _locked(sheet)
    problem = weights_problem([Decimal(r["weight"]) for r in indicators],
                              PerformanceSettings.get().execution_weight)
    if problem:
        raise PerformanceError(problem)
    for row in indicators:
        if row["direction"] != Dir.QUALITATIVE and row.get("target") is None:
            raise PerformanceError(_("“%(name)s” needs a target value.") % {"name": row["name"]})
        if row.get("source") and row["source"] not in SOURCES:
            raise PerformanceError(_("“%(name)s”: there is no such computation.")
                                   % {"name": row["name"]})
    before = _snapshot(sheet)
    for name in SHEET_FIELDS:
        if name in values:
            setattr(sheet, name, values[name])
    sheet.save()
    kept = {r["id"] for r in indicators if r.get("id")}
    sheet.indicators.exclude(pk__in=kept).delete()
    for n, row in enumerate(indicators, start=1):
        data = {f: row.get(f) for f in INDICATOR_FIELDS if f in row}
        data["position"] = n
        for text in ("unit", "source", "answer", "deviation_reason"):
            data[text] = data.get(text) or ""
        if row.get("id"):
            Indicator.objects.filter(pk=row["id"], sheet=sheet).update(**data)
        else:
            Indicator.objects.create(sheet=sheet, **data)
    after = _snapshot(sheet)
    if after != before:
        _audit(AuditEvent.Action.PERFORMANCE_CHANGED, sheet, acting_user,
               lambda: _("Performance sheet of %(year)s (%(scope)s) changed") % {
                   "year": sheet.fund_year.year, "scope": _scope_name(sheet)},
               {"sheet": sheet.pk, "before": before, "after": after})
    return sheet


@transaction.atomic
def actuals_compute(*, sheet: TargetSheet, acting_user) -> list[Indicator]:
    """Fill every row that names a computation with its value from the records."""
    require_permission(acting_user, "funds.change_targetsheet")
    sheet = _locked(sheet)
    before = _snapshot(sheet)
    scope = Scope(sheet.fund_year, sheet.township)
    rows = list(sheet.indicators.exclude(source=""))
    for row in rows:
        row.actual = actual_of(row.source, scope, sheet)
        row.save(update_fields=["actual"])
    after = _snapshot(sheet)
    if after != before:
        _audit(AuditEvent.Action.PERFORMANCE_CHANGED, sheet, acting_user,
               lambda: _("Actual values of %(year)s (%(scope)s) computed from the records") % {
                   "year": sheet.fund_year.year, "scope": _scope_name(sheet)},
               {"sheet": sheet.pk, "before": before, "after": after})
    return rows


def filing_problems(sheet: TargetSheet) -> list[str]:
    """What keeps a sheet from being filed: unanswered rows, missing actuals, and rows
    scored below their weight without the deviation's reason."""
    from funds.performance.selectors import sheet_view

    view = sheet_view(sheet=sheet)
    problems = []
    for line in view.lines:
        row = line.indicator
        if not row.applicable:
            continue
        if row.direction == Dir.QUALITATIVE and not row.answer:
            problems.append(_("“%(name)s” has no answer.") % {"name": row.name})
        elif row.direction != Dir.QUALITATIVE and row.actual is None:
            problems.append(_("“%(name)s” has no actual value.") % {"name": row.name})
        elif line.scored.needs_reason and not row.deviation_reason.strip():
            problems.append(_("“%(name)s” scored below its weight: give the deviation's "
                              "reason and the measures.") % {"name": row.name})
    return problems


@transaction.atomic
def sheet_file(*, sheet: TargetSheet, acting_user) -> TargetSheet:
    require_permission(acting_user, "funds.file_self_evaluation")
    sheet = _locked(sheet)
    problems = filing_problems(sheet)
    if problems:
        raise PerformanceError(" ".join(problems))
    from funds.performance.selectors import filed_figures_of, sheet_view

    sheet.filed_figures = filed_figures_of(sheet=sheet)
    sheet.filed_at, sheet.filed_by = timezone.now(), acting_user
    sheet.save(update_fields=["filed_at", "filed_by", "filed_figures"])
    view = sheet_view(sheet=sheet)
    _audit(AuditEvent.Action.PERFORMANCE_FILED, sheet, acting_user,
           lambda: _("Self-evaluation of %(year)s (%(scope)s) filed: %(total)s, %(grade)s") % {
               "year": sheet.fund_year.year, "scope": _scope_name(sheet),
               "total": view.score.total, "grade": view.score.grade},
           {"sheet": sheet.pk, "total": str(view.score.total), "grade": view.score.grade,
            "snapshot": _snapshot(sheet)})
    return sheet


@transaction.atomic
def sheet_reopen(*, sheet: TargetSheet, reason: str, acting_user) -> TargetSheet:
    require_permission(acting_user, "funds.file_self_evaluation")
    sheet = TargetSheet.objects.select_for_update(of=("self",)).select_related(
        "fund_year", "township").get(pk=sheet.pk)
    if not sheet.is_filed:
        raise PerformanceError(_("The self-evaluation is not filed."))
    reason = (reason or "").strip()
    if not reason:
        raise PerformanceError(_("Reopening needs a reason."))
    sheet.filed_at = sheet.filed_by = None
    sheet.filed_figures = {}
    sheet.save(update_fields=["filed_at", "filed_by", "filed_figures"])
    _audit(AuditEvent.Action.PERFORMANCE_REOPENED, sheet, acting_user,
           lambda: _("Self-evaluation of %(year)s (%(scope)s) reopened: %(reason)s") % {
               "year": sheet.fund_year.year, "scope": _scope_name(sheet), "reason": reason},
           {"sheet": sheet.pk, "reason": reason})
    return sheet


@transaction.atomic
def indicator_evidence_attach(*, indicator: Indicator, upload, acting_user) -> Indicator:
    """Attach the evidence of an entered value (a survey's results, a report): a PDF,
    image or OFD checked by its content; audited."""
    from funds.spending.services import SpendingError, check_upload

    require_permission(acting_user, "funds.change_targetsheet")
    sheet = _locked(indicator.sheet)
    try:
        extension = check_upload(upload)
    except SpendingError as exc:
        raise PerformanceError(str(exc)) from exc
    # by its key alone: ordering by the sheet would join a nullable side under FOR UPDATE
    indicator = (Indicator.objects.select_for_update().filter(pk=indicator.pk, sheet=sheet)
                 .order_by("pk").first())
    if indicator is None:
        raise PerformanceError(_("The row was deleted: its evidence is not kept."))
    name = upload.name
    indicator.evidence.save(f"{uuid.uuid4().hex}{extension}", upload, save=True)
    _audit(AuditEvent.Action.PERFORMANCE_CHANGED, sheet, acting_user,
           lambda: _("Evidence “%(name)s” attached to “%(indicator)s”") % {
               "name": name, "indicator": indicator.name},
           {"sheet": sheet.pk, "indicator": indicator.pk, "evidence": indicator.evidence.name,
            "file": name})
    return indicator
