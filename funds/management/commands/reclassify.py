from django.core.management.base import BaseCommand, CommandError

from funds.models import FundYear
from funds.yearly import services
from townships.management.commands._acting_user import (
    acting_user,
    add_user_argument,
    command_errors,
)
from townships.models import Category
from wanyuan.money import format_wan


class Command(BaseCommand):
    help = "Preview (--dry-run) or apply the reclassification: year Y's ranking → Y+1's categories."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--dry-run", action="store_true")
        add_user_argument(parser, required=False)  # required to apply

    def handle(self, *args, year, dry_run, user, **options):
        fund_year = FundYear.objects.filter(year=year).first()
        if fund_year is None:
            raise CommandError(f"there is no fund year {year}")
        preview = services.reclassification_preview(fund_year=fund_year)
        result = preview.result
        for decision in result.decisions:
            if decision.changed:
                self.stdout.write(f"{decision.label}\t{decision.reason}")
        self.stdout.write(f"promoted {result.promoted}, demoted {result.demoted}, "
                          f"ranked {result.ranked_count}")
        for category in Category.values:
            self.stdout.write(f"{Category(category).label}: {result.counts_before[category]} → "
                              f"{result.counts_after[category]}")
        before, after = preview.budget_before, preview.budget_after
        self.stdout.write(
            f"{year + 1} standards {format_wan(before.standards_total)} → "
            f"{format_wan(after.standards_total)} 万元 against "
            f"{format_wan(after.special_fund)}; total {format_wan(after.grand_total)}"
        )
        for error in result.errors:
            self.stderr.write(error)
        if preview.already_applied:
            self.stderr.write(f"{year} has already been applied")
        if dry_run:
            return
        if not preview.can_apply:
            raise CommandError("not applied")
        with command_errors(user):
            record = services.reclassification_apply(year=year, acting_user=acting_user(user))
        self.stdout.write(f"applied: {record.target_year} categories written")
