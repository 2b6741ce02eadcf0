"""The figures of each document kind, read through the selectors the pages use.

Every amount here comes from ``funds.budget.selectors`` (the allocation's annotated
``floor_amount``/``standard_amount``/``total_amount``, the budget check, the execution
totals), from ``funds.spending.selectors`` or from the ``CategoryChange`` rows: never from
the standards recomputed here, so that however the allocation is computed, the documents
say what the pages say. Each function returns the template's context: plain strings,
numbers, lists and dicts (what docs/documents.md lists), in the site language.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections import defaultdict
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from funds.budget.selectors import (
    TownshipBudget,
    allocation_list,
    budget_check_get,
    category_counts,
    execution_total_get,
    townships_with_category,
    with_spending,
)
from funds.models import DocumentSettings, FloorMode, FundYear
from funds.spending.selectors import (
    finding_carried_list,
    finding_year_list,
    inspection_year_list,
    spending_by_category_list,
    spent_expenditure_list,
)
from townships.models import Category, CategoryChange, CategorySource, Township
from wanyuan.money import (
    amount_in_capitals,
    format_percent,
    format_wan,
    format_yuan,
    to_yuan,
)

#: The fields every template may use, then those of each kind (docs/documents.md).
COMMON_FIELDS = {"county", "year", "previous_year", "next_year", "organs", "signers",
                 "date_text", "illustrative", "scope"}
FIELDS = {
    "plan": COMMON_FIELDS | {
        "method_text", "paid_text", "money_text", "excess_source",
        "rule_text", "floor_wan", "standards_text", "counts_text", "counts_before_text",
        "standards_total_wan", "floors_total_wan", "grand_total_wan", "special_fund_wan",
        "balance_text", "uncategorised", "changes", "changes_text", "merger_text", "rows",
        "total"},
    "posting": COMMON_FIELDS | {"rows", "total", "townships", "posting_period",
                                "objections_to", "period_text", "idle_text", "idle_count"},
    "execution": COMMON_FIELDS | {"rows", "total", "by_category", "large",
                                  "large_threshold", "low_rate", "below", "below_text",
                                  "below_rows", "source_text", "inspections"},
    "rectification": COMMON_FIELDS | {
        "findings", "inspection_count", "finding_count", "township_count", "involved_total",
        "carried_count", "carried_open", "rectified", "in_progress", "overdue",
        "restored_total"},
}
FIELDS["notice"] = FIELDS["plan"] | {"number", "recipients", "copy_to", "printing_organ",
                                     "printed_text", "large_threshold_wan"}


def date_text(day: datetime.date) -> str:
    """成文日期 as the standard writes it: Arabic numerals, no leading zeros."""
    return f"{day.year}年{day.month}月{day.day}日"


def digest(context: dict) -> str:
    """The sha256 of the figures, as the audit trail records them."""
    text = json.dumps(context, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _category_label(category) -> str:
    return str(Category(category).label) if category in Category.values else "未定类"


def _counts_text(counts: dict) -> str:
    parts = [f"{_category_label(c)}{counts.get(c, 0)}个" for c in Category.values]
    if counts.get(None):
        parts.append(f"未定类{counts[None]}个")
    return "、".join(parts)


def _common(fund_year: FundYear, settings: DocumentSettings, *, today: datetime.date,
            scope: str = "") -> dict:
    return {
        "county": settings.county_name,
        "year": fund_year.year,
        "previous_year": fund_year.year - 1,
        "next_year": fund_year.year + 1,
        "organs": DocumentSettings.lines(settings.issuing_organs),
        "signers": DocumentSettings.lines(settings.signers),
        "date_text": date_text(today),
        "illustrative": bool(fund_year.is_illustrative),
        "scope": scope,
    }


def _allocation_rows(fund_year: FundYear, queryset) -> list[dict]:
    rows = queryset.order_by("code").values_list(
        "pk", "code", "name", "category", "floor_amount", "standard_amount", "total_amount")
    return [{"id": pk, "code": code, "name": name, "category": _category_label(category),
             "category_value": category,
             "floor_amount": to_yuan(floor), "standard_amount": to_yuan(standard),
             "total_amount": to_yuan(total)}
            for pk, code, name, category, floor, standard, total in rows]


def _changes(year: int) -> list[dict]:
    """The year's category changes that stand (a reverted reclassification's do not),
    each with its reason (第3名/共52名 → 二类升一类)."""
    rows = (CategoryChange.objects.filter(year=year, new_category__isnull=False)
            .filter(Q(reclassification__isnull=True)
                    | Q(reclassification__reverted_at__isnull=True))
            .select_related("township").order_by("township__code", "changed_at", "id"))
    return [{"name": c.township.name, "code": c.township.code,
             "old": _category_label(c.old_category) if c.old_category else "—",
             "new": _category_label(c.new_category), "reason": c.reason,
             "up": c.old_category is not None and c.new_category < c.old_category,
             "down": c.old_category is not None and c.new_category > c.old_category}
            for c in rows if c.old_category != c.new_category
            # an imported or initial first classification is not a change from last year
            and not (c.old_category is None
                     and c.source in (CategorySource.IMPORT, CategorySource.INITIAL))]


def _merger_text(year: int, count_now: int, settings: DocumentSettings) -> str:
    """The change of the units themselves from last year (a merger such as 2020's 52→31),
    in the county's words: which units ended, which began, and that the county set the new
    units' categories. Empty when the units did not change."""
    units = list(Township.objects.filter(Q(last_year=year - 1) | Q(first_year=year))
                 .order_by("code").values_list("name", "last_year"))
    ended = [name for name, last in units if last == year - 1]
    began = [name for name, last in units if last != year - 1]
    before = Township.objects.in_service(year - 1).count() if units else 0
    if not ended and not (began and before):
        return ""
    organ = (DocumentSettings.lines(settings.issuing_organs) or [settings.county_name])[0]
    parts = []
    if ended:
        parts.append(f"撤并{'、'.join(ended)}{len(ended)}个乡镇")
    if began:
        parts.append(f"新设{'、'.join(began)}{len(began)}个乡镇")
    text = (f"根据{year - 1}年乡镇行政区划调整，{'，'.join(parts)}，全市纳入分配的乡镇由"
            f"{before}个调整为{count_now}个")
    if began:
        text += f"；新设乡镇{year}年的类别由{organ}研究确定"
    return text + "。"


def _rule_text(fund_year: FundYear) -> str:
    """How a township's amount is made, as the plan and the notice state it: the floor
    mode, and the adopted plan's formula (因素法) when the year has one."""
    text = {
        FloorMode.ELSEWHERE: ("每个乡镇的分配额为保底资金加所在类别的补助标准，"
                              "保底资金由其他资金保障"),
        FloorMode.IN_FUND: ("每个乡镇的分配额为保底资金加所在类别的补助标准，"
                            "保底资金与补助标准均从专项经费中列支"),
        FloorMode.MINIMUM: "每个乡镇按所在类别的补助标准分配，低于保底资金的补足到保底资金",
    }[fund_year.floor_mode]
    scenario = fund_year.adopted_scenario
    if scenario is not None:
        text += f"。本年度采用分配方案“{scenario.name}”：{scenario.formula_zh.rstrip('。')}"
    return text


def wan_exact(value: Decimal) -> str:
    """万元 as the county writes an amount exact to the yuan: 170,000 → 17, 147,319 →
    14.7319, 1,560,000 → 156 (no trailing zeros, never rounded)."""
    text = f"{(to_yuan(value) / 10000).quantize(Decimal('0.000001')).normalize():f}"
    return text


def _method_text(fund_year: FundYear) -> str:
    """How the amounts were made, in words, each figure once: the method (因素法 when
    a scaled or laddered plan is adopted), the floor and where it is paid from."""
    scenario = fund_year.adopted_scenario
    floor = wan_exact(fund_year.floor_amount)
    method = getattr(scenario, "method", None)
    if method == "scale":
        given = scenario.input_standards or {}
        base = "、".join(f"{_category_label(int(c))}{wan_exact(Decimal(v))}万元"
                         for c, v in sorted(given.items(), key=lambda i: int(i[0])))
        text = (f"按因素法分配：以各类别补助标准（{base}）为基数，按同一比例调整，"
                f"使专项经费全部分配到乡镇；")
        standard = "调整后的补助标准"
    elif method == "ladder":
        text = (f"按因素法分配：相邻类别的补助标准相差{wan_exact(scenario.gap)}万元，"
                f"据此确定各类别补助标准，使专项经费全部分配到乡镇；")
        standard = "所在类别的补助标准"
    else:
        text = "按乡镇类别分配，"
        standard = "所在类别的补助标准"
    text += {
        FloorMode.ELSEWHERE: f"每个乡镇的分配额为{standard}加保底资金{floor}万元，"
                             f"保底资金由其他资金保障",
        FloorMode.IN_FUND: f"每个乡镇的分配额为{standard}加保底资金{floor}万元，"
                           f"均从专项经费中列支",
        FloorMode.MINIMUM: f"每个乡镇的分配额为{standard}，低于保底资金{floor}万元的"
                           f"补足到保底资金",
    }[fund_year.floor_mode]
    if method in ("scale", "ladder") and scenario.recipients:
        text += f"；金额取整到{scenario.rounding_unit}元，尾差按最大余额法分配"
    return text


def _paid_text(rows: list[dict]) -> str:
    """Each category as paid, per township, exact to the yuan: 一类20个，每个17.7319万元;
    where the largest remainders give some one yuan more, both amounts with their counts."""
    by_category: dict = defaultdict(lambda: defaultdict(int))
    for row in rows:
        if row["category_value"] is not None:
            by_category[row["category_value"]][row["total_amount"]] += 1
    parts = []
    for category in Category.values:
        amounts = by_category.get(category)
        if not amounts:
            continue
        count = sum(amounts.values())
        label = _category_label(category)
        if len(amounts) == 1:
            parts.append(f"{label}{count}个，每个{wan_exact(next(iter(amounts)))}万元")
        else:
            each = "、".join(f"{n}个各{wan_exact(amount)}万元"
                             for amount, n in sorted(amounts.items(), reverse=True))
            parts.append(f"{label}{count}个，其中{each}")
    return "；".join(parts)


def _sources(check, fund_year: FundYear) -> tuple[Decimal, Decimal, Decimal]:
    """The allocation by source, the one rule of every document: what the special fund
    pays (never more than the fund less the reserve), the floors paid from other funds,
    and the excess over the fund."""
    floors = check.floors_total if fund_year.floor_mode == FloorMode.ELSEWHERE else Decimal(0)
    return min(check.fund_covered, check.fund_available), floors, check.shortfall


def _money_text(check, fund_year: FundYear, excess_source: str) -> str:
    """The money by source, each figure once: the total, what the special fund pays
    (never more than the fund less the reserve), the floors from other funds, and an
    excess over the fund with the source the user stated; then the fund itself only
    where it says something more (a reserve, money left unallocated)."""
    from_fund, floors, excess = _sources(check, fund_year)
    text = f"分配总额{wan_exact(check.grand_total)}万元，其中专项经费{wan_exact(from_fund)}万元"
    if floors:
        text += f"，保底资金{wan_exact(floors)}万元由其他资金保障"
    if excess:
        text += f"，超出专项经费的{wan_exact(excess)}万元由{excess_source}解决"
    text += "。"
    fund_parts = []
    if check.reserve:
        fund_parts.append(f"预留{wan_exact(check.reserve)}万元")
    if check.surplus:
        fund_parts.append(f"尚未分配{wan_exact(check.surplus)}万元")
    if fund_parts:
        text += f"市级专项经费预算{wan_exact(check.special_fund)}万元，" + "，".join(
            fund_parts) + "。"
    return text


def plan_figures(fund_year: FundYear, settings: DocumentSettings, *,
                 today: datetime.date | None = None, excess_source: str = "") -> dict:
    """资金分配方案: the basis, the changes from last year, every township, the totals."""
    today = today or timezone.localdate()
    check = budget_check_get(fund_year=fund_year)
    rows = _allocation_rows(fund_year, allocation_list(fund_year=fund_year))
    changes = _changes(fund_year.year)
    difference = check.difference
    covered = ("补助标准合计" if fund_year.floor_mode == FloorMode.ELSEWHERE
               else "补助标准与保底资金合计")
    fund = ("专项经费" if not check.reserve
            else f"专项经费扣除预留{format_wan(check.reserve)}万元后")
    if difference < 0:
        balance = (f"{covered}超出{fund}{format_wan(-difference)}万元，"
                   f"存在资金缺口{format_wan(-difference)}万元")
    elif difference > 0:
        balance = f"{covered}低于{fund}，结余{format_wan(difference)}万元"
    else:
        balance = f"{covered}与{fund}相等"
    up = sum(1 for c in changes if c["up"])
    down = sum(1 for c in changes if c["down"])
    # the ranking moves categories up and down; a unit's first category (a merger's new
    # unit) is the merger's, said in merger_text
    changes_text = (f"{up + down}个乡镇类别有调整（升类{up}个、降类{down}个），"
                    if up + down else "乡镇类别无升降调整，")
    standards = fund_year.standards
    context = {
        **_common(fund_year, settings, today=today),
        "method_text": _method_text(fund_year),
        "paid_text": _paid_text(rows),
        "money_text": _money_text(check, fund_year, excess_source),
        "excess_source": excess_source,
        "rule_text": _rule_text(fund_year),
        "floor_wan": format_wan(fund_year.floor_amount),
        "standards_text": "、".join(f"{_category_label(c)}乡镇每个{format_wan(v)}万元"
                                   for c, v in standards.items()),
        "counts_text": _counts_text({**check.counts, None: check.uncategorised}),
        "counts_before_text": _counts_text(
            category_counts(townships_with_category(fund_year.year - 1))),
        "standards_total_wan": format_wan(check.standards_total),
        "floors_total_wan": format_wan(check.floors_total),
        "grand_total_wan": format_wan(check.grand_total),
        "special_fund_wan": format_wan(check.special_fund),
        "balance_text": balance,
        "uncategorised": check.uncategorised,
        "changes": [{k: c[k] for k in ("name", "code", "old", "new", "reason")}
                    for c in changes],
        "changes_text": changes_text,
        "merger_text": _merger_text(fund_year.year, check.township_count, settings),
        # amounts in yuan, exact: the notice, the posting and the CSV say the same
        "rows": [{"code": r["code"], "name": r["name"], "category": r["category"],
                  "floor": format_yuan(r["floor_amount"]),
                  "standard": format_yuan(r["standard_amount"]),
                  "total": format_yuan(r["total_amount"])} for r in rows],
        "total": {"count": check.township_count, "floor": format_yuan(check.floors_total),
                  "standard": format_yuan(check.standards_total),
                  "total": format_yuan(check.grand_total)},
    }
    return context, rows, check


def notice_figures(fund_year: FundYear, settings: DocumentSettings, *, number: str,
                   today: datetime.date | None = None, excess_source: str = "") -> dict:
    """下达通知: the plan's figures, each township's amount in yuan and in 大写, and the
    county's words around them."""
    today = today or timezone.localdate()
    context, rows, check = plan_figures(fund_year, settings, today=today,
                                        excess_source=excess_source)
    for shown, row in zip(context["rows"], rows, strict=True):
        shown["total_yuan"] = format_yuan(row["total_amount"])
        shown["capitals"] = amount_in_capitals(row["total_amount"])
    context["total"].update(total_yuan=format_yuan(check.grand_total),
                            capitals=amount_in_capitals(check.grand_total))
    context.update(number=number, recipients=settings.recipients, copy_to=settings.copy_to,
                   printing_organ=settings.printing_organ, printed_text=date_text(today),
                   large_threshold_wan=wan_exact(fund_year.large_spending_threshold))
    return context


#: What a document says of a row brought in from a township's existing ledger.
IMPORTED_TEXT = "导入（未经本系统审批）"


def _decision_text(decision) -> str:
    if decision is None:
        return ""
    text = f"{decision.get_meeting_type_display()}（{decision.meeting_date:%Y-%m-%d}）"
    if decision.minutes_reference:
        text += decision.minutes_reference
    return text


#: The periods a 公示 covers: a quarter, the first half, or the whole year.
PERIODS = {
    "q1": ((1, 1), (3, 31), "第一季度"), "q2": ((4, 1), (6, 30), "第二季度"),
    "q3": ((7, 1), (9, 30), "第三季度"), "q4": ((10, 1), (12, 31), "第四季度"),
    "h1": ((1, 1), (6, 30), "上半年"), "year": ((1, 1), (12, 31), "全年"),
}


def default_period(year: int, dated: datetime.date) -> str:
    """The quarter the document is dated in, within its fund year (a 公示 dated after the
    year covers its last quarter, one dated before it the first)."""
    if dated.year < year:
        return "q1"
    if dated.year > year:
        return "q4"
    return f"q{(dated.month - 1) // 3 + 1}"


def posting_figures(fund_year: FundYear, settings: DocumentSettings, *, township=None,
                    today: datetime.date | None = None, period: str | None = None) -> dict:
    """公示: each township's category and amount, and its itemised spending of the period
    (a quarter by default); the townships without spending in it in one line."""
    today = today or timezone.localdate()
    period = period or default_period(fund_year.year, today)
    (first_month, first_day), (last_month, last_day), period_name = PERIODS[period]
    start = datetime.date(fund_year.year, first_month, first_day)
    end = datetime.date(fund_year.year, last_month, last_day)
    queryset = allocation_list(fund_year=fund_year)
    if township is not None:
        queryset = queryset.filter(pk=township.pk)
    rows = _allocation_rows(fund_year, queryset)
    check = budget_check_get(fund_year=fund_year, rows=queryset if township is not None else None)
    items = defaultdict(list)
    spent = defaultdict(lambda: Decimal("0.00"))
    for e in spent_expenditure_list(year=fund_year.year, township=township):
        spent[e.township_id] += to_yuan(e.amount)
        if start <= e.date <= end:
            items[e.township_id].append({
                "date": f"{e.date:%Y-%m-%d}", "purpose": e.purpose, "payee": e.payee,
                "category": e.category.name, "amount": format_yuan(e.amount),
                "decision": _decision_text(e.decision) or (
                    IMPORTED_TEXT if e.ledger_import_id else "")})
    idle = [r["name"] for r in rows if not items[r["id"]]]
    period_text = (f"{fund_year.year}年{period_name}（{start.month}月{start.day}日至"
                   f"{end.month}月{end.day}日）")
    return {
        **_common(fund_year, settings, today=today,
                  scope=township.name if township is not None else ""),
        "posting_period": settings.posting_period,
        "objections_to": settings.objections_to,
        "period_text": period_text,
        "rows": [{"code": r["code"], "name": r["name"], "category": r["category"],
                  "total": format_yuan(r["total_amount"])} for r in rows],
        "total": {"count": check.township_count, "total": format_yuan(check.grand_total)},
        # only the townships with spending in the period are itemised
        "townships": [{"name": r["name"], "code": r["code"], "category": r["category"],
                       "total": format_yuan(r["total_amount"]),
                       "spent": format_yuan(spent[r["id"]]), "expenditures": items[r["id"]]}
                      for r in rows if items[r["id"]]],
        "idle_text": "、".join(idle),
        "idle_count": len(idle),
    }


def execution_figures(fund_year: FundYear, settings: DocumentSettings, *,
                      today: datetime.date | None = None) -> tuple[dict, dict]:
    """Execution report: per township allocation, approved, reimbursed and 执行率, by
    spending category, large spending with its decision, the low rates, the inspections;
    the allocation by source (专项经费, floors from other funds).

    Returns the template's context and the same figures as numbers for the workbook.
    """
    today = today or timezone.localdate()
    rows = (with_spending(allocation_list(fund_year=fund_year), fund_year.year).order_by("code")
            .values_list("code", "name", "category", "total_amount", "approved_cents",
                         "reimbursed_cents"))
    budgets = [(code, name, _category_label(category),
                TownshipBudget.of_row(to_yuan(total), approved, reimbursed))
               for code, name, category, total, approved, reimbursed in rows]
    total = execution_total_get(fund_year=fund_year)
    low = settings.low_execution_rate / 100
    below = [(name, b.execution_rate) for _c, name, _k, b in budgets
             if b.execution_rate is not None and b.execution_rate < low]
    threshold = to_yuan(fund_year.large_spending_threshold)
    large = [e for e in spent_expenditure_list(year=fund_year.year)
             if fund_year.is_large(e.amount)]
    by_category = spending_by_category_list(year=fund_year.year)
    inspections = list(inspection_year_list(year=fund_year.year))

    def shown(budget: TownshipBudget) -> dict:
        return {"allocation": format_yuan(budget.allocation),
                "approved": format_yuan(budget.approved),
                "reimbursed": format_yuan(budget.reimbursed),
                "rate": format_percent(budget.execution_rate)}

    context = {
        **_common(fund_year, settings, today=today),
        "rows": [{"code": code, "name": name, "category": category, **shown(b)}
                 for code, name, category, b in budgets],
        "total": {"count": len(budgets), **shown(total)},
        "by_category": [{"name": name, "count": n, "amount": format_yuan(amount)}
                        for name, n, amount in by_category],
        "large_threshold": format_yuan(threshold),
        "large": [{"township": e.township.name, "date": f"{e.date:%Y-%m-%d}",
                   "purpose": e.purpose, "amount": format_yuan(e.amount),
                   "decision": _decision_text(e.decision) or "无记录"} for e in large],
        "low_rate": format_percent(low),
        "below": [{"name": name, "rate": format_percent(r)} for name, r in below],
        "below_text": "、".join(f"{name}（{format_percent(r)}）" for name, r in below),
        "below_rows": [{"name": name, "category": category, **shown(b)}
                       for _c, name, category, b in budgets
                       if b.execution_rate is not None and b.execution_rate < low],
        "source_text": _source_text(fund_year),
        "inspections": [{"date": f"{i.date:%Y-%m-%d}", "inspectors": i.inspectors,
                         "townships": i.township_count, "findings": i.findings_count,
                         "open": i.open_findings} for i in inspections],
    }
    numbers = {"budgets": budgets, "total": total, "by_category": by_category,
               "large": large, "inspections": inspections}
    return context, numbers


def _source_text(fund_year: FundYear) -> str:
    """Where the allocated money comes from, for the execution report: the floors paid
    from other funds are not 专项经费."""
    from_fund, floors, excess = _sources(budget_check_get(fund_year=fund_year), fund_year)
    text = f"其中专项经费{format_yuan(from_fund)}元"
    if floors:
        text += f"，保底资金{format_yuan(floors)}元由其他资金保障"
    if excess:
        text += f"，超出专项经费{format_yuan(excess)}元由其他资金解决"
    return text


def _status(finding, today) -> str:
    if not finding.is_open:
        return "已整改"
    return "逾期未整改" if finding.deadline < today else "整改中"


def rectification_figures(fund_year: FundYear, settings: DocumentSettings, *, township=None,
                          today: datetime.date | None = None) -> tuple[dict, list]:
    """整改台账 / 整改情况报告: the findings of the year's inspections and their totals,
    each finding's status as the records stand now (``today`` is the document's date)."""
    today = today or timezone.localdate()
    now = timezone.localdate()
    carried = list(finding_carried_list(year=fund_year.year, township=township))
    findings = carried + list(finding_year_list(year=fund_year.year, township=township))
    this_year = findings[len(carried):]
    involved = sum((to_yuan(f.amount_involved) for f in this_year), Decimal("0.00"))
    restored = sum((to_yuan(f.amount_restored) for f in findings), Decimal("0.00"))
    open_findings = [f for f in findings if f.is_open]
    context = {
        **_common(fund_year, settings, today=today,
                  scope=township.name if township is not None else ""),
        "findings": [{"township": f.township.name, "problem": f.description,
                      "found": str(f.inspection.date.year),
                      "involved": format_yuan(f.amount_involved),
                      "deadline": f"{f.deadline:%Y-%m-%d}", "status": _status(f, now),
                      "note": f.closure_note, "restored": format_yuan(f.amount_restored)}
                     for f in findings],
        "inspection_count": len({f.inspection_id for f in this_year}) if township is not None
        else inspection_year_list(year=fund_year.year).count(),
        "finding_count": len(this_year),
        "township_count": len({f.township_id for f in this_year}),
        "involved_total": format_yuan(involved),
        "carried_count": len(carried),
        "carried_open": sum(1 for f in carried if f.is_open),
        "rectified": len(findings) - len(open_findings),
        "in_progress": len(open_findings),
        "overdue": sum(1 for f in open_findings if f.deadline < now),
        "restored_total": format_yuan(restored),
    }
    return context, findings
