"""Reads of the spending loop that return plain data for pages."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, Max, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from funds.budget.selectors import TownshipBudget, adopted_total, allocation_of, cents_sum
from funds.models import (
    NOT_SPENT,
    SPENT_STATUSES,
    Expenditure,
    ExpenditureTransition,
    Finding,
    FundYear,
    Inspection,
    NotificationsRead,
    Reminder,
    Voucher,
)
from townships.models import TownshipCategory
from wanyuan.money import format_yuan

Status = Expenditure.Status


@dataclass(frozen=True)
class ClerkTodo:
    """What a township clerk has to do now, oldest first in each list."""

    drafts: list[Expenditure]
    returned: list[Expenditure]  # each with ``return_note``: why it came back
    waiting: list[Expenditure]  # submitted, waiting for the county's approval
    findings: list[Finding]  # open inspection findings (``is_overdue`` flags the late)

    @property
    def count(self) -> int:
        return len(self.drafts) + len(self.returned) + len(self.findings)


def clerk_todo_get(*, township, year: int) -> ClerkTodo:
    """A township's open work in a year, in two queries."""
    return_note = (ExpenditureTransition.objects
                   .returns().filter(expenditure=OuterRef("pk"))
                   .order_by("-at", "-id").values("note")[:1])
    open_items = list(
        Expenditure.objects.filter(township=township, year=year,
                                   status__in=[Status.DRAFT, Status.RETURNED, Status.SUBMITTED])
        .select_related("category").annotate(return_note=Subquery(return_note))
        .order_by("date", "id"))
    findings = list(Finding.objects.filter(township=township, closed_at__isnull=True)
                    .select_related("inspection").order_by("deadline", "id"))
    return ClerkTodo(
        drafts=[e for e in open_items if e.status == Status.DRAFT],
        returned=[e for e in open_items if e.status == Status.RETURNED],
        waiting=[e for e in open_items if e.status == Status.SUBMITTED],
        findings=findings,
    )


def approval_queue_list():
    """The expenditures waiting for approval, each with when it was submitted and whether
    its invoice is attached (``has_invoice``); the page filters them by year."""
    return (
        Expenditure.objects.filter(status=Status.SUBMITTED)
        .select_related("township", "category", "submitted_by", "decision")
        .annotate(submitted_at=Max("transitions__at",
                                   filter=Q(transitions__to_status=Status.SUBMITTED)),
                  has_invoice=Exists(Voucher.objects.filter(expenditure=OuterRef("pk"),
                                                            kind=Voucher.Kind.INVOICE)))
    )


def township_budgets_get(*, pairs) -> dict[tuple[int, int], TownshipBudget]:
    """The budget of each (township id, year), in three queries whatever their number:
    the flags of a page of the approval queue."""
    pairs = set(pairs)
    if not pairs:
        return {}
    townships, years = {t for t, _y in pairs}, {y for _t, y in pairs}
    fund_years = {fy.year: fy for fy in FundYear.objects.filter(year__in=years)}
    categories = {(t, y): (c, line) for t, y, c, line in TownshipCategory.objects.filter(
        township__in=townships, year__in=years).annotate(line=adopted_total())
        .values_list("township", "year", "category", "line")}
    cents = {(t, y, status): n for t, y, status, n in (
        Expenditure.objects.filter(township__in=townships, year__in=years,
                                   status__in=SPENT_STATUSES)
        .order_by().values("township", "year", "status").annotate(n=cents_sum())
        .values_list("township", "year", "status", "n"))}
    return {(t, y): TownshipBudget.of_row(allocation_of(fund_years[y],
                                                        *categories.get((t, y), (None, None))),
                                          cents.get((t, y, Status.APPROVED)),
                                          cents.get((t, y, Status.REIMBURSED)))
            for t, y in pairs if y in fund_years}


def payment_month_list(*, year: int, month: int):
    """The payments recorded as made in a month (reimbursement date), in voucher order,
    with township and payer: finance's list to reconcile with the accounting system
    (one query)."""
    return (Expenditure.objects.filter(status=Status.REIMBURSED, reimbursed_on__year=year,
                                       reimbursed_on__month=month)
            .select_related("township", "reimbursed_by")
            .order_by("reimbursed_on", "accounting_voucher", "id"))


def expenditure_search_list(*, township_id=None):
    """Expenditures with what the search table shows, newest first; ``township_id``
    narrows a clerk's search to the own township. One query, whatever the count."""
    queryset = Expenditure.objects.select_related("township", "category")
    if township_id is not None:
        queryset = queryset.filter(township_id=township_id)
    return queryset.order_by("-date", "-id")


#: What a clerk is told about the own township's expenditures, and an approver about all.
CLERK_NEWS = (Status.RETURNED, Status.APPROVED, Status.REJECTED, Status.REIMBURSED,
              Status.VOIDED)
APPROVER_NEWS = (Status.SUBMITTED,)
#: A finding is announced this many days before its deadline.
DEADLINE_NOTICE_DAYS = 7
#: A user who never marked anything read is told about this many days.
FIRST_VISIT_DAYS = 14


@dataclass(frozen=True)
class Notifications:
    """What happened since the user last marked notifications read, and what is due."""

    transitions: list[ExpenditureTransition]  # newest first, by others
    findings_due: list[Finding]  # open, deadline within DEADLINE_NOTICE_DAYS
    since: datetime.datetime
    made_at: datetime.datetime  # what "mark read" marks up to
    reminders: list[Reminder] = field(default_factory=list)  # manage.py send_reminders

    @property
    def count(self) -> int:
        return len(self.transitions) + len(self.findings_due) + len(self.reminders)


def notifications_get(*, user, township_id=None, sees_all=False, limit=30) -> Notifications:
    """A user's in-app notifications in four queries: the reminders made for them since
    (``manage.py send_reminders``); a clerk (``township_id``) hears of
    the own township's expenditures being returned, approved, rejected, reimbursed or
    voided; an approver of what was submitted; both of the findings due within a week."""
    now = timezone.now()
    read = NotificationsRead.objects.filter(user=user).values_list("read_until", flat=True)
    since = read.first() or now - datetime.timedelta(days=FIRST_VISIT_DAYS)
    statuses = []
    if township_id is not None:
        statuses += CLERK_NEWS
    if user.has_perm("funds.approve_expenditure"):
        statuses += APPROVER_NEWS
    transitions = []
    if statuses:
        # Who returned it before this resubmission: that approver is told "resubmitted
        # after your return", to look at what they asked for.
        returned_by = (ExpenditureTransition.objects
                       .returns().filter(expenditure=OuterRef("expenditure"),
                                         id__lt=OuterRef("id"))
                       .order_by("-id").values("actor")[:1])
        queryset = (ExpenditureTransition.objects
                    .filter(at__gt=since, to_status__in=statuses)
                    .exclude(actor=user)
                    .select_related("expenditure__township")
                    .annotate(returned_by=Subquery(returned_by))
                    .order_by("-at", "-id"))
        if township_id is not None and not sees_all:
            queryset = queryset.filter(expenditure__township_id=township_id)
        transitions = list(queryset[:limit])
        for transition in transitions:
            transition.after_your_return = (transition.to_status == Status.SUBMITTED
                                            and transition.from_status == Status.RETURNED
                                            and transition.returned_by == user.pk)
    today = timezone.localdate()
    findings = Finding.objects.filter(
        closed_at__isnull=True, deadline__gte=today,
        deadline__lte=today + datetime.timedelta(days=DEADLINE_NOTICE_DAYS))
    if not sees_all:
        findings = findings.filter(township_id=township_id)
    reminders = list(Reminder.objects.filter(recipient=user, created_at__gt=since)
                     .order_by("-created_at", "-id")[:limit])
    return Notifications(transitions=transitions,
                         findings_due=list(findings.select_related("township")[:limit]),
                         since=since, made_at=now, reminders=reminders)
# --- What the yearly documents list (funds/documents) ------------------------------------


def spent_expenditure_list(*, year: int, township=None):
    """The year's approved and reimbursed expenditures, township by township in date
    order, with their category, township and collective decision (one query)."""
    queryset = Expenditure.objects.filter(year=year, status__in=SPENT_STATUSES)
    if township is not None:
        queryset = queryset.filter(township=township)
    return (queryset.select_related("township", "category", "decision")
            .order_by("township__code", "date", "id"))


def spending_by_category_list(*, year: int) -> list[tuple[str, int, Decimal]]:
    """(spending category, number, amount) of the year's approved and reimbursed
    spending, in the categories' order; amounts summed as integer cents (one query)."""
    from wanyuan.money import cents_to_yuan

    rows = (Expenditure.objects.filter(year=year, status__in=SPENT_STATUSES).order_by()
            .values("category__name", "category__sort_order")
            .annotate(n=Count("pk"), cents=cents_sum())
            .order_by("category__sort_order", "category__name"))
    return [(row["category__name"], row["n"], cents_to_yuan(row["cents"])) for row in rows]


def inspection_year_list(*, year: int):
    """The inspections held in the year, with their number of townships, findings and
    open findings (one query)."""
    return (Inspection.objects.filter(date__year=year)
            .annotate(township_count=Count("townships", distinct=True),
                      findings_count=Count("findings", distinct=True),
                      open_findings=Count("findings", filter=Q(findings__closed_at__isnull=True),
                                          distinct=True))
            .order_by("date", "id"))


def finding_year_list(*, year: int, township=None):
    """The findings of the inspections held in the year (of one township when given),
    with township and inspection (one query)."""
    queryset = Finding.objects.filter(inspection__date__year=year)
    if township is not None:
        queryset = queryset.filter(township=township)
    return queryset.select_related("township", "inspection").order_by(
        "township__code", "deadline", "id")


def finding_carried_list(*, year: int, township=None):
    """Findings of inspections before the year that were still open when it began (open
    now, or closed during the year or later): what a year's rectification report carries
    over (one query)."""
    start = timezone.make_aware(datetime.datetime(year, 1, 1))
    queryset = Finding.objects.filter(inspection__date__year__lt=year).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=start))
    if township is not None:
        queryset = queryset.filter(township=township)
    return queryset.select_related("township", "inspection").order_by(
        "inspection__date", "township__code", "deadline", "id")


def spending_from_year(township_ids: list[int], first_year: int) -> dict[int, list[str]]:
    """Each township's non-voided spending in ``first_year`` or later, as reasons per
    year ("2021年有支出（3 笔）"): what keeps a merger from ending it (registered with
    townships.reference.MERGER_KEEPS)."""
    found: dict[int, list[str]] = {}
    rows = (Expenditure.objects
            .filter(township_id__in=township_ids, year__gte=first_year)
            .exclude(status=Status.VOIDED)
            .values("township_id", "year").annotate(n=Count("id"))
            .order_by("township_id", "year"))
    for row in rows:
        found.setdefault(row["township_id"], []).append(
            _("spending in %(year)s (%(count)s items)") % {"year": row["year"],
                                                            "count": row["n"]})
    return found


def invoice_warnings(expenditure: Expenditure) -> list[str]:
    """What a look at an expenditure's invoices should make a person check, beyond the
    duplicate number the recording refuses (INSPECTION.md, "Duplicate checks"): the same
    file bytes on another expenditure, the same seller, amount and date under another
    number, an invoice without its number, and invoice amounts that do not add up to the
    expenditure (the QR code's amount may exclude tax)."""
    invoices = [v for v in expenditure.vouchers.all() if v.kind == Voucher.Kind.INVOICE]
    if not invoices:
        return []
    warnings = []
    others = Voucher.objects.exclude(expenditure=expenditure).exclude(
        expenditure__status__in=NOT_SPENT)
    same_bytes = dict(others.filter(sha256__in=[v.sha256 for v in invoices if v.sha256])
                      .values_list("sha256", "expenditure_id"))
    for voucher in invoices:
        if voucher.sha256 in same_bytes:
            warnings.append(_("“%(name)s” is the same file as a voucher of expenditure "
                              "No. %(id)s.") % {"name": voucher.original_name,
                                               "id": same_bytes[voucher.sha256]})
        if not voucher.invoice_key:
            warnings.append(_("The number of invoice “%(name)s” is not known: it cannot be "
                              "checked for duplicates and counts as no invoice (白条) until "
                              "it is given.") % {"name": voucher.original_name})
        elif voucher.invoice_seller and voucher.invoice_amount and voucher.invoice_date:
            twin = others.filter(
                kind=Voucher.Kind.INVOICE, invoice_seller=voucher.invoice_seller,
                invoice_amount=voucher.invoice_amount, invoice_date=voucher.invoice_date,
            ).exclude(invoice_key=voucher.invoice_key).values_list(
                "expenditure_id", flat=True).first()
            if twin is not None:
                warnings.append(_("Expenditure No. %(id)s has an invoice of the same seller, "
                                  "amount and date under another number.") % {"id": twin})
    amounts = [v.invoice_amount for v in invoices if v.invoice_amount is not None]
    if amounts and len(amounts) == len(invoices) and sum(amounts) != expenditure.amount:
        warnings.append(_("The invoices add up to %(invoices)s, the expenditure is %(amount)s "
                          "(the amount in a QR code may exclude tax): check them.") % {
            "invoices": format_yuan(sum(amounts)), "amount": format_yuan(expenditure.amount)})
    return warnings
