import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from funds.inspection.reminders import reminders_send


class Command(BaseCommand):
    help = ("Turn what is due (findings, waiting approvals, the half-year and annual "
            "reports, open red flags) into in-app reminders. Run daily (README: cron or a "
            "systemd timer); a rerun sends nothing twice.")

    def add_arguments(self, parser):
        parser.add_argument("--date", help="the day to run as (YYYY-MM-DD); today when omitted")

    def handle(self, *args, date, **options):
        today = None
        if date:
            try:
                today = datetime.date.fromisoformat(date)
            except ValueError:
                raise CommandError(f"--date {date!r} is not a date (YYYY-MM-DD)") from None
        with translation.override("zh-hans"):
            sent = reminders_send(today=today)
        self.stdout.write(f"{sent.made} reminders made, {sent.already} already sent, "
                          f"{sent.emailed} e-mailed")
        if sent.email_failed:
            self.stdout.write(f"{sent.email_failed} e-mails failed; the next run sends them")
            raise CommandError(f"{sent.email_failed} e-mails failed (see the log)")
