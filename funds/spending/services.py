"""Writes of the spending loop: expenditures and their states, vouchers, collective
decisions, inspections and findings (DOMAIN.md, "The spending loop").

Every function takes keyword arguments and ``acting_user``, runs in one transaction,
checks the rule it is responsible for on the server, and records who did what and when.
Nothing here deletes a row.

What may happen to an expenditure is one table, :data:`TRANSITIONS`, read by the services
here and by the expenditure page's buttons (:func:`allowed`)::

    draft ──submit──▶ submitted ──approve──▶ approved ──reimburse──▶ reimbursed
      ▲                │   │                   │
      │             reject return ◀────────────┘ (back to the clerk)
      │                ▼   ▼
      │          rejected  returned ──submit──▶ submitted (a return withdraws the
      │                                          approval: the approver looks again)
      └ void (with a reason) from draft, submitted, returned or approved

Locks: every write of an expenditure locks its township's row first, then the
expenditure's (:func:`_locked`), so that the budget checked under the lock is the budget
that the write spends, and no two writes of one township take locks in another order.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from funds.budget.selectors import township_budget_get
from funds.models import (
    NOT_SPENT,
    CollectiveDecision,
    Expenditure,
    ExpenditureTransition,
    Finding,
    FundYear,
    Inspection,
    InvoiceKey,
    NotificationsRead,
    OverspendPolicy,
    SpendingCategory,
    Voucher,
)
from funds.spending.invoices import InvoiceError, InvoiceFacts, read_invoice
from townships.audit import stored_text
from townships.models import AuditEvent, Township
from townships.roles import may_act_for, require_permission
from wanyuan.money import format_wan, format_yuan, to_yuan

Status = Expenditure.Status


class SpendingError(Exception):
    """An action the rules refuse; the message is for the user."""


# --- The table of transitions ------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One row of the table: from which states, with which permission, to which state
    (None: the state stays), and whether the four-eyes rule applies."""

    sources: frozenset[str]
    permission: str
    target: str | None
    four_eyes: bool = False
    #: the payment's four eyes: not who made the expenditure (:func:`excluded_payers`)
    second_payer: bool = False
    #: the rule applies only to rows brought in from a township's existing ledger
    imported_only: bool = False


EDITABLE = frozenset({Status.DRAFT, Status.RETURNED})
OPEN = EDITABLE | {Status.SUBMITTED, Status.APPROVED}

#: action → its rules; the first rule whose permission the user holds (and, for an
#: ``imported_only`` rule, whose expenditure was imported) decides.
TRANSITIONS: dict[str, tuple[Rule, ...]] = {
    "edit": (Rule(EDITABLE, "funds.change_expenditure", None),),
    "submit": (Rule(EDITABLE, "funds.submit_expenditure", Status.SUBMITTED),),
    # 撤回: the submitter's side takes back what no approver has decided yet
    "withdraw": (Rule(frozenset({Status.SUBMITTED}), "funds.submit_expenditure",
                      Status.DRAFT),),
    "approve": (Rule(frozenset({Status.SUBMITTED}), "funds.approve_expenditure",
                     Status.APPROVED, four_eyes=True),),
    "return": (Rule(frozenset({Status.SUBMITTED, Status.APPROVED}),
                    "funds.approve_expenditure", Status.RETURNED),),
    "reject": (Rule(frozenset({Status.SUBMITTED}), "funds.approve_expenditure",
                    Status.REJECTED, four_eyes=True),),
    # finance's step (issue 23): a second person after the approval
    "reimburse": (Rule(frozenset({Status.APPROVED}), "funds.reimburse_expenditure",
                       Status.REIMBURSED, second_payer=True),),
    # staff void any open one; a clerk only an own draft or returned one
    "void": (Rule(OPEN, "funds.void_expenditure", Status.VOIDED),
             Rule(EDITABLE, "funds.change_expenditure", Status.VOIDED)),
    # an imported row is reimbursed already: its invoice and photos come afterwards
    "voucher": (Rule(OPEN | {Status.REIMBURSED}, "funds.add_voucher", None,
                     imported_only=True),
                Rule(OPEN, "funds.add_voucher", None)),
    "decision": (Rule(EDITABLE | {Status.SUBMITTED}, "funds.add_collectivedecision", None),),
}


def excluded_approvers(expenditure: Expenditure) -> set[int]:
    """Who may not approve or reject it: its creator, and everyone who submitted or
    changed it since its last approval (from the history)."""
    since = expenditure.transitions.filter(id__gt=expenditure.transitions.filter(
        to_status=Status.APPROVED).aggregate(last=Max("id"))["last"] or 0)
    editors = since.filter(~Q(changes={}) | Q(to_status=Status.SUBMITTED)).values_list(
        "actor_id", flat=True)
    return {expenditure.created_by_id, expenditure.submitted_by_id, *editors} - {None}


def excluded_payers(expenditure: Expenditure) -> set[int]:
    """Who may not record its payment: its creator, everyone who ever submitted or
    changed it (from the history), and its approver unless the year lets the approver
    pay (FundYear.approver_may_pay)."""
    makers = expenditure.transitions.filter(
        ~Q(changes={}) | Q(to_status=Status.SUBMITTED)).exclude(
        to_status=Status.REIMBURSED).values_list("actor_id", flat=True)
    excluded = {expenditure.created_by_id, expenditure.submitted_by_id,
                expenditure.last_edited_by_id, *makers}
    if not FundYear.objects.filter(year=expenditure.year, approver_may_pay=True).exists():
        excluded.add(expenditure.approved_by_id)
    return excluded - {None}


def check(action: str, expenditure: Expenditure, user, *, excluded=None) -> Rule:
    """The rule that lets ``user`` take ``action`` now; PermissionDenied when no rule of
    the user's permissions and township applies, SpendingError (with the reason) when
    the state or the four-eyes rule refuses. ``excluded``: excluded_approvers, if known."""
    rule = next((r for r in TRANSITIONS[action] if user.has_perm(r.permission)
                 and (not r.imported_only or expenditure.ledger_import_id)), None)
    if rule is None or not may_act_for(user, expenditure.township_id):
        raise PermissionDenied
    if expenditure.status not in rule.sources:
        if action == "edit":
            raise SpendingError(_("Only a draft or a returned expenditure can be changed; "
                                  "ask the approver to return it first."))
        raise SpendingError(_("This expenditure is %(status)s; that cannot be done now.")
                            % {"status": expenditure.get_status_display()})
    if rule.four_eyes:
        if excluded is None:
            excluded = excluded_approvers(expenditure)
        if user.pk in excluded:
            raise SpendingError(_("You created, submitted or changed this expenditure: "
                                  "someone else approves or rejects it."))
    if rule.second_payer and user.pk in excluded_payers(expenditure):
        if user.pk == expenditure.approved_by_id:
            raise SpendingError(_("You approved this expenditure: finance records its "
                                  "payment (this year's settings do not let the approver "
                                  "pay)."))
        raise SpendingError(_("You created, submitted or changed this expenditure: "
                              "someone else records its payment."))
    return rule


def precondition(action: str, expenditure: Expenditure) -> str | None:
    """What must exist before an action passes, beyond the table: a large expenditure's
    covering collective decision before approval, the invoice before reimbursement. The
    services refuse with this message; the page says it where the button would be."""
    if action == "approve":
        fund_year = _fund_year(expenditure.year)
        if expenditure.needs_decision(fund_year):
            return _large_needs_decision(fund_year)
    if action == "reimburse" and not expenditure.vouchers.filter(
            kind=Voucher.Kind.INVOICE).exists():
        return _("Attach the invoice before reimbursement.")
    return None


def blocked(expenditure: Expenditure, user, *, excluded=None) -> dict[str, str]:
    """The actions of the user's role that this expenditure's state calls for but that
    are refused now, each with why and what to do: the page shows these instead of a
    button that would fail."""
    reasons = {}
    for action in ("submit", "approve", "reject", "reimburse"):
        rule = next((r for r in TRANSITIONS[action] if user.has_perm(r.permission)), None)
        if (rule is None or expenditure.status not in rule.sources
                or not may_act_for(user, expenditure.township_id)):
            continue
        try:
            check(action, expenditure, user, excluded=excluded)
        except SpendingError as exc:
            reasons[action] = str(exc)
            continue
        if message := precondition(action, expenditure):
            reasons[action] = message
    return reasons


def allowed(action: str, expenditure: Expenditure, user, *, excluded=None) -> bool:
    """Whether the page offers the action: exactly when :func:`check` lets it pass."""
    try:
        check(action, expenditure, user, excluded=excluded)
    except (PermissionDenied, SpendingError):
        return False
    return True


# --- Locks and records ---------------------------------------------------------------------


def _lock_township(township_id: int) -> None:
    """The township's row lock: every write that can move money of a township into the
    budget waits here for the others. FOR NO KEY UPDATE: rows written meanwhile that refer
    to the township (their foreign-key checks take a key-share lock) need not wait."""
    Township.objects.select_for_update(no_key=True).filter(pk=township_id).first()


def _locked(expenditure: Expenditure) -> Expenditure:
    """The expenditure re-read under its township's lock and then its own row lock, in
    this order on every path, so two clicks cannot both act and no two writes deadlock."""
    township_id = Expenditure.objects.values_list("township_id", flat=True).get(
        pk=expenditure.pk)
    _lock_township(township_id)
    return Expenditure.objects.select_for_update(of=("self",)).select_related(
        "township", "category", "decision").get(pk=expenditure.pk, township_id=township_id)


def _record(expenditure: Expenditure, to_status: str, *, acting_user, note: str = "",
            changes=None) -> ExpenditureTransition:
    return ExpenditureTransition.objects.create(
        expenditure=expenditure, from_status=expenditure.status, to_status=to_status,
        note=note, changes=changes or {}, amount=expenditure.amount, actor=acting_user,
    )


def _move(expenditure: Expenditure, to_status: str, *, acting_user, note: str = "",
          changes=None):
    _record(expenditure, to_status, acting_user=acting_user, note=note, changes=changes)
    expenditure.status = to_status


def _fund_year(year: int) -> FundYear:
    fund_year = FundYear.objects.filter(year=year).first()
    if fund_year is None:
        raise SpendingError(_("There is no fund year %(year)s: an administrator sets it up "
                              "first.") % {"year": year})
    return fund_year


def _check_amount(amount) -> Decimal:
    if amount is None or amount <= 0:
        raise SpendingError(_("The amount must be positive."))
    if amount != to_yuan(amount):
        raise SpendingError(_("The amount has at most two decimals."))
    return amount


def _check_in_service(township: Township, year: int):
    if not township.in_service(year):
        raise SpendingError(_("%(township)s is not in service in %(year)s.")
                            % {"township": township, "year": year})


def _check_category(category: SpendingCategory, current=None):
    if category != current and not category.is_active:
        raise SpendingError(_("The spending category “%(name)s” is no longer in use.")
                            % {"name": category.name})


# --- Expenditures -------------------------------------------------------------------


@transaction.atomic
def expenditure_create(*, township: Township, date, amount: Decimal,
                       category: SpendingCategory, purpose: str, payee: str,
                       acting_user, uploads=(), voucher_kind: str = Voucher.Kind.INVOICE
                       ) -> Expenditure:
    """Record a draft; ``uploads`` are its vouchers (of ``voucher_kind``), attached in the
    same transaction: a refused file records neither the expenditure nor any file."""
    require_permission(acting_user, "funds.add_expenditure", township)
    _check_category(category)
    _fund_year(date.year)
    _check_in_service(township, date.year)
    uploads = list(uploads)
    for upload in uploads:
        check_upload(upload)
    expenditure = Expenditure(
        township=township, year=date.year, date=date, amount=_check_amount(amount),
        category=category, purpose=purpose, payee=payee, created_by=acting_user,
    )
    expenditure.save()
    ExpenditureTransition.objects.create(
        expenditure=expenditure, from_status="", to_status=Status.DRAFT,
        amount=expenditure.amount, actor=acting_user, note=stored_text(lambda: _("Created")),
    )
    if uploads:
        vouchers_add(expenditure=expenditure, kind=voucher_kind, uploads=uploads,
                     acting_user=acting_user)
    return expenditure


#: The labels of the fields a change is recorded for, in the history's order.
FIELD_LABELS = {
    "date": gettext_lazy("date"), "amount": gettext_lazy("amount (yuan)"),
    "category": gettext_lazy("spending category"), "purpose": gettext_lazy("purpose"),
    "payee": gettext_lazy("payee"), "township": gettext_lazy("township"),
}


def _shown(expenditure: Expenditure, field: str) -> str:
    value = getattr(expenditure, field)
    if field == "amount":
        return str(to_yuan(value))
    if field in ("category", "township"):
        return value.name
    return str(value)


@transaction.atomic
def expenditure_update(*, expenditure: Expenditure, acting_user, date, amount: Decimal,
                       category: SpendingCategory, purpose: str, payee: str) -> Expenditure:
    """Change a draft or a returned expenditure; the year follows the date.

    The history records each changed field with its old and new value. A change voids a
    standing approval, and an amount beyond the collective decision detaches it."""
    expenditure = _locked(expenditure)
    check("edit", expenditure, acting_user)
    _check_category(category, expenditure.category)
    _fund_year(date.year)
    _check_in_service(expenditure.township, date.year)
    before = {field: _shown(expenditure, field) for field in FIELD_LABELS}
    expenditure.date, expenditure.year = date, date.year
    expenditure.amount = _check_amount(amount)
    expenditure.category, expenditure.purpose, expenditure.payee = category, purpose, payee
    changes = {field: [before[field], _shown(expenditure, field)] for field in FIELD_LABELS
               if before[field] != _shown(expenditure, field)}
    if not changes:
        return expenditure
    voided = expenditure.approved_by_id is not None
    decision = expenditure.decision
    lost = decision is not None and not decision.covers(expenditure, on=decision.meeting_date)

    def note() -> str:
        notes = ["; ".join(_("%(field)s %(old)s → %(new)s")
                           % {"field": FIELD_LABELS[f], "old": old, "new": new}
                           for f, (old, new) in changes.items() if f != "decision")]
        if voided:
            notes.append(_("the approval is void: it needs a new approval"))
        if lost:
            notes.append(_("the collective decision of %(amount)s yuan for “%(purpose)s” no "
                           "longer covers it")
                         % {"amount": format_yuan(decision.amount), "purpose": decision.purpose})
        return _("Changed") + ": " + "; ".join(notes)

    if voided:
        expenditure.approved_by, expenditure.approved_values = None, None
    if lost:
        changes["decision"] = [stored_text(str, decision), ""]
        expenditure.decision = None
    expenditure.last_edited_by = acting_user
    expenditure.save()
    _record(expenditure, expenditure.status, acting_user=acting_user, changes=changes,
            note=stored_text(note))
    return expenditure


def over_budget_message(budget, amount) -> str | None:
    """What the approver, the clerk and the page are told of an amount the budget does
    not cover (``TownshipBudget.covers``), or None."""
    if budget.covers(amount):
        return None
    return _("%(amount)s (10k yuan) is more than the %(remaining)s (10k yuan) left of the "
             "budget.") % {"amount": format_wan(amount), "remaining": format_wan(budget.remaining)}


def _large_needs_decision(fund_year) -> str:
    return (_("At or above %(threshold)s (10k yuan) approval needs a recorded collective "
              "decision that covers the amount.")
            % {"threshold": format_wan(fund_year.large_spending_threshold)})


def expenditure_warnings(expenditure: Expenditure) -> list[str]:
    """What approval will ask about, said as soon as the expenditure is saved: an amount
    beyond what is left of the budget, or large spending without a collective decision
    that covers it."""
    fund_year = _fund_year(expenditure.year)
    budget = township_budget_get(township=expenditure.township, fund_year=fund_year,
                                 exclude_pk=expenditure.pk)
    warnings = [m for m in [over_budget_message(budget, expenditure.amount)] if m]
    if expenditure.needs_decision(fund_year):
        warnings.append(_large_needs_decision(fund_year))
    return warnings


@transaction.atomic
def expenditure_submit(*, expenditure: Expenditure, acting_user) -> list[str]:
    """Send a draft or returned expenditure for approval; returns warnings for the user.

    A returned expenditure goes back to the queue like a new one: the return withdrew
    its approval, and the approver looks at what they asked for (issue 23 item 4)."""
    expenditure = _locked(expenditure)
    check("submit", expenditure, acting_user)
    warnings = []
    fund_year = _fund_year(expenditure.year)
    budget = township_budget_get(township=expenditure.township, fund_year=fund_year,
                                 exclude_pk=expenditure.pk)
    over_budget = over_budget_message(budget, expenditure.amount)
    if over_budget:
        warnings.append(over_budget)
    decided = not expenditure.needs_decision(fund_year)
    _move(expenditure, Status.SUBMITTED, acting_user=acting_user)
    expenditure.approved_by, expenditure.approved_values = None, None
    expenditure.submitted_by = acting_user
    if not decided:
        warnings.append(_large_needs_decision(fund_year))
    expenditure.save()
    return warnings


@transaction.atomic
def expenditure_withdraw(*, expenditure: Expenditure, acting_user) -> Expenditure:
    """撤回: a submission no approver has decided yet goes back to the drafts, to be
    changed and submitted again; recorded in the history."""
    expenditure = _locked(expenditure)
    check("withdraw", expenditure, acting_user)
    _move(expenditure, Status.DRAFT, acting_user=acting_user,
          note=stored_text(lambda: _("Withdrawn before a decision")))
    expenditure.save(update_fields=["status"])
    return expenditure


@transaction.atomic
def expenditure_approve(*, expenditure: Expenditure, acting_user, override_reason: str = "",
                        opinion: str = "") -> list[str]:
    """Approve a submitted expenditure: the four rules of DOMAIN.md are checked here, under
    the township lock, so two approvers cannot both spend the same remaining budget. The
    approver's opinion (审批意见, 同意 when none is given) is the history's note."""
    expenditure = _locked(expenditure)
    check("approve", expenditure, acting_user)
    fund_year = _fund_year(expenditure.year)
    if message := precondition("approve", expenditure):
        raise SpendingError(message)
    warnings, note = [], ""
    budget = township_budget_get(township=expenditure.township, fund_year=fund_year,
                                 exclude_pk=expenditure.pk)
    if message := over_budget_message(budget, expenditure.amount):
        override_reason = override_reason.strip()
        if fund_year.overspend_policy == OverspendPolicy.WARN:
            warnings.append(message)
            note = stored_text(over_budget_message, budget, expenditure.amount)
        elif not override_reason:
            raise SpendingError(message + " " + _("The year's setting stops it; an "
                                                  "administrator may override with a reason."))
        elif not acting_user.has_perm("funds.override_budget_stop"):
            raise SpendingError(message + " " + _("Only an administrator may override."))
        else:
            note = stored_text(lambda: _("Over budget, approved by override: %(reason)s")
                               % {"reason": override_reason})
            warnings.append(message)
    opinion = (opinion or "").strip() or stored_text(lambda: _("Agreed"))
    _move(expenditure, Status.APPROVED, acting_user=acting_user,
          note=f"{opinion}; {note}" if note else opinion)
    expenditure.approved_by = acting_user
    expenditure.approved_values = expenditure.approval_values()
    expenditure.save()
    return warnings


@dataclass(frozen=True)
class BatchResult:
    """One item of a batch approval: approved (with the warnings) or refused (why)."""

    expenditure: Expenditure
    approved: bool
    message: str = ""
    warnings: tuple[str, ...] = ()


def expenditure_approve_batch(*, expenditures, acting_user, opinion: str = ""
                              ) -> list[BatchResult]:
    """Approve several expenditures with one opinion from the queue. Each goes through
    :func:`expenditure_approve` in its own transaction, under the same locks and checks
    as a single approval, so one refusal (or a concurrent decision) leaves the others
    as they are; the result says what happened to each, in the order given. Nothing
    holds two townships' locks at once."""
    results = []
    for expenditure in expenditures:
        try:
            warnings = expenditure_approve(expenditure=expenditure, acting_user=acting_user,
                                           opinion=opinion)
        except PermissionDenied:
            results.append(BatchResult(expenditure, False, _("You may not approve this "
                                                             "expenditure.")))
        except SpendingError as exc:
            results.append(BatchResult(expenditure, False, str(exc)))
        else:
            results.append(BatchResult(expenditure, True, warnings=tuple(warnings)))
    return results


def _with_note(note: str, message: str) -> str:
    note = (note or "").strip()
    if not note:
        raise SpendingError(message)
    return note


def _move_with_note(action: str, to_status: str, *, expenditure: Expenditure, acting_user,
                    note: str, missing: str) -> Expenditure:
    """Return or reject: a move that must say why (``missing`` when it does not)."""
    expenditure = _locked(expenditure)
    check(action, expenditure, acting_user)
    note = _with_note(note, missing)
    _move(expenditure, to_status, acting_user=acting_user, note=note)
    expenditure.save()
    return expenditure


@transaction.atomic
def expenditure_return(*, expenditure: Expenditure, acting_user, note: str) -> Expenditure:
    """Back to the clerk; a return always withdraws the approval, so the resubmitted
    expenditure is looked at again rather than approved by what it was before."""
    expenditure = _move_with_note("return", Status.RETURNED, expenditure=expenditure,
                                  acting_user=acting_user, note=note,
                                  missing=_("Say what needs to change."))
    if expenditure.approved_by_id is not None:
        expenditure.approved_by, expenditure.approved_values = None, None
        expenditure.save(update_fields=["approved_by", "approved_values"])
    return expenditure


def last_return(expenditure: Expenditure) -> ExpenditureTransition | None:
    """The expenditure's latest return: who returned it, and from which state."""
    return (expenditure.transitions.returns()
            .select_related("actor").order_by("-at", "-id").first())


@transaction.atomic
def expenditure_reject(*, expenditure: Expenditure, acting_user, note: str) -> Expenditure:
    return _move_with_note("reject", Status.REJECTED, expenditure=expenditure,
                           acting_user=acting_user, note=note,
                           missing=_("A rejection needs a reason."))


@transaction.atomic
def expenditure_reimburse(*, expenditure: Expenditure, acting_user, reimbursed_on,
                          accounting_voucher: str) -> Expenditure:
    """报账: an approved expenditure is paid against its invoice, on a day and under an
    accounting voucher number of the finance office, both recorded with who recorded
    them: finance, never who made the expenditure, by default not its approver."""
    expenditure = _locked(expenditure)
    check("reimburse", expenditure, acting_user)
    if message := precondition("reimburse", expenditure):
        raise SpendingError(message)
    accounting_voucher = (accounting_voucher or "").strip()
    if not accounting_voucher:
        raise SpendingError(_("Give the accounting voucher number (会计凭证号)."))
    if reimbursed_on is None or reimbursed_on > timezone.localdate():
        raise SpendingError(_("The reimbursement date cannot be in the future."))
    approved = (expenditure.transitions.filter(to_status=Status.APPROVED)
                .order_by("-at", "-id").values_list("at", flat=True).first())
    if reimbursed_on < expenditure.date or (
            approved is not None and reimbursed_on < timezone.localdate(approved)):
        raise SpendingError(_("The reimbursement date cannot be before the expenditure "
                              "or its approval."))
    changes = {"reimbursed_on": ["", reimbursed_on.isoformat()],
               "accounting_voucher": ["", accounting_voucher]}
    expenditure.reimbursed_on, expenditure.accounting_voucher = reimbursed_on, accounting_voucher
    expenditure.reimbursed_by = acting_user
    _move(expenditure, Status.REIMBURSED, acting_user=acting_user, changes=changes,
          note=stored_text(lambda: _("Accounting voucher %(number)s of %(date)s")
                           % {"number": accounting_voucher, "date": reimbursed_on.isoformat()}))
    expenditure.save()
    return expenditure


@transaction.atomic
def expenditure_void(*, expenditure: Expenditure, acting_user, note: str) -> Expenditure:
    """作废: kept with its reason; a clerk voids only an own draft or returned one."""
    expenditure = _locked(expenditure)
    check("void", expenditure, acting_user)
    note = _with_note(note, _("Voiding needs a reason."))
    _move(expenditure, Status.VOIDED, acting_user=acting_user, note=note)
    expenditure.save()
    return expenditure


# --- Vouchers and decisions -----------------------------------------------------------

#: Accepted voucher files: extension → (the bytes such a file starts with, its type).
VOUCHER_TYPES = {
    ".pdf": (b"%PDF-", "application/pdf"),
    ".png": (b"\x89PNG\r\n\x1a\n", "image/png"),
    ".jpg": (b"\xff\xd8\xff", "image/jpeg"),
    ".jpeg": (b"\xff\xd8\xff", "image/jpeg"),
    ".ofd": (b"PK\x03\x04", "application/ofd"),  # GB/T 33190 e-invoices: a ZIP of XML
}
ORIGINAL_NAME_MAX = 200


def check_upload(upload) -> str:
    """The upload's extension when it is a PDF, PNG or JPEG of an accepted size."""
    name = os.path.basename(upload.name or "")
    extension = os.path.splitext(name)[1].lower()
    if extension not in VOUCHER_TYPES:
        raise SpendingError(_("“%(name)s”: only PDF, PNG, JPEG and OFD files are accepted.")
                            % {"name": name})
    if upload.size == 0:
        raise SpendingError(_("“%(name)s” is empty.") % {"name": name})
    if upload.size > settings.VOUCHER_MAX_BYTES:
        raise SpendingError(_("“%(name)s” is larger than %(mb)s MB.")
                            % {"name": name, "mb": settings.VOUCHER_MAX_BYTES // (1024 * 1024)})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not head.startswith(VOUCHER_TYPES[extension][0]):
        raise SpendingError(_("“%(name)s” is not really a %(type)s file.")
                            % {"name": name, "type": extension[1:].upper()})
    return extension


#: What the expenditure page previews in the browser rather than downloads.
PREVIEWABLE_TYPES = {"application/pdf", "image/png", "image/jpeg"}


def content_type_of(stored_name: str) -> str:
    """The Content-Type a stored file is served with: from the extension that was
    verified (our stored names end in it), never from a name the user chose."""
    extension = os.path.splitext(stored_name)[1].lower()
    return VOUCHER_TYPES.get(extension, (b"", "application/octet-stream"))[1]


def _display_name(upload_name: str, extension: str) -> str:
    """The user's file name for display and download, cut to fit, always ending in the
    verified extension: "x.html.pdf" cut short must not become "x.html"."""
    stem = os.path.splitext(os.path.basename(upload_name))[0]
    return stem[:ORIGINAL_NAME_MAX - len(extension)] + extension


def _stored_name(extension: str) -> str:
    # The file name on disk is ours: the user's name is kept only for display.
    return f"{uuid.uuid4().hex}{extension}"


def _file_facts(upload, *, invoice: bool) -> tuple[str, InvoiceFacts | None]:
    """The file's SHA-256, and for an invoice the facts read from it when they can be
    (else None: the clerk types them, or it counts as an invoice without a number)."""
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    if not invoice:
        return hashlib.sha256(data).hexdigest(), None
    try:
        facts = read_invoice(data)
    except InvoiceError:
        facts = None
    return hashlib.sha256(data).hexdigest(), facts


def _lock_invoice(key: str) -> None:
    """The invoice key's row lock, taken before looking for the key elsewhere: a second
    clerk recording the same invoice at the same moment waits here, then finds it."""
    InvoiceKey.objects.get_or_create(key=key)
    InvoiceKey.objects.select_for_update().filter(key=key).first()


def invoice_used_on(key: str, *, exclude_voucher=None) -> Voucher | None:
    """The voucher of an expenditure that already carries this invoice (one neither voided
    nor rejected: :data:`funds.models.NOT_SPENT`)."""
    if not key:
        return None
    vouchers = Voucher.objects.filter(invoice_key=key, kind=Voucher.Kind.INVOICE).exclude(
        expenditure__status__in=NOT_SPENT).select_related("expenditure__township")
    if exclude_voucher is not None:
        vouchers = vouchers.exclude(pk=exclude_voucher.pk)
    return vouchers.order_by("pk").first()


def _duplicate_message(other: Voucher, key: str, acting_user) -> str:
    """The refusal; a clerk of another township is not told whose expenditure holds it."""
    spent = other.expenditure
    if not may_act_for(acting_user, spent.township_id):
        return _("Invoice %(key)s is already recorded on an expenditure of another township: "
                 "one invoice is reimbursed once. An administrator may allow it with a "
                 "reason.") % {"key": key}
    return _("Invoice %(key)s is already recorded on expenditure No. %(id)s of %(township)s "
             "(%(date)s, %(amount)s): one invoice is reimbursed once. An administrator may "
             "allow it with a reason.") % {
        "key": key, "id": spent.pk, "township": spent.township.name,
        "date": f"{spent.date:%Y-%m-%d}", "amount": format_yuan(spent.amount)}


@transaction.atomic
def vouchers_add(*, expenditure: Expenditure, kind: str, uploads, acting_user,
                 invoice: InvoiceFacts | None = None, duplicate_reason: str = ""
                 ) -> list[Voucher]:
    """Attach several files of one kind at once, all or nothing: every file is checked
    before the first is stored, and a refusal names the file.

    An invoice's facts are read from each file (its QR code, or an OFD's XML), or given
    in ``invoice`` (typed in or confirmed by the clerk; one file only). An invoice already
    recorded on a non-voided expenditure anywhere in the county is refused, unless an
    administrator allows it with ``duplicate_reason`` (audited)."""
    expenditure = _locked(expenditure)
    check("voucher", expenditure, acting_user)
    uploads = list(uploads)
    if not uploads:
        raise SpendingError(_("Choose at least one file."))
    if invoice is not None and (kind != Voucher.Kind.INVOICE or len(uploads) != 1):
        raise SpendingError(_("Typed invoice facts go with one invoice file."))
    extensions = [check_upload(upload) for upload in uploads]
    read = [_file_facts(upload, invoice=kind == Voucher.Kind.INVOICE and invoice is None)
            for upload in uploads]
    if invoice is not None:
        read = [(read[0][0], invoice)]
    duplicate_reason = duplicate_reason.strip()
    vouchers = []
    for upload, extension, (sha256, facts) in zip(uploads, extensions, read, strict=True):
        key = facts.key if facts is not None else ""
        allowed_by = None
        if key:
            _lock_invoice(key)
            other = invoice_used_on(key)
            if other is not None:  # on another expenditure, this one, or a file before
                if not duplicate_reason:
                    raise SpendingError(_duplicate_message(other, key, acting_user))
                if not acting_user.has_perm("funds.allow_duplicate_invoice"):
                    raise PermissionDenied
                allowed_by = acting_user
        original_name = _display_name(upload.name, extension)
        upload.name = _stored_name(extension)
        voucher = Voucher.objects.create(
            expenditure=expenditure, kind=kind, file=upload, original_name=original_name,
            size=upload.size, uploaded_by=acting_user, sha256=sha256,
            invoice_key=key, duplicate_reason=duplicate_reason if allowed_by else "",
            duplicate_allowed_by=allowed_by,
            **(_invoice_fields(facts) if facts is not None else {}),
        )
        _record(expenditure, expenditure.status, acting_user=acting_user,
                note=stored_text(lambda v=voucher: _("Voucher added: %(kind)s “%(name)s”")
                                 % {"kind": v.get_kind_display(), "name": v.original_name}))
        if allowed_by is not None:
            _audit_duplicate_allowed(voucher, other, acting_user)
        vouchers.append(voucher)
    return vouchers


def _invoice_fields(facts: InvoiceFacts) -> dict:
    return {"invoice_type": facts.type[:4], "invoice_code": facts.code[:12],
            "invoice_number": facts.number[:20], "invoice_date": facts.date,
            "invoice_amount": facts.amount, "invoice_seller": facts.seller[:100]}


def _audit_duplicate_allowed(voucher: Voucher, other: Voucher | None, acting_user) -> None:
    spent = voucher.expenditure
    AuditEvent.objects.create(
        action=AuditEvent.Action.DUPLICATE_INVOICE_ALLOWED, year=spent.year,
        actor=acting_user,
        summary=stored_text(lambda: _(
            "Invoice %(key)s allowed on expenditure No. %(id)s of %(township)s although it "
            "is recorded on No. %(other)s: %(reason)s") % {
            "key": voucher.invoice_key, "id": spent.pk, "township": spent.township.name,
            "other": other.expenditure_id if other is not None else spent.pk,
            "reason": voucher.duplicate_reason}),
        details={"voucher": voucher.pk, "expenditure": spent.pk,
                 "other_expenditure": other.expenditure_id if other is not None else None,
                 "key": voucher.invoice_key, "reason": voucher.duplicate_reason})


def voucher_add(*, expenditure: Expenditure, kind: str, upload, acting_user,
                invoice: InvoiceFacts | None = None, duplicate_reason: str = "") -> Voucher:
    return vouchers_add(expenditure=expenditure, kind=kind, uploads=[upload],
                        acting_user=acting_user, invoice=invoice,
                        duplicate_reason=duplicate_reason)[0]


@transaction.atomic
def decision_record(*, expenditure: Expenditure, meeting_type: str, meeting_date,
                    attendance: str, minutes_reference: str = "", minutes_file=None,
                    acting_user) -> CollectiveDecision:
    """Record the collective decision behind a large expenditure and link it.

    The decision records the amount and purpose it decided (the expenditure's, now): it
    covers the expenditure while the amount stays at or below it."""
    expenditure = _locked(expenditure)
    check("decision", expenditure, acting_user)
    fund_year = _fund_year(expenditure.year)
    if not fund_year.is_large(expenditure.amount):
        raise SpendingError(_("Below the large-spending threshold of %(threshold)s (10k yuan) "
                              "no collective decision is recorded.")
                            % {"threshold": format_wan(fund_year.large_spending_threshold)})
    if expenditure.is_decided():
        raise SpendingError(_("A collective decision covering this amount is recorded "
                              "already."))
    if meeting_date > timezone.localdate():
        raise SpendingError(_("The meeting date cannot be in the future."))
    if not minutes_reference.strip() and not minutes_file:
        raise SpendingError(_("Give the minutes reference or attach the minutes."))
    if minutes_file:
        minutes_file.name = _stored_name(check_upload(minutes_file))
    decision = CollectiveDecision.objects.create(
        township=expenditure.township, meeting_type=meeting_type, meeting_date=meeting_date,
        attendance=attendance.strip(), minutes_reference=minutes_reference.strip(),
        minutes_file=minutes_file or "", amount=expenditure.amount,
        purpose=expenditure.purpose, recorded_by=acting_user,
    )
    before = stored_text(str, expenditure.decision) if expenditure.decision else ""
    voided = expenditure.approved_by_id is not None
    note = stored_text(lambda: _("Collective decision recorded: %(decision)s, %(amount)s yuan")
                       % {"decision": decision, "amount": format_yuan(decision.amount)}
                       + ("; " + _("the approval is void: it needs a new approval")
                          if voided else ""))
    if voided:
        # An approval given without this decision does not stand on it: approve again.
        expenditure.approved_by, expenditure.approved_values = None, None
    expenditure.decision = decision
    expenditure.last_edited_by = acting_user
    expenditure.save(update_fields=["decision", "last_edited_by", "approved_by",
                                    "approved_values"])
    _record(expenditure, expenditure.status, acting_user=acting_user,
            changes={"decision": [before, stored_text(str, decision)]}, note=note)
    return decision


#: The facts of a decision a correction may change, with their labels in the history.
DECISION_FIELDS = {
    "meeting_type": gettext_lazy("meeting type"), "meeting_date": gettext_lazy("meeting date"),
    "attendance": gettext_lazy("attendance"),
    "minutes_reference": gettext_lazy("minutes reference"),
}


def _decision_shown(decision: CollectiveDecision, field: str) -> str:
    if field == "meeting_type":
        return decision.get_meeting_type_display()
    value = getattr(decision, field)
    return value.isoformat() if isinstance(value, datetime.date) else str(value)


@transaction.atomic
def decision_update(*, decision: CollectiveDecision, meeting_type: str, meeting_date,
                    attendance: str, minutes_reference: str = "", minutes_file=None,
                    acting_user) -> CollectiveDecision:
    """Correct a recorded collective decision, or attach its minutes later.

    Attaching the minutes adds evidence and changes nothing an approval relied on. A
    correction of the meeting's facts is free until an approval relies on the decision;
    after that it voids those approvals (the expenditures go back to the approver, each
    history saying what changed). A decision behind a recorded payment is not corrected:
    the payment relied on it."""
    require_permission(acting_user, "funds.add_collectivedecision", decision.township)
    _lock_township(decision.township_id)
    decision = CollectiveDecision.objects.select_for_update().get(pk=decision.pk)
    expenditures = list(Expenditure.objects.select_for_update(of=("self",)).filter(
        decision=decision).order_by("pk"))
    if meeting_date > timezone.localdate():
        raise SpendingError(_("The meeting date cannot be in the future."))
    minutes_reference = minutes_reference.strip()
    if not minutes_reference and not minutes_file and not decision.minutes_file:
        raise SpendingError(_("Give the minutes reference or attach the minutes."))
    before = {field: _decision_shown(decision, field) for field in DECISION_FIELDS}
    decision.meeting_type, decision.meeting_date = meeting_type, meeting_date
    decision.attendance, decision.minutes_reference = attendance.strip(), minutes_reference
    changes = {field: [before[field], _decision_shown(decision, field)]
               for field in DECISION_FIELDS if before[field] != _decision_shown(decision, field)}
    if changes and any(e.status == Status.REIMBURSED for e in expenditures):
        raise SpendingError(_("A payment was recorded on this decision: it cannot be "
                              "corrected any more; record the correction in the minutes."))
    original_name = ""
    if minutes_file:
        extension = check_upload(minutes_file)
        original_name = _display_name(minutes_file.name, extension)
        minutes_file.name = _stored_name(extension)
        decision.minutes_file = minutes_file
    if not changes and not minutes_file:
        return decision
    decision.save()

    def note(voided: bool) -> str:
        parts = ["; ".join(_("%(field)s %(old)s → %(new)s")
                           % {"field": DECISION_FIELDS[f], "old": old, "new": new}
                           for f, (old, new) in changes.items())] if changes else []
        if original_name:
            parts.append(_("minutes attached: “%(name)s”") % {"name": original_name})
        if voided:
            parts.append(_("the approval is void: it needs a new approval"))
        return _("Collective decision corrected") + ": " + "; ".join(parts)

    for expenditure in expenditures:
        voided = bool(changes) and expenditure.status == Status.APPROVED
        recorded = {"decision": ["; ".join(old for old, _new in changes.values()),
                                 "; ".join(new for _old, new in changes.values())]
                    } if changes else {}
        if voided:
            _move(expenditure, Status.SUBMITTED, acting_user=acting_user, changes=recorded,
                  note=stored_text(note, True))
            expenditure.approved_by, expenditure.approved_values = None, None
            expenditure.save(update_fields=["status", "approved_by", "approved_values"])
        else:
            _record(expenditure, expenditure.status, acting_user=acting_user,
                    changes=recorded, note=stored_text(note, False))
    return decision


# --- Inspections ----------------------------------------------------------------------


@transaction.atomic
def inspection_record(*, date, inspectors: str, townships, notes: str = "",
                      acting_user) -> Inspection:
    require_permission(acting_user, "funds.add_inspection")
    townships = list(townships)
    if not townships:
        raise SpendingError(_("Choose at least one township."))
    inspection = Inspection.objects.create(date=date, inspectors=inspectors.strip(),
                                           notes=notes, recorded_by=acting_user)
    inspection.townships.set(townships)
    return inspection


@transaction.atomic
def finding_add(*, inspection: Inspection, township: Township, description: str, deadline,
                expenditures=(), amount_involved=None, acting_user) -> Finding:
    require_permission(acting_user, "funds.add_finding")
    if not inspection.townships.filter(pk=township.pk).exists():
        raise SpendingError(_("%(township)s was not part of this inspection.")
                            % {"township": township})
    if deadline < inspection.date:
        raise SpendingError(_("The rectification deadline cannot be before the inspection."))
    expenditures = list(expenditures)
    if any(e.township_id != township.pk for e in expenditures):
        raise SpendingError(_("A finding links only expenditures of its own township."))
    finding = Finding.objects.create(inspection=inspection, township=township,
                                     description=description.strip(), deadline=deadline,
                                     amount_involved=to_yuan(amount_involved))
    finding.expenditures.set(expenditures)
    return finding


@transaction.atomic
def finding_close(*, finding: Finding, closure_note: str, amount_restored=None,
                  acting_user) -> Finding:
    require_permission(acting_user, "funds.change_finding")
    finding = Finding.objects.select_for_update().get(pk=finding.pk)
    if not finding.is_open:
        raise SpendingError(_("This finding is already closed."))
    finding.closure_note = _with_note(closure_note,
                                      _("Say how the finding was rectified to close it."))
    finding.closed_at = timezone.now()
    finding.closed_by = acting_user
    finding.amount_restored = to_yuan(amount_restored)
    finding.save()
    return finding


def notifications_mark_read(*, user, until: datetime.datetime) -> None:
    """Mark a user's notifications read up to ``until`` (the time the page showing them
    was made, so that nothing arriving meanwhile is lost); never moves backwards, never
    beyond now."""
    until = min(until, timezone.now())
    with transaction.atomic():
        read, created = NotificationsRead.objects.select_for_update().get_or_create(
            user=user, defaults={"read_until": until})
        if not created and read.read_until < until:
            read.read_until = until
            read.save(update_fields=["read_until"])
