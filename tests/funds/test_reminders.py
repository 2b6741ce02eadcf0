"""Reminders that run themselves: what is due becomes an in-app reminder once per kind,
subject, due day and recipient; a rerun or a catch-up sends nothing twice; e-mail only
where the deployment says so."""

import datetime
import smtplib
from decimal import Decimal

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import CommandError, call_command
from django.utils import timezone

from funds.inspection.reminders import reminders_send
from funds.models import Expenditure, ExpenditureTransition, FundYear, Reminder, SpendingCategory
from funds.spending import services as spending
from funds.workdays import WorkingCalendar
from tests.conftest import login

pytestmark = pytest.mark.django_db
D = datetime.date
CAL = WorkingCalendar({})


@pytest.fixture
def finding(demo, taiping, staff_user):
    inspection = spending.inspection_record(date=D(2026, 9, 1), inspectors="检查组",
                                            townships=[taiping], acting_user=staff_user)
    return spending.finding_add(inspection=inspection, township=taiping,
                                description="台账缺签字", deadline=D(2026, 10, 13),
                                acting_user=staff_user)


def test_a_finding_is_reminded_five_working_days_ahead_then_when_overdue(
        finding, clerk_user, other_clerk_user, staff_user, admin_user, finance_user):
    # 13 October 2026: five working days ahead is 30 September (1–7 October are off,
    # Saturday 10 October is worked): 30 Sep → 8, 9, 10, 12, 13.
    assert reminders_send(today=D(2026, 9, 29), calendar=CAL).made == 0
    sent = reminders_send(today=D(2026, 9, 30), calendar=CAL)
    due = Reminder.objects.filter(kind=Reminder.Kind.FINDING_DUE)
    recipients = {r.recipient_id for r in due}
    assert {clerk_user.pk, staff_user.pk, admin_user.pk} <= recipients
    assert not {other_clerk_user.pk, finance_user.pk} & recipients  # another township; finance
    assert sent.made == len(recipients) and "2026-10-13" in due.first().message
    # A rerun, and a catch-up days later, send nothing twice.
    assert reminders_send(today=D(2026, 9, 30), calendar=CAL).made == 0
    assert reminders_send(today=D(2026, 10, 9), calendar=CAL).made == 0
    overdue = reminders_send(today=D(2026, 10, 14), calendar=CAL)
    assert overdue.made == len(recipients)
    assert reminders_send(today=D(2026, 10, 20), calendar=CAL).made == 0
    assert Reminder.objects.filter(kind=Reminder.Kind.FINDING_OVERDUE).count() == len(recipients)


def test_a_closed_finding_is_not_reminded(finding, staff_user):
    spending.finding_close(finding=finding, closure_note="已补签", acting_user=staff_user)
    assert reminders_send(today=D(2026, 10, 12), calendar=CAL).made == 0


def test_items_waiting_over_the_limit_go_to_the_approvers(demo, taiping, clerk_user,
                                                          staff_user, finance_user):
    expenditure = spending.expenditure_create(
        township=taiping, date=D(2020, 5, 11), amount=Decimal("800.00"),
        category=SpendingCategory.objects.get(name="教育培训"), purpose="党员培训",
        payee="党校", acting_user=clerk_user)
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk_user)
    submitted = ExpenditureTransition.objects.filter(expenditure=expenditure,
                                                     to_status="submitted")
    submitted.update(at=datetime.datetime(2026, 9, 14, 9, 0, tzinfo=datetime.UTC))
    limit = FundYear.objects.get(year=2020).flag_slow_workdays  # 10
    on_time = CAL.add(D(2026, 9, 14), limit)
    assert reminders_send(today=on_time, calendar=CAL).made == 0
    late = reminders_send(today=CAL.add(D(2026, 9, 14), limit + 1), calendar=CAL)
    waiting = Reminder.objects.filter(kind=Reminder.Kind.WAITING)
    assert late.made == waiting.count() >= 2
    assert staff_user.pk in {r.recipient_id for r in waiting}
    assert finance_user.pk not in {r.recipient_id for r in waiting}  # finance does not approve
    assert Expenditure.objects.get(pk=expenditure.pk).status == "submitted"


def test_a_waiting_item_is_reminded_once_whatever_the_calendar_says_later(
        demo, taiping, clerk_user, staff_user):
    """The day off an administrator enters after a reminder went out moves the day the
    limit was crossed; the item is the same, and it is not reminded again."""
    expenditure = spending.expenditure_create(
        township=taiping, date=D(2020, 5, 11), amount=Decimal("800.00"),
        category=SpendingCategory.objects.get(name="教育培训"), purpose="党员培训",
        payee="党校", acting_user=clerk_user)
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk_user)
    ExpenditureTransition.objects.filter(expenditure=expenditure, to_status="submitted").update(
        at=datetime.datetime(2026, 9, 14, 9, 0, tzinfo=datetime.UTC))
    first = reminders_send(today=D(2026, 10, 20), calendar=CAL)
    assert first.made and Reminder.objects.filter(kind=Reminder.Kind.WAITING).exists()
    made = Reminder.objects.count()
    edited = WorkingCalendar({D(2026, 9, 16): False, D(2026, 9, 17): False})
    assert edited.add(D(2026, 9, 14), 11) != CAL.add(D(2026, 9, 14), 11)
    assert reminders_send(today=D(2026, 10, 21), calendar=edited).made == 0
    assert Reminder.objects.count() == made


def test_the_reports_the_notice_demands(demo, clerk_user, staff_user):
    assert reminders_send(today=D(2026, 6, 26), calendar=CAL).made == 0
    sent = reminders_send(today=D(2026, 7, 3), calendar=CAL)   # 10 July is 5 working days on
    half = Reminder.objects.filter(kind=Reminder.Kind.HALF_YEAR_REPORT)
    assert sent.made == half.count() and clerk_user.pk in {r.recipient_id for r in half}
    assert "2026" in half.first().message and half.first().due == D(2026, 7, 10)
    assert reminders_send(today=D(2026, 7, 10), calendar=CAL).made == 0
    assert reminders_send(today=D(2026, 7, 11), calendar=CAL).made == 0
    annual = reminders_send(today=D(2026, 1, 12), calendar=CAL)
    assert annual.made and Reminder.objects.filter(
        kind=Reminder.Kind.ANNUAL_REPORT, subject="annual_report:2025").exists()


def test_open_flags_make_one_digest_again_only_when_they_change(demo, taiping, clerk_user,
                                                                staff_user):
    FundYear.objects.create(year=2026, special_fund=Decimal("6690000.00"))
    expenditure = spending.expenditure_create(
        township=taiping, date=D(2026, 3, 2), amount=Decimal("800.00"),
        category=SpendingCategory.objects.get(name="教育培训"), purpose="购买礼品",
        payee="超市", acting_user=clerk_user)
    today = D(2026, 3, 10)
    reminders_send(today=today, calendar=CAL)
    digests = Reminder.objects.filter(kind=Reminder.Kind.RED_FLAG)
    assert clerk_user.pk in {r.recipient_id for r in digests}
    assert staff_user.pk in {r.recipient_id for r in digests}
    assert reminders_send(today=D(2026, 3, 11), calendar=CAL).made == 0
    spending.expenditure_update(expenditure=expenditure, acting_user=clerk_user,
                                date=expenditure.date, amount=Decimal("900.00"),
                                category=expenditure.category, purpose="购买礼品和烟",
                                payee="超市")
    assert reminders_send(today=D(2026, 3, 12), calendar=CAL).made >= 2


def test_the_panel_shows_them_and_email_goes_only_where_configured(
        client, finding, clerk_user, settings):
    clerk_user.email = "clerk@example.org"
    clerk_user.save()
    reminders_send(today=D(2026, 9, 30), calendar=CAL)
    assert mail.outbox == []
    login(client, clerk_user)
    page = client.get("/my/")
    assert "台账缺签字" in page.content.decode()
    settings.REMINDER_EMAILS = True
    # a reminder made over the catch-up window ago is not mailed when e-mail is turned on
    Reminder.objects.update(created_at=timezone.now() - datetime.timedelta(days=8))
    reminders_send(today=D(2026, 10, 14), calendar=CAL)
    assert [m.to for m in mail.outbox] == [["clerk@example.org"]]
    assert "逾期" in mail.outbox[0].body


class RefusingBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("connection refused")


def test_a_reminder_whose_mail_failed_is_mailed_on_the_next_run(finding, clerk_user,
                                                                settings, capsys):
    clerk_user.email = "clerk@example.org"
    clerk_user.save()
    settings.REMINDER_EMAILS = True
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    with pytest.raises(CommandError, match="1"):
        call_command("send_reminders", "--date", "2026-09-30")
    made = Reminder.objects.count()
    assert made and "1 e-mails failed" in capsys.readouterr().out
    assert Reminder.objects.filter(recipient=clerk_user, emailed_at__isnull=True).count() == 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sent = reminders_send(today=D(2026, 10, 1), calendar=CAL)
    assert sent.made == 0 and sent.emailed == 1 and len(mail.outbox) == 1
    assert reminders_send(today=D(2026, 10, 2), calendar=CAL).emailed == 0
    assert len(mail.outbox) == 1


def test_the_command(finding, capsys):
    call_command("send_reminders", "--date", "2026-09-30")
    made = Reminder.objects.count()
    assert made and f"{made} reminders made" in capsys.readouterr().out
    call_command("send_reminders", "--date", "2026-09-30")
    assert f"0 reminders made, {made} already sent" in capsys.readouterr().out
    with pytest.raises(Exception, match="not a date"):
        call_command("send_reminders", "--date", "30.9.2026")
