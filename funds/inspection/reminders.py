"""Reminders that run themselves: ``manage.py send_reminders``, run daily by cron or a
systemd timer (README), turns what is due into in-app reminders:

- findings due within 5 working days, and findings overdue: to the township's clerks and
  the county's inspectors;
- expenditures waiting for approval longer than the year's limit (working days): to the
  approvers;
- the half-year report (10 July) and the annual report (15 January) the notice demands,
  from 5 working days before: to every township's clerks and the county's staff;
- the open red flags of the current year: one digest per recipient, again only when the
  open flags change.

Each reminder is kept once per kind, subject, due day and recipient (a unique key): a
rerun, or a catch-up after days without a run, sends nothing twice. E-mail goes out only
where the deployment sets ``REMINDER_EMAILS`` and the user has an address: every reminder
made within the last week and not yet mailed, each claimed under its row lock so that two
runs at once mail it once; one whose mail failed is mailed by the next run.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from funds.inspection.selectors import red_flags_get, spending_list
from funds.models import Finding, FundYear, Reminder
from funds.workdays import WorkingCalendar
from townships.models import TownshipClerk

logger = logging.getLogger(__name__)

#: Working days before a deadline that a finding and a report are reminded of.
NOTICE_WORKDAYS = 5
Kind = Reminder.Kind


@dataclass(frozen=True)
class Due:
    kind: str
    subject: str
    due: datetime.date
    recipient_id: int
    message: str
    url: str = ""

    @property
    def key(self) -> tuple:
        return (self.kind, self.subject[:200], self.due, self.recipient_id)


def _holders(*codenames: str) -> list[int]:
    """Active users holding every one of the permissions (by group, directly, or as
    superusers) who see all townships."""
    users = get_user_model().objects.filter(is_active=True)
    result = None
    for codename in ("view_all_townships", *codenames):
        app, name = ("townships", codename) if codename == "view_all_townships" else (
            "funds", codename)
        holders = set(users.filter(
            Q(is_superuser=True)
            | Q(groups__permissions__codename=name,
                groups__permissions__content_type__app_label=app)
            | Q(user_permissions__codename=name,
                user_permissions__content_type__app_label=app)
        ).values_list("pk", flat=True))
        result = holders if result is None else result & holders
    return sorted(result or ())


def _clerks() -> dict[int, list[int]]:
    """Each township's active clerks."""
    clerks: dict[int, list[int]] = {}
    for township_id, user_id in TownshipClerk.objects.filter(user__is_active=True).values_list(
            "township_id", "user_id"):
        clerks.setdefault(township_id, []).append(user_id)
    return clerks


def due_list(*, today: datetime.date, calendar: WorkingCalendar) -> list[Due]:
    """Every reminder due on ``today``, each for one recipient."""
    clerks = _clerks()
    inspectors = _holders("change_finding")
    approvers = _holders("approve_expenditure")
    county = _holders()
    dues: list[Due] = []

    for finding in Finding.objects.filter(closed_at__isnull=True).select_related("township"):
        overdue = finding.deadline < today
        left = calendar.between(today, finding.deadline)
        if not overdue and left > NOTICE_WORKDAYS:
            continue
        kind = Kind.FINDING_OVERDUE if overdue else Kind.FINDING_DUE
        text = (_("Rectification overdue since %(deadline)s: %(township)s, %(finding)s")
                if overdue else
                _("Rectification due on %(deadline)s (%(days)s working days left): "
                  "%(township)s, %(finding)s")) % {
            "deadline": f"{finding.deadline:%Y-%m-%d}", "days": left,
            "township": finding.township.name, "finding": finding.description[:60]}
        for user_id in clerks.get(finding.township_id, []):
            dues.append(Due(kind, f"finding:{finding.pk}", finding.deadline, user_id, text,
                            reverse("township-detail", args=[finding.township.code])))
        for user_id in inspectors:
            dues.append(Due(kind, f"finding:{finding.pk}", finding.deadline, user_id, text,
                            reverse("inspection-detail", args=[finding.inspection_id])))

    limits = dict(FundYear.objects.values_list("year", "flag_slow_workdays"))
    for year, limit in limits.items():
        for item in spending_list(year=year):
            if item.status != "submitted" or item.submitted_on is None:
                continue
            waited = calendar.between(item.submitted_on, today)
            if waited <= limit:
                continue
            text = _("Waiting for approval for %(days)s working days: No. %(id)s, "
                     "%(purpose)s") % {"days": waited, "id": item.id,
                                       "purpose": item.purpose[:40]}
            for user_id in approvers:
                # due is the submission's day, not the day the limit was crossed: that
                # moves when the calendar is edited, and the item would be reminded again
                dues.append(Due(Kind.WAITING, f"expenditure:{item.id}:{item.submitted_on}",
                                item.submitted_on, user_id, text,
                                reverse("expenditure-detail", args=[item.id])))

    everyone = sorted({u for users in clerks.values() for u in users} | set(county))
    for kind, due, text in (
            (Kind.HALF_YEAR_REPORT, datetime.date(today.year, 7, 10),
             _("The half-year report on the funds of %(year)s is due on %(date)s.")),
            (Kind.ANNUAL_REPORT, datetime.date(today.year, 1, 15),
             _("The annual report on the funds of %(year)s is due on %(date)s."))):
        if not today <= due or calendar.between(today, due) > NOTICE_WORKDAYS:
            continue
        year = due.year - 1 if kind == Kind.ANNUAL_REPORT else due.year
        message = text % {"year": year, "date": f"{due:%Y-%m-%d}"}
        for user_id in everyone:
            dues.append(Due(kind, f"{kind}:{year}", due, user_id, message))

    fund_year = FundYear.objects.filter(year=today.year).first()
    if fund_year is not None:
        dues += _flag_digests(fund_year, today, calendar, clerks, _holders("close_redflag"))
    return dues


def _flag_digests(fund_year, today, calendar, clerks, inspectors) -> list[Due]:
    """One reminder per recipient of the year's open red flags, made again only when the
    set of open flags changes (its hash is the subject)."""
    flags = [f for f in red_flags_get(fund_year=fund_year, today=today, calendar=calendar)
             if not f.is_closed]
    if not flags:
        return []
    end = datetime.date(fund_year.year, 12, 31)
    url = reverse("red-flags", args=[fund_year.year])

    def digest(chosen) -> str:
        return hashlib.sha256("\n".join(sorted(f.fingerprint for f in chosen)).encode()
                              ).hexdigest()[:16]

    dues = []
    message = _("%(n)s red flags of %(year)s are open.") % {"n": len(flags),
                                                           "year": fund_year.year}
    for user_id in inspectors:
        dues.append(Due(Kind.RED_FLAG, f"flags:{fund_year.year}:all:{digest(flags)}", end,
                        user_id, message, url))
    by_township: dict[int, list] = {}
    for flag in flags:
        by_township.setdefault(flag.township_id, []).append(flag)
    for township_id, own in by_township.items():
        text = _("%(n)s red flags of %(year)s are open for your township.") % {
            "n": len(own), "year": fund_year.year}
        for user_id in clerks.get(township_id, []):
            dues.append(Due(Kind.RED_FLAG, f"flags:{fund_year.year}:{township_id}:"
                            f"{digest(own)}", end, user_id, text, url))
    return dues


@dataclass(frozen=True)
class Sent:
    made: int
    already: int
    emailed: int
    email_failed: int = 0


def reminders_send(*, today: datetime.date | None = None,
                   calendar: WorkingCalendar | None = None) -> Sent:
    """Make the reminders due today that were not made before; e-mail them where the
    deployment says so. Safe to rerun, and to run twice at once (the unique key)."""
    today = today or timezone.localdate()
    calendar = calendar or WorkingCalendar()
    dues = {due.key: due for due in due_list(today=today, calendar=calendar)}
    existing = set()
    subjects = {key[1] for key in dues}
    for row in Reminder.objects.filter(subject__in=subjects).values_list(
            "kind", "subject", "due", "recipient_id"):
        existing.add(row)
    new = [due for key, due in dues.items() if key not in existing]
    Reminder.objects.bulk_create(
        [Reminder(kind=d.kind, subject=d.subject[:200], due=d.due, recipient_id=d.recipient_id,
                  message=d.message, url=d.url) for d in new],
        ignore_conflicts=True, batch_size=500)
    emailed, failed = email_pending() if getattr(settings, "REMINDER_EMAILS", False) else (0, 0)
    return Sent(made=len(new), already=len(dues) - len(new), emailed=emailed,
                email_failed=failed)


#: How far back a reminder not yet mailed is still mailed: a mail server down for days is
#: caught up with, but turning e-mail on does not mail the whole history.
EMAIL_CATCH_UP = datetime.timedelta(days=7)


def _claim(pk: int) -> Reminder | None:
    """The reminder, locked for this run, if it is still to be mailed and no other run
    holds it (called inside the transaction that mails it)."""
    return (Reminder.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient").filter(pk=pk, emailed_at__isnull=True).first())


def email_pending() -> tuple[int, int]:
    """Mail every reminder made within the catch-up window, not yet mailed, to a
    recipient with an address; each is marked mailed in the transaction that mailed it.
    Stops at the first failure (the server is down): the rest wait for the next run.
    Returns (mailed, failed)."""
    pending = list(Reminder.objects.filter(
        emailed_at__isnull=True, created_at__gte=timezone.now() - EMAIL_CATCH_UP,
        recipient__is_active=True).exclude(recipient__email="")
        .order_by("pk").values_list("pk", flat=True))
    sent = 0
    for pk in pending:
        with transaction.atomic():
            reminder = _claim(pk)
            if reminder is None:  # mailed, or being mailed, by another run
                continue
            try:
                send_mail(_("Party-building funds: a reminder"), reminder.message, None,
                          [reminder.recipient.email])
            except (OSError, smtplib.SMTPException) as exc:
                logger.warning("reminder %s not mailed: %s", pk, exc)
                return sent, 1
            reminder.emailed_at = timezone.now()
            reminder.save(update_fields=["emailed_at"])
        sent += 1
    return sent, 0
