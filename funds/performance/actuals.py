"""Actual values of a target sheet computed from the records, each with the query behind
it in words (shown on the page beside the figure). Percentages are in percent (95.50),
money in 万元, as the 自评表 states them. ``as_of`` (monitoring) counts what happened by
that day; without it, everything of the year."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F, Q, Sum
from django.utils.translation import gettext_lazy as _

from funds.budget.selectors import allocation_row_list
from funds.models import SPENT_STATUSES, Expenditure, Finding, FundYear, Voucher
from townships.models import AuditEvent

HUNDRED = Decimal(100)
TWO = Decimal("0.01")


def _percent(part, whole) -> Decimal | None:
    if not whole:
        return None
    return min(Decimal(part) * HUNDRED / Decimal(whole), HUNDRED).quantize(
        TWO, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Scope:
    fund_year: FundYear
    township: object = None  # a Township, or None for the county
    as_of: datetime.date | None = None

    def expenditures(self):
        rows = Expenditure.objects.filter(year=self.fund_year.year)
        if self.township is not None:
            rows = rows.filter(township=self.township)
        if self.as_of is not None:
            rows = rows.filter(date__lte=self.as_of)
        return rows

    def allocations(self) -> list[dict]:
        rows = list(allocation_row_list(fund_year=self.fund_year))
        if self.township is not None:
            rows = [r for r in rows if r["pk"] == self.township.pk]
        return rows

    def budget(self) -> Decimal:
        """全年预算数: the year's allocation (of the township), in yuan."""
        return sum((r["total_amount"] for r in self.allocations()), Decimal("0.00"))

    def executed(self) -> Decimal:
        """全年执行数: what was reimbursed (by ``as_of``), in yuan."""
        rows = self.expenditures().filter(status=Expenditure.Status.REIMBURSED)
        if self.as_of is not None:
            rows = rows.filter(reimbursed_on__lte=self.as_of)
        return rows.aggregate(s=Sum("amount"))["s"] or Decimal("0.00")


def townships_covered(scope: Scope, sheet) -> Decimal:
    return Decimal(sum(1 for r in scope.allocations() if r["total_amount"] > 0))


def funds_in_place(scope: Scope, sheet) -> Decimal | None:
    available = (scope.fund_year.fund_available if scope.township is None else scope.budget())
    return _percent(scope.budget(), available)


def days_to_issue(scope: Scope, sheet) -> Decimal | None:
    if sheet is None or sheet.budget_date is None:
        return None
    dated = (AuditEvent.objects.filter(action=AuditEvent.Action.DOCUMENT_GENERATED,
                                       year=scope.fund_year.year, details__kind="notice")
             .order_by("-created_at").values_list("details__dated", flat=True).first())
    if not dated:
        return None
    return Decimal((datetime.date.fromisoformat(dated) - sheet.budget_date).days)


def execution_rate(scope: Scope, sheet) -> Decimal | None:
    return _percent(scope.executed(), scope.budget())


def total_cost(scope: Scope, sheet) -> Decimal:
    spent = scope.expenditures().filter(status__in=SPENT_STATUSES).aggregate(
        s=Sum("amount"))["s"] or Decimal("0.00")
    return (spent / Decimal(10000)).quantize(TWO, rounding=ROUND_HALF_UP)


def decision_share(scope: Scope, sheet) -> Decimal | None:
    """Large spent items with a decision dated on or before the payment."""
    large = scope.expenditures().filter(status__in=SPENT_STATUSES,
                                        amount__gte=scope.fund_year.large_spending_threshold)
    decided = large.filter(decision__isnull=False).filter(
        Q(reimbursed_on__isnull=True) | Q(decision__meeting_date__lte=F("reimbursed_on")))
    return _percent(decided.count(), large.count())


def rectification_rate(scope: Scope, sheet) -> Decimal | None:
    findings = Finding.objects.filter(inspection__date__year=scope.fund_year.year)
    if scope.township is not None:
        findings = findings.filter(township=scope.township)
    if scope.as_of is not None:
        findings = findings.filter(inspection__date__lte=scope.as_of)
        closed = findings.filter(closed_at__date__lte=scope.as_of)
    else:
        closed = findings.filter(closed_at__isnull=False)
    return _percent(closed.count(), findings.count())


def invoice_share(scope: Scope, sheet) -> Decimal | None:
    reimbursed = scope.expenditures().filter(status=Expenditure.Status.REIMBURSED)
    with_invoice = reimbursed.filter(
        pk__in=Voucher.objects.filter(kind=Voucher.Kind.INVOICE).exclude(invoice_key="")
        .values("expenditure_id"))
    return _percent(with_invoice.count(), reimbursed.count())


@dataclass(frozen=True)
class Source:
    label: str
    unit: str
    words: str
    compute: object


SOURCES = {
    "townships_covered": Source(
        _("Townships covered"), "个",
        _("Townships in service in the year whose allocation is above zero (the allocation "
          "page's rows)."), townships_covered),
    "funds_in_place": Source(
        _("Funds in place"), "%",
        _("The townships' allocations ÷ the special fund less the reserve, at most 100 %."),
        funds_in_place),
    "days_to_issue": Source(
        _("Days to issue the funds"), "天",
        _("Days from the budget's approval date (on this sheet) to the date of the notice "
          "issuing the funds (the last one generated for the year, from the audit trail)."),
        days_to_issue),
    "execution_rate": Source(
        _("Execution rate"), "%",
        _("Reimbursed ÷ the year's allocation (全年执行数 ÷ 全年预算数), at most 100 %: the "
          "execution page's figure."), execution_rate),
    "total_cost": Source(
        _("Total cost"), "万元",
        _("Approved and reimbursed spending of the year, in 10k yuan."), total_cost),
    "decision_share": Source(
        _("Large items with a collective decision"), "%",
        _("Approved and reimbursed items at or over the large-spending threshold with a "
          "collective decision dated on or before the payment ÷ all such items."),
        decision_share),
    "rectification_rate": Source(
        _("Rectification rate of findings"), "%",
        _("Findings of the year's inspections closed ÷ all of them."), rectification_rate),
    "invoice_share": Source(
        _("Expenditures with an invoice"), "%",
        _("Reimbursed expenditures with an invoice whose number is recorded ÷ all reimbursed "
          "ones."), invoice_share),
}


def actual_of(code: str, scope: Scope, sheet=None) -> Decimal | None:
    return SOURCES[code].compute(scope, sheet)
