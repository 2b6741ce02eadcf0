"""Reads of the inspection desk: one year's records as the red-flag rules take them, in
a fixed number of queries whatever the county's size."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from funds.budget.selectors import allocation_row_list
from funds.inspection.flags import (
    OpenFinding,
    RedFlag,
    Rules,
    Spending,
    TownshipMoney,
    red_flag_list,
)
from funds.models import (
    NOT_SPENT,
    Expenditure,
    ExpenditureTransition,
    Finding,
    FundYear,
    RedFlagReview,
    Voucher,
)
from funds.workdays import WorkingCalendar, time_share
from townships.accounts import display_name
from wanyuan.money import cents_to_yuan

Status = Expenditure.Status


def township_money_list(*, fund_year: FundYear, township_ids=None) -> dict[int, TownshipMoney]:
    """Per township of the year: its allocation, what approved and reimbursed spending
    took, and what was reimbursed (one query: the allocation page's rows)."""
    money = {}
    for row in allocation_row_list(fund_year=fund_year):
        if township_ids is not None and row["pk"] not in township_ids:
            continue
        approved = cents_to_yuan(row["approved_cents"])
        reimbursed = cents_to_yuan(row["reimbursed_cents"])
        money[row["pk"]] = TownshipMoney(row["pk"], row["total_amount"], approved + reimbursed,
                                         reimbursed)
    return money


def spending_list(*, year: int, township_ids=None) -> list[Spending]:
    """The year's expenditures with their decision's date, the payment's day, their
    invoice keys and, for those waiting, the day of their last submission; for those
    approved, the day of the approval (3 queries). A transition that keeps the state (a
    voucher added, a change recorded) is neither."""
    expenditures = Expenditure.objects.filter(year=year)
    if township_ids is not None:
        expenditures = expenditures.filter(township_id__in=township_ids)
    rows = list(expenditures.order_by("pk").values_list(
        "pk", "township_id", "date", "amount", "category__name", "purpose", "payee", "status",
        "decision__meeting_date", "reimbursed_on"))
    keys = defaultdict(list)
    for expenditure_id, key in Voucher.objects.filter(
            expenditure__in=expenditures, kind=Voucher.Kind.INVOICE).exclude(
            invoice_key="").values_list("expenditure_id", "invoice_key"):
        keys[expenditure_id].append(key)
    moved = dict(ExpenditureTransition.objects.filter(
        Q(expenditure__status=Status.SUBMITTED, to_status=Status.SUBMITTED)
        | Q(expenditure__status=Status.APPROVED, to_status=Status.APPROVED),
        expenditure__in=expenditures,
    ).exclude(from_status=F("to_status")).order_by().values("expenditure_id")
        .annotate(at=Max("at")).values_list("expenditure_id", "at"))
    spendings = []
    for (pk, township_id, date, amount, category, purpose, payee, status, decided,
         reimbursed_on) in rows:
        at = moved.get(pk)
        day = timezone.localdate(at) if at is not None else None
        spendings.append(Spending(
            id=pk, township_id=township_id, date=date, amount=amount, category=category,
            purpose=purpose, payee=payee, status=status, decision_date=decided,
            paid_on=reimbursed_on or (day if status == Status.APPROVED else None),
            invoice_keys=tuple(keys.get(pk, ())),
            submitted_on=day if status == Status.SUBMITTED else None))
    return spendings


def used_elsewhere_get(spendings, *, year: int, township_ids=None
                       ) -> dict[str, list[Spending]]:
    """The non-voided expenditures outside ``spendings`` (other years; for some townships,
    other townships of the year as well) that carry the same invoice keys (one query)."""
    keys = {key for s in spendings for key in s.invoice_keys}
    if not keys:
        return {}
    found = defaultdict(list)
    for (key, pk, township_id, date, amount, category, purpose, payee, status) in (
            Voucher.objects.filter(invoice_key__in=keys, kind=Voucher.Kind.INVOICE)
            .exclude(Q(expenditure__year=year) if township_ids is None else
                     Q(expenditure__year=year, expenditure__township_id__in=township_ids))
            .exclude(expenditure__status__in=NOT_SPENT)
            .values_list("invoice_key", "expenditure_id", "expenditure__township_id",
                         "expenditure__date", "expenditure__amount",
                         "expenditure__category__name", "expenditure__purpose",
                         "expenditure__payee", "expenditure__status")):
        found[key].append(Spending(pk, township_id, date, amount, category, purpose, payee,
                                   status, invoice_keys=(key,)))
    return found


def open_finding_list(*, year: int, township_ids=None) -> list[OpenFinding]:
    """Open findings of the year's inspections (one query)."""
    findings = Finding.objects.filter(closed_at__isnull=True, inspection__date__year=year)
    if township_ids is not None:
        findings = findings.filter(township_id__in=township_ids)
    return [OpenFinding(*row) for row in findings.order_by("pk").values_list(
        "pk", "township_id", "description", "deadline")]


def carried_list(*, year: int, township_ids=None) -> dict[int, Decimal]:
    """What each township left unspent of the fund two years back (one query), when that
    year is set up."""
    earlier = FundYear.objects.filter(year=year - 2).first()
    if earlier is None:
        return {}
    return {pk: budget.allocation - budget.spent
            for pk, budget in township_money_list(fund_year=earlier,
                                                  township_ids=township_ids).items()}


def red_flags_get(*, fund_year: FundYear, township_ids=None, today: datetime.date | None = None,
                  calendar: WorkingCalendar | None = None) -> list[RedFlag]:
    """The red flags of a year (of some townships), each with the inspector's closing
    when its items are as they were when it was closed."""
    today = today or timezone.localdate()
    calendar = calendar or WorkingCalendar()
    spendings = spending_list(year=fund_year.year, township_ids=township_ids)
    flags = red_flag_list(
        spendings=spendings,
        money=township_money_list(fund_year=fund_year, township_ids=township_ids),
        findings=open_finding_list(year=fund_year.year, township_ids=township_ids),
        year=fund_year.year, rules=Rules.of(fund_year), calendar=calendar, today=today,
        used_elsewhere=used_elsewhere_get(spendings, year=fund_year.year,
                                          township_ids=township_ids),
        carried=carried_list(year=fund_year.year, township_ids=township_ids))
    reviews = RedFlagReview.objects.filter(year=fund_year.year).select_related("closed_by")
    if township_ids is not None:
        reviews = reviews.filter(township_id__in=township_ids)
    latest = {}
    for review in reviews.order_by("closed_at", "pk"):
        latest[(review.township_id, review.rule, review.subject)] = review
    for flag in flags:
        review = latest.get((flag.township_id, flag.rule, flag.subject))
        flag.latest_review = review
        if review is not None and review.fingerprint == flag.fingerprint:
            flag.review = review
    return flags


def flag_state(flag) -> str:
    if flag.is_closed:
        return pgettext("red flag", "closed")
    return pgettext("red flag", "reopened") if flag.reopened else pgettext("red flag", "open")


def flag_export_header() -> list[str]:
    return [_("Rule"), _("Township code"), _("Township"), _("Figure"), _("Expenditures"),
            _("Findings"), _("Amount (yuan)"), _("State"), _("Explanation"), _("Closed by"),
            _("Closed at")]


def flag_export_rows(flags, *, totals: bool = True):
    """The flags as the page lists them, for CSV and XLSX (the command's too), and a
    last row counting them."""
    for flag in flags:
        review = flag.review
        yield [flag.name, flag.township.code, flag.township.name, flag.figure,
               "、".join(str(i.id) for i in flag.items),
               "、".join(str(f.id) for f in flag.findings), flag.amount,
               flag_state(flag),
               review.explanation if review else "",
               display_name(review.closed_by) if review else "",
               timezone.localtime(review.closed_at).strftime("%Y-%m-%d %H:%M") if review else ""]
    if totals:
        yield [_("Total"), "", "", _("%(n)s flags, %(open)s open") % {
            "n": len(flags), "open": sum(1 for f in flags if not f.is_closed)}, "", "",
            sum((f.amount for f in flags), Decimal("0.00")), "", "", "", ""]


def behind_list(*, fund_year: FundYear, today: datetime.date | None = None,
                calendar: WorkingCalendar | None = None, flags=None) -> list[dict]:
    """Who is behind (the staff's weekly page): per township in service, the allocation,
    approved and reimbursed money, execution against the share of the year elapsed
    (时间进度) and the gap in points, the open red flags, the items waiting for approval
    and the longest wait in working days, and the overdue findings (of any year)."""
    today = today or timezone.localdate()
    calendar = calendar or WorkingCalendar()
    as_of = min(today, datetime.date(fund_year.year, 12, 31))
    share = time_share(fund_year.year, as_of)
    if flags is None:
        flags = red_flags_get(fund_year=fund_year, today=today, calendar=calendar)
    open_flags = defaultdict(int)
    for flag in flags:
        open_flags[flag.township_id] += not flag.is_closed
    waiting = defaultdict(list)
    for s in spending_list(year=fund_year.year):
        if s.status == Status.SUBMITTED and s.submitted_on is not None:
            waiting[s.township_id].append(calendar.between(s.submitted_on, today))
    overdue = dict(Finding.objects.filter(closed_at__isnull=True, deadline__lt=today)
                   .order_by().values("township_id").annotate(n=Count("pk"))
                   .values_list("township_id", "n"))
    rows = []
    for row in allocation_row_list(fund_year=fund_year):
        allocation = row["total_amount"]
        reimbursed = cents_to_yuan(row["reimbursed_cents"])
        execution = (reimbursed / allocation).quantize(Decimal("0.0001")) if allocation else (
            Decimal(0))
        waits = waiting.get(row["pk"], [])
        rows.append({
            "pk": row["pk"], "code": row["code"], "name": row["name"],
            "allocation": allocation, "approved": cents_to_yuan(row["approved_cents"]),
            "reimbursed": reimbursed, "execution": execution,
            "time": share.quantize(Decimal("0.0001")),
            "gap": ((share - execution) * 100).quantize(Decimal("0.01")),
            "open_flags": open_flags.get(row["pk"], 0), "waiting": len(waits),
            "longest_wait": max(waits, default=0), "overdue": overdue.get(row["pk"], 0)})
    return rows
