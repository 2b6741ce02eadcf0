"""Writes of the spending loop: expenditures and their states, vouchers, collective
decisions, inspections and findings (DOMAIN.md, "The spending loop").

Every function takes keyword arguments and ``acting_user``, runs in one transaction,
checks the rule it is responsible for on the server, and records who did what and when.
Nothing here deletes a row.

States of an expenditure::

    draft ──submit──▶ submitted ──approve──▶ approved ──reimburse──▶ reimbursed
      ▲                │   │                   │
      │             reject return ◀────────────┘ (back to the clerk)
      │                ▼   ▼
      │          rejected  returned ──submit──▶ submitted (or approved again when the
      │                                          amount is unchanged since approval)
      └ void (with a reason) from draft, submitted, returned or approved
"""

from __future__ import annotations

import os
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from funds.models import (
    CollectiveDecision,
    Expenditure,
    ExpenditureTransition,
    Finding,
    FundYear,
    Inspection,
    OverspendPolicy,
    SpendingCategory,
    Voucher,
)
from funds.selectors import township_budget
from townships.models import Township
from townships.roles import own_township_id, sees_all_townships
from wanyuan.money import format_wan, to_yuan

Status = Expenditure.Status


class SpendingError(Exception):
    """An action the rules refuse; the message is for the user."""


def may_act_for(user, township) -> bool:
    """Users who see all townships act for any; a clerk only for the own township."""
    township_id = township.pk if isinstance(township, Township) else township
    return sees_all_townships(user) or own_township_id(user) == township_id


def _require(user, permission: str, township=None):
    if not user.has_perm(permission):
        raise PermissionDenied
    if township is not None and not may_act_for(user, township):
        raise PermissionDenied


def _locked(expenditure: Expenditure) -> Expenditure:
    """The expenditure re-read under a row lock, so two clicks cannot both act; its
    township is read with it but not locked (``of``), as a join would otherwise be."""
    return Expenditure.objects.select_for_update(of=("self",)).select_related(
        "township").get(pk=expenditure.pk)


def _move(expenditure: Expenditure, to_status: str, *, acting_user, note: str = ""):
    ExpenditureTransition.objects.create(
        expenditure=expenditure, from_status=expenditure.status, to_status=to_status,
        note=note, amount=expenditure.amount, actor=acting_user,
    )
    expenditure.status = to_status


def _expect(expenditure: Expenditure, *statuses):
    if expenditure.status not in statuses:
        raise SpendingError(_("This expenditure is %(status)s; that cannot be done now.")
                            % {"status": expenditure.get_status_display()})


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


# --- Expenditures -------------------------------------------------------------------


@transaction.atomic
def expenditure_create(*, township: Township, date, amount: Decimal,
                       category: SpendingCategory, purpose: str, payee: str,
                       acting_user) -> Expenditure:
    _require(acting_user, "funds.add_expenditure", township)
    if not category.is_active:
        raise SpendingError(_("The spending category “%(name)s” is no longer in use.")
                            % {"name": category.name})
    _fund_year(date.year)
    if not township.in_service(date.year):
        raise SpendingError(_("%(township)s is not in service in %(year)s.")
                            % {"township": township, "year": date.year})
    expenditure = Expenditure(
        township=township, year=date.year, date=date, amount=_check_amount(amount),
        category=category, purpose=purpose, payee=payee, created_by=acting_user,
    )
    expenditure.save()
    ExpenditureTransition.objects.create(
        expenditure=expenditure, from_status="", to_status=Status.DRAFT,
        amount=expenditure.amount, actor=acting_user, note=_("Created"),
    )
    return expenditure


@transaction.atomic
def expenditure_update(*, expenditure: Expenditure, acting_user, date, amount: Decimal,
                       category: SpendingCategory, purpose: str, payee: str) -> Expenditure:
    """Change a draft or a returned expenditure; the year follows the date."""
    expenditure = _locked(expenditure)
    _require(acting_user, "funds.change_expenditure", expenditure.township)
    if not expenditure.is_editable:
        raise SpendingError(_("Only a draft or a returned expenditure can be changed; ask "
                              "the approver to return it first."))
    if category != expenditure.category and not category.is_active:
        raise SpendingError(_("The spending category “%(name)s” is no longer in use.")
                            % {"name": category.name})
    _fund_year(date.year)
    changed = []
    if to_yuan(amount) != expenditure.amount:
        changed.append(_("amount %(old)s → %(new)s yuan")
                       % {"old": expenditure.amount, "new": to_yuan(amount)})
    expenditure.date, expenditure.year = date, date.year
    expenditure.amount = _check_amount(amount)
    expenditure.category, expenditure.purpose, expenditure.payee = category, purpose, payee
    expenditure.save()
    ExpenditureTransition.objects.create(
        expenditure=expenditure, from_status=expenditure.status, to_status=expenditure.status,
        amount=expenditure.amount, actor=acting_user,
        note=_("Changed") + (": " + "; ".join(changed) if changed else ""),
    )
    return expenditure


def _over_budget_message(budget, amount) -> str | None:
    if amount <= budget.remaining:
        return None
    return _("%(amount)s (10k yuan) is more than the %(remaining)s (10k yuan) left of the "
             "budget.") % {"amount": format_wan(amount), "remaining": format_wan(budget.remaining)}


@transaction.atomic
def expenditure_submit(*, expenditure: Expenditure, acting_user) -> list[str]:
    """Send a draft or returned expenditure for approval; returns warnings for the user.

    A returned expenditure that was approved before and whose amount has not changed
    goes straight back to approved: only a change of the amount needs a new approval.
    """
    expenditure = _locked(expenditure)
    _require(acting_user, "funds.submit_expenditure", expenditure.township)
    _expect(expenditure, Status.DRAFT, Status.RETURNED)
    warnings = []
    fund_year = _fund_year(expenditure.year)
    budget = township_budget(expenditure.township, fund_year, exclude_pk=expenditure.pk)
    over_budget = _over_budget_message(budget, expenditure.amount)
    if over_budget:
        warnings.append(over_budget)
    approval_stands = (
        expenditure.status == Status.RETURNED
        and expenditure.approved_amount == expenditure.amount
        and expenditure.approved_by_id not in (None, acting_user.pk)
        and not over_budget
        and (expenditure.amount < fund_year.large_spending_threshold or expenditure.decision_id)
    )
    if approval_stands:
        _move(expenditure, Status.APPROVED, acting_user=acting_user,
              note=_("Resubmitted with the approved amount unchanged; the approval stands."))
    else:
        _move(expenditure, Status.SUBMITTED, acting_user=acting_user)
        expenditure.approved_by, expenditure.approved_amount = None, None
    expenditure.submitted_by = acting_user
    if expenditure.amount >= fund_year.large_spending_threshold and not expenditure.decision_id:
        warnings.append(_("At or above %(threshold)s (10k yuan) approval needs a collective "
                          "decision: record it on this expenditure.")
                        % {"threshold": format_wan(fund_year.large_spending_threshold)})
    expenditure.save()
    return warnings


@transaction.atomic
def expenditure_approve(*, expenditure: Expenditure, acting_user,
                        override_reason: str = "") -> list[str]:
    """Approve a submitted expenditure; the four rules of DOMAIN.md are checked here."""
    # Lock the township first: approvals of one township are serialised, so two
    # approvers cannot both spend the same remaining budget. FOR NO KEY UPDATE: rows
    # written meanwhile that refer to the township (their foreign-key checks take a key
    # share lock) need not wait for the approval.
    Township.objects.select_for_update(no_key=True).get(pk=expenditure.township_id)
    expenditure = _locked(expenditure)
    _require(acting_user, "funds.approve_expenditure", expenditure.township)
    _expect(expenditure, Status.SUBMITTED)
    if expenditure.submitted_by_id == acting_user.pk:
        raise SpendingError(_("You submitted this expenditure: someone else approves it."))
    fund_year = _fund_year(expenditure.year)
    if expenditure.amount >= fund_year.large_spending_threshold and not expenditure.decision_id:
        raise SpendingError(_("At or above %(threshold)s (10k yuan) approval needs a "
                              "recorded collective decision.")
                            % {"threshold": format_wan(fund_year.large_spending_threshold)})
    warnings, note = [], ""
    budget = township_budget(expenditure.township, fund_year, exclude_pk=expenditure.pk)
    if message := _over_budget_message(budget, expenditure.amount):
        override_reason = override_reason.strip()
        if fund_year.overspend_policy == OverspendPolicy.WARN:
            warnings.append(message)
            note = message
        elif not override_reason:
            raise SpendingError(message + " " + _("The year's setting stops it; an "
                                                  "administrator may override with a reason."))
        elif not acting_user.has_perm("funds.override_budget_stop"):
            raise SpendingError(message + " " + _("Only an administrator may override."))
        else:
            note = _("Over budget, approved by override: %(reason)s") % {"reason": override_reason}
            warnings.append(message)
    _move(expenditure, Status.APPROVED, acting_user=acting_user, note=note)
    expenditure.approved_by = acting_user
    expenditure.approved_amount = expenditure.amount
    expenditure.save()
    return warnings


def _with_note(note: str, message: str) -> str:
    note = (note or "").strip()
    if not note:
        raise SpendingError(message)
    return note


@transaction.atomic
def expenditure_return(*, expenditure: Expenditure, acting_user, note: str) -> Expenditure:
    expenditure = _locked(expenditure)
    _require(acting_user, "funds.approve_expenditure", expenditure.township)
    _expect(expenditure, Status.SUBMITTED, Status.APPROVED)
    note = _with_note(note, _("Say what needs to change."))
    _move(expenditure, Status.RETURNED, acting_user=acting_user, note=note)
    expenditure.save()
    return expenditure


@transaction.atomic
def expenditure_reject(*, expenditure: Expenditure, acting_user, note: str) -> Expenditure:
    expenditure = _locked(expenditure)
    _require(acting_user, "funds.approve_expenditure", expenditure.township)
    _expect(expenditure, Status.SUBMITTED)
    if expenditure.submitted_by_id == acting_user.pk:
        raise SpendingError(_("You submitted this expenditure: someone else decides on it."))
    note = _with_note(note, _("A rejection needs a reason."))
    _move(expenditure, Status.REJECTED, acting_user=acting_user, note=note)
    expenditure.save()
    return expenditure


@transaction.atomic
def expenditure_reimburse(*, expenditure: Expenditure, acting_user) -> Expenditure:
    """报账: an approved expenditure is paid against its invoice."""
    expenditure = _locked(expenditure)
    _require(acting_user, "funds.reimburse_expenditure", expenditure.township)
    _expect(expenditure, Status.APPROVED)
    if not expenditure.vouchers.filter(kind=Voucher.Kind.INVOICE).exists():
        raise SpendingError(_("Attach the invoice before reimbursement."))
    _move(expenditure, Status.REIMBURSED, acting_user=acting_user)
    expenditure.save()
    return expenditure


@transaction.atomic
def expenditure_void(*, expenditure: Expenditure, acting_user, note: str) -> Expenditure:
    """作废: kept with its reason; a clerk voids only an own draft or returned one."""
    expenditure = _locked(expenditure)
    if acting_user.has_perm("funds.void_expenditure"):
        _require(acting_user, "funds.void_expenditure", expenditure.township)
        _expect(expenditure, Status.DRAFT, Status.SUBMITTED, Status.RETURNED, Status.APPROVED)
    else:
        _require(acting_user, "funds.change_expenditure", expenditure.township)
        _expect(expenditure, Status.DRAFT, Status.RETURNED)
    note = _with_note(note, _("Voiding needs a reason."))
    _move(expenditure, Status.VOIDED, acting_user=acting_user, note=note)
    expenditure.save()
    return expenditure


# --- Vouchers and decisions -----------------------------------------------------------

#: Accepted voucher files: extension → the bytes such a file starts with.
VOUCHER_SIGNATURES = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
}


def check_upload(upload) -> str:
    """The upload's extension when it is a PDF, PNG or JPEG of an accepted size."""
    name = os.path.basename(upload.name or "")
    extension = os.path.splitext(name)[1].lower()
    if extension not in VOUCHER_SIGNATURES:
        raise SpendingError(_("“%(name)s”: only PDF, PNG and JPEG files are accepted.")
                            % {"name": name})
    if upload.size == 0:
        raise SpendingError(_("“%(name)s” is empty.") % {"name": name})
    if upload.size > settings.VOUCHER_MAX_BYTES:
        raise SpendingError(_("“%(name)s” is larger than %(mb)s MB.")
                            % {"name": name, "mb": settings.VOUCHER_MAX_BYTES // (1024 * 1024)})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not head.startswith(VOUCHER_SIGNATURES[extension]):
        raise SpendingError(_("“%(name)s” is not really a %(type)s file.")
                            % {"name": name, "type": extension[1:].upper()})
    return extension


def _stored_name(extension: str) -> str:
    # The file name on disk is ours: the user's name is kept only for display.
    return f"{uuid.uuid4().hex}{extension}"


@transaction.atomic
def voucher_add(*, expenditure: Expenditure, kind: str, upload, acting_user) -> Voucher:
    expenditure = _locked(expenditure)
    _require(acting_user, "funds.add_voucher", expenditure.township)
    _expect(expenditure, Status.DRAFT, Status.SUBMITTED, Status.RETURNED, Status.APPROVED)
    extension = check_upload(upload)
    original_name = os.path.basename(upload.name)[:200]
    upload.name = _stored_name(extension)
    voucher = Voucher.objects.create(
        expenditure=expenditure, kind=kind, file=upload, original_name=original_name,
        size=upload.size, uploaded_by=acting_user,
    )
    ExpenditureTransition.objects.create(
        expenditure=expenditure, from_status=expenditure.status, to_status=expenditure.status,
        amount=expenditure.amount, actor=acting_user,
        note=_("Voucher added: %(kind)s “%(name)s”")
        % {"kind": voucher.get_kind_display(), "name": original_name},
    )
    return voucher


@transaction.atomic
def decision_record(*, expenditure: Expenditure, meeting_type: str, meeting_date,
                    attendance: str, minutes_reference: str = "", minutes_file=None,
                    acting_user) -> CollectiveDecision:
    """Record the collective decision behind an expenditure and link it."""
    expenditure = _locked(expenditure)
    _require(acting_user, "funds.add_collectivedecision", expenditure.township)
    _expect(expenditure, Status.DRAFT, Status.SUBMITTED, Status.RETURNED)
    if not minutes_reference.strip() and not minutes_file:
        raise SpendingError(_("Give the minutes reference or attach the minutes."))
    if minutes_file:
        minutes_file.name = _stored_name(check_upload(minutes_file))
    decision = CollectiveDecision.objects.create(
        township=expenditure.township, meeting_type=meeting_type, meeting_date=meeting_date,
        attendance=attendance.strip(), minutes_reference=minutes_reference.strip(),
        minutes_file=minutes_file or "", recorded_by=acting_user,
    )
    expenditure.decision = decision
    expenditure.save(update_fields=["decision"])
    ExpenditureTransition.objects.create(
        expenditure=expenditure, from_status=expenditure.status, to_status=expenditure.status,
        amount=expenditure.amount, actor=acting_user,
        note=_("Collective decision recorded: %(decision)s") % {"decision": decision},
    )
    return decision


# --- Inspections ----------------------------------------------------------------------


@transaction.atomic
def inspection_record(*, date, inspectors: str, townships, notes: str = "",
                      acting_user) -> Inspection:
    _require(acting_user, "funds.add_inspection")
    townships = list(townships)
    if not townships:
        raise SpendingError(_("Choose at least one township."))
    inspection = Inspection.objects.create(date=date, inspectors=inspectors.strip(),
                                           notes=notes, recorded_by=acting_user)
    inspection.townships.set(townships)
    return inspection


@transaction.atomic
def finding_add(*, inspection: Inspection, township: Township, description: str, deadline,
                expenditures=(), acting_user) -> Finding:
    _require(acting_user, "funds.add_finding")
    if not inspection.townships.filter(pk=township.pk).exists():
        raise SpendingError(_("%(township)s was not part of this inspection.")
                            % {"township": township})
    if deadline < inspection.date:
        raise SpendingError(_("The rectification deadline cannot be before the inspection."))
    expenditures = list(expenditures)
    if any(e.township_id != township.pk for e in expenditures):
        raise SpendingError(_("A finding links only expenditures of its own township."))
    finding = Finding.objects.create(inspection=inspection, township=township,
                                     description=description.strip(), deadline=deadline)
    finding.expenditures.set(expenditures)
    return finding


@transaction.atomic
def finding_close(*, finding: Finding, closure_note: str, acting_user) -> Finding:
    _require(acting_user, "funds.change_finding")
    finding = Finding.objects.select_for_update().get(pk=finding.pk)
    if not finding.is_open:
        raise SpendingError(_("This finding is already closed."))
    finding.closure_note = _with_note(closure_note,
                                      _("Say how the finding was rectified to close it."))
    finding.closed_at = timezone.now()
    finding.closed_by = acting_user
    finding.save()
    return finding
