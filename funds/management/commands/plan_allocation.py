import argparse
import csv
from collections import Counter
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from funds.models import MONEY_MAX, FundYear, PlanScenario
from funds.planning import services
from funds.planning.services import PlanningError
from townships.management.commands._acting_user import (
    acting_user,
    add_user_argument,
    command_errors,
)
from townships.models import Category, Township
from wanyuan.money import format_wan, format_yuan


def _yuan(text: str) -> Decimal:
    """An amount in yuan as typed: a finite number from 0 up to the money columns' limit.
    Anything else is argparse's error (the option named, exit status 2), not a traceback."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise argparse.ArgumentTypeError(f"not an amount in yuan: {text!r}")
    if value < 0:
        raise argparse.ArgumentTypeError(f"an amount cannot be negative: {text!r}")
    if value > MONEY_MAX:
        raise argparse.ArgumentTypeError(f"an amount cannot exceed {MONEY_MAX:.2f}: {text!r}")
    return value.quantize(Decimal("0.01"))


class Command(BaseCommand):
    help = ("Compute an allocation plan of a year (keep, scale, ladder or fit) and print its "
            "figures; --save keeps it as a scenario, --adopt makes it the year's allocation.")

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--method", required=True,
                            choices=["keep", "scale", "ladder", "fit"])
        parser.add_argument("--gap", type=_yuan, help="ladder: yuan between categories")
        parser.add_argument("--reserve", type=_yuan, help="预留 kept back, in yuan")
        parser.add_argument("--round", type=int, choices=[1, 100], default=1, dest="unit")
        parser.add_argument("--name", help="the scenario's name (with --save or --adopt)")
        parser.add_argument("--save", action="store_true", help="keep it as a scenario")
        parser.add_argument("--adopt", action="store_true", help="keep it and adopt it")
        parser.add_argument("--reason", default="",
                            help="why, when money has already been spent in the year or "
                                 "the plan exceeds the fund")
        parser.add_argument("--confirm", action="store_true",
                            help="adopt a plan beyond the fund available (with --reason)")
        parser.add_argument("--csv", action="store_true", dest="as_csv",
                            help="print each township's amounts as CSV (UTF-8 with BOM) "
                                 "instead of the summary")
        add_user_argument(parser, required=False)  # required to save or adopt

    def handle(self, *args, year, method, gap, reserve, unit, name, save, adopt, reason,
               confirm, user, as_csv, **options):
        fund_year = FundYear.objects.filter(year=year).first()
        if fund_year is None:
            raise CommandError(f"there is no fund year {year}")
        try:
            plan = services.scenario_compute(fund_year=fund_year, method=method,
                                             reserve=reserve, gap=gap, rounding_unit=unit)
        except PlanningError as exc:
            raise CommandError(str(exc)) from exc
        rows = self._township_rows(plan)
        if as_csv:
            self._write_csv(rows, plan)
        else:
            self._print(plan, rows)
        if not (save or adopt):
            return
        with command_errors(user):
            actor = acting_user(user)
            try:
                scenario = services.scenario_create(
                    fund_year=fund_year, name=name or f"{method} {year}", method=method,
                    reserve=reserve, gap=gap, rounding_unit=unit, acting_user=actor)
                self.stdout.write(f"saved: scenario {scenario.pk}")
                if adopt:
                    services.scenario_adopt(scenario=scenario, acting_user=actor,
                                            reason=reason, confirmed=confirm)
                    self.stdout.write(f"adopted for {year}")
            except PlanningError as exc:
                raise CommandError(str(exc)) from exc

    @staticmethod
    def _township_rows(plan):
        """(code, name, category, standard, floor, total) per township, in code order
        (the plan's lines are in code order: plan_input_get)."""
        names = dict(Township.objects.filter(pk__in=[line.township for line in plan.lines])
                     .values_list("pk", "code").order_by())
        labels = dict(Township.objects.filter(pk__in=names).values_list("pk", "name"))
        return [(names[line.township], labels[line.township],
                 str(Category(line.category).label) if line.category else "",
                 line.standard, line.floor, line.total) for line in plan.lines]

    def _write_csv(self, rows, plan):
        with translation.override("zh-hans"):
            header = [_("Official code"), _("Township"), _("Category"), _("Standard (yuan)"),
                      _("Floor (yuan)"), _("Total (yuan)")]
            total_label = _("Total")
        writer = csv.writer(self.stdout, lineterminator="\n")
        self.stdout.write("\ufeff", ending="")
        writer.writerow(header)
        for code, name, category, standard, floor, total in rows:
            writer.writerow([code, name, category, f"{standard:.2f}", f"{floor:.2f}",
                             f"{total:.2f}"])
        writer.writerow([total_label, "", "", f"{plan.standards_total:.2f}",
                         f"{plan.floors_total:.2f}", f"{plan.total:.2f}"])

    def _print(self, plan, rows):
        p = plan.parameters
        write = self.stdout.write
        write(f"method {plan.method}; floor {p.floor_mode} {format_wan(p.floor)} 万元; "
              f"rounding unit {p.rounding_unit} yuan")
        write(f"fund {format_wan(p.fund)} less reserve {format_wan(p.reserve)} = "
              f"available {format_wan(plan.available)} 万元")
        # Each category as paid: the amounts its townships receive, and how many receive
        # each (largest remainders give some one unit more than others).
        for category in Category.values:
            paid = Counter((line.standard, line.total) for line in plan.lines
                           if line.category == category)
            amounts = ", ".join(f"{n} × {format_yuan(standard)} (with the floor "
                                f"{format_yuan(total)})"
                                for (standard, total), n in sorted(paid.items(), reverse=True))
            write(f"{Category(category).label}: {plan.counts[category]} townships, standard as "
                  f"paid {amounts or 'none'}; all {format_yuan(plan.by_category()[category])} "
                  f"yuan")
        write(f"standards {format_yuan(plan.standards_total)}, floors "
              f"{format_yuan(plan.floors_total)}, total {format_yuan(plan.total)} yuan")
        write(f"paid out of the fund {format_yuan(plan.fund_covered)}; difference to the "
              f"available {format_yuan(plan.difference)} yuan")
        if plan.method in (PlanScenario.Method.SCALE, PlanScenario.Method.LADDER):
            write(f"largest-remainder recipients: {len(plan.recipients)}")
        if plan.fit is not None:
            for label, splits in (("exact", plan.fit.exact),
                                  ("nearest under", plan.fit.nearest_under),
                                  ("nearest over", plan.fit.nearest_over)):
                text = ", ".join(f"{s.counts} {format_wan(s.cost)}" for s in splits) or "none"
                write(f"{label}: {text}")
        write(plan.formula_zh)
        write(plan.formula_en)
        write("")
        code_width = max((len(row[0]) for row in rows), default=4)
        for code, name, category, standard, floor, total in rows:
            write(f"{code:<{code_width}}  {name}\t{category}\t{format_yuan(standard)}\t"
                  f"{format_yuan(floor)}\t{format_yuan(total)}")
