from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError

from funds.models import FundYear, PlanScenario
from funds.planning import services
from funds.planning.services import PlanningError
from townships.management.commands._acting_user import (
    acting_user,
    add_user_argument,
    command_errors,
)
from townships.models import Category
from wanyuan.money import format_wan, format_yuan


def _yuan(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise CommandError(f"not an amount in yuan: {text!r}") from exc
    if value < 0:
        raise CommandError(f"an amount cannot be negative: {text!r}")
    return value


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
        add_user_argument(parser, required=False)  # required to save or adopt

    def handle(self, *args, year, method, gap, reserve, unit, name, save, adopt, reason,
               confirm, user, **options):
        fund_year = FundYear.objects.filter(year=year).first()
        if fund_year is None:
            raise CommandError(f"there is no fund year {year}")
        try:
            plan = services.scenario_compute(fund_year=fund_year, method=method,
                                             reserve=reserve, gap=gap, rounding_unit=unit)
        except PlanningError as exc:
            raise CommandError(str(exc)) from exc
        self._print(plan)
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

    def _print(self, plan):
        p = plan.parameters
        write = self.stdout.write
        write(f"method {plan.method}; floor {p.floor_mode} {format_wan(p.floor)} 万元; "
              f"rounding unit {p.rounding_unit} yuan")
        write(f"fund {format_wan(p.fund)} less reserve {format_wan(p.reserve)} = "
              f"available {format_wan(plan.available)} 万元")
        for category in Category.values:
            write(f"{Category(category).label}: {plan.counts[category]} × "
                  f"{format_wan(plan.standards[category])} 万元 "
                  f"({format_yuan(plan.standards[category])} yuan); "
                  f"all {format_yuan(plan.by_category()[category])} yuan")
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
