"""Writes of the planner: scenarios computed and kept, one adopted or reverted, audited."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from funds.budget.overdraw import (
    Overdrawn,
    OverdrawRefused,
    overdraw_confirm,
    overdrawn_by_settings,
)
from funds.models import MONEY_MAX, FundYear, PlanLine, PlanScenario
from funds.planning import rules
from funds.planning.selectors import plan_input_get, plan_parameters_get, year_has_spending
from funds.signals import noted
from townships.audit import acting, stored_text
from townships.models import AuditEvent
from townships.roles import require_permission
from wanyuan.money import format_wan

ADOPTED_FIELDS = ("standard_first", "standard_second", "standard_third", "floor_mode",
                  "reserve")


class PlanningError(Exception):
    """A plan that cannot be computed, adopted or reverted; the message says why."""


def _json(values: dict) -> dict:
    return {k: f"{v:.2f}" if isinstance(v, Decimal) else v for k, v in values.items()}


def scenario_compute(*, fund_year: FundYear, method: str, reserve=None, gap=None,
                     rounding_unit: int = 1, standards: dict | None = None) -> rules.Plan:
    """The plan of a year for a method, not saved (the command's dry run, the form)."""
    plan_input = plan_input_get(fund_year=fund_year)
    parameters = plan_parameters_get(fund_year=fund_year, reserve=reserve, gap=gap,
                               rounding_unit=rounding_unit, standards=standards)
    try:
        plan = rules.plan(method, parameters, plan_input.townships)
    except rules.PlanError as exc:
        raise PlanningError(str(exc)) from exc
    _check_fits(plan)
    return plan


def _check_fits(plan: rules.Plan) -> None:
    """Every amount of the plan fits its money column (max_digits=14): a plan the
    database cannot hold is refused here with a reason, never a numeric overflow."""
    p = plan.parameters
    amounts = [p.reserve, p.gap, p.floor, plan.total, plan.fund_covered, plan.difference,
               *plan.standards.values(),
               *(v for line in plan.lines for v in (line.standard, line.floor, line.total))]
    if any(abs(Decimal(v)) > MONEY_MAX for v in amounts if v is not None):
        raise PlanningError(_("The amounts are too large: an amount of a plan, its "
                              "total included, cannot exceed %(limit)s (10k yuan).")
                            % {"limit": format_wan(MONEY_MAX)})


def scenario_create(*, fund_year: FundYear, name: str, method: str, acting_user,
                    reserve=None, gap=None, rounding_unit: int = 1,
                    standards: dict | None = None) -> PlanScenario:
    """Compute a scenario for every township of the year and keep it with its lines."""
    require_permission(acting_user, "funds.add_planscenario")
    plan = scenario_compute(fund_year=fund_year, method=method, reserve=reserve, gap=gap,
                            rounding_unit=rounding_unit, standards=standards)
    p = plan.parameters
    with transaction.atomic():
        fit = {}
        if plan.fit is not None:
            fit = {key: [{"counts": list(s.counts), "cost": f"{s.cost:.2f}"} for s in splits]
                   for key, splits in (("exact", plan.fit.exact),
                                       ("under", plan.fit.nearest_under),
                                       ("over", plan.fit.nearest_over))}
        scenario = PlanScenario.objects.create(
            fund_year=fund_year, name=name, method=method, special_fund=p.fund,
            reserve=p.reserve, floor_amount=p.floor, floor_mode=p.floor_mode,
            rounding_unit=p.rounding_unit, gap=p.gap,
            input_standards={str(c): f"{Decimal(v):.2f}" for c, v in p.standards.items()},
            standard_first=plan.standards[1], standard_second=plan.standards[2],
            standard_third=plan.standards[3], total=plan.total,
            fund_covered=plan.fund_covered, difference=plan.difference,
            recipients=plan.recipients, fit=fit, formula_zh=plan.formula_zh,
            formula_en=plan.formula_en, created_by=acting_user)
        PlanLine.objects.bulk_create(
            [PlanLine(scenario=scenario, township_id=line.township, category=line.category,
                      standard=line.standard, floor=line.floor, total=line.total)
             for line in plan.lines], batch_size=1000)
        AuditEvent.objects.create(
            action=AuditEvent.Action.PLAN_CREATED, year=fund_year.year, actor=acting_user,
            summary=stored_text(_summary_created, scenario),
            details={"scenario": scenario.pk, "method": method, "name": name,
                     "standards": _json(scenario.standards), "total": f"{plan.total:.2f}"})
    return scenario


def _summary_created(scenario):
    return _("Allocation plan “%(name)s” (%(method)s) of %(year)s created") % {
        "name": scenario.name, "method": scenario.get_method_display(),
        "year": scenario.fund_year.year}


def _settings(fund_year: FundYear) -> dict:
    values = {f: getattr(fund_year, f) for f in ADOPTED_FIELDS}
    values["adopted_scenario"] = fund_year.adopted_scenario_id
    return _json(values)


def over_fund(scenario: PlanScenario) -> Decimal:
    """How much more than the fund available less the reserve the plan pays out of the
    fund (0 when it fits): the one definition the page and the adoption read."""
    return max(-scenario.difference, Decimal("0.00"))


def overdrawn_by_adoption(fund_year: FundYear, scenario: PlanScenario) -> list[Overdrawn]:
    """The townships that adopting the scenario leaves below zero (the one rule)."""
    return overdrawn_by_settings(
        fund_year, {f: getattr(scenario, f) for f in ADOPTED_FIELDS},
        adopted_scenario_id=scenario.pk)


def scenario_adopt(*, scenario: PlanScenario, acting_user, reason: str = "",
                   confirmed: bool = False) -> FundYear:
    """Make a scenario the year's allocation: its standards, floor mode and reserve
    become the year's settings and its lines the townships' amounts. One transaction on
    the locked fund year, so that two adoptions serialise and the second sees the first;
    once money has been spent against the year, only with a reason; a plan beyond the
    fund available less the reserve only with an explicit confirmation and a reason."""
    require_permission(acting_user, "funds.adopt_allocation_plan")
    reason = reason.strip()
    with transaction.atomic():
        fund_year = FundYear.objects.select_for_update().get(pk=scenario.fund_year_id)
        if fund_year.adopted_scenario_id == scenario.pk:
            raise PlanningError(_("This plan is already the year's allocation."))
        if scenario.method == PlanScenario.Method.FIT:
            raise PlanningError(_("A plan of category counts is not an allocation: "
                                  "it lists the splits that fit."))
        if fund_year.floor_amount != scenario.floor_amount or \
                fund_year.special_fund != scenario.special_fund:
            raise PlanningError(_("The year's fund or floor changed since this plan was "
                                  "computed: compute it again."))
        spent = year_has_spending(year=fund_year.year)
        if spent and not reason:
            raise PlanningError(_("Money has been spent against %(year)s: give a reason to "
                                  "adopt a plan all the same.") % {"year": fund_year.year})
        beyond = over_fund(scenario)
        if beyond and not (confirmed and reason):
            raise PlanningError(_(
                "This plan exceeds the fund available less the reserve by %(amount)s "
                "(10k yuan): confirm and give a reason to adopt it all the same.")
                % {"amount": format_wan(beyond)})
        try:
            note = overdraw_confirm(overdrawn_by_adoption(fund_year, scenario),
                                    reason=reason, confirmed=confirmed)
        except OverdrawRefused as exc:
            raise PlanningError(str(exc)) from exc
        old = _settings(fund_year)
        fund_year.standard_first = scenario.standard_first
        fund_year.standard_second = scenario.standard_second
        fund_year.standard_third = scenario.standard_third
        fund_year.floor_mode = scenario.floor_mode
        fund_year.reserve = scenario.reserve
        fund_year.adopted_scenario = scenario
        with acting(acting_user), noted(note):  # the settings' own audit: the same user
            fund_year.save()
        new = _settings(fund_year)
        details = {"scenario": scenario.pk, "name": scenario.name, "old": old, "new": new,
                   "reason": reason, "spent": spent}
        if beyond:
            details.update(over_fund=f"{beyond:.2f}", confirmed=True)
        details.update(note)
        AuditEvent.objects.create(
            action=AuditEvent.Action.PLAN_ADOPTED, year=fund_year.year, actor=acting_user,
            summary=stored_text(_summary_adopted, scenario, reason), details=details)
    return fund_year


def _summary_adopted(scenario, reason):
    text = _("Allocation plan “%(name)s” adopted for %(year)s") % {
        "name": scenario.name, "year": scenario.fund_year.year}
    return f"{text}: {reason}" if reason else text


def scenario_revert(*, fund_year: FundYear, acting_user) -> FundYear:
    """Undo the year's adoption while nothing has been spent: the settings as they were
    before it (from its audit event), the categories' formula again."""
    require_permission(acting_user, "funds.adopt_allocation_plan")
    with transaction.atomic():
        fund_year = FundYear.objects.select_for_update().get(pk=fund_year.pk)
        if fund_year.adopted_scenario_id is None:
            raise PlanningError(_("No plan is adopted for %(year)s.") % {"year": fund_year.year})
        if year_has_spending(year=fund_year.year):
            raise PlanningError(_("Money has been spent against %(year)s: the adopted plan "
                                  "stays.") % {"year": fund_year.year})
        adoption = AuditEvent.objects.filter(
            action=AuditEvent.Action.PLAN_ADOPTED, year=fund_year.year,
            details__scenario=fund_year.adopted_scenario_id).order_by("-id").first()
        old = _settings(fund_year)
        before = adoption.details["old"] if adoption else {}
        for field in ADOPTED_FIELDS:
            if field in before:
                value = before[field]
                setattr(fund_year, field, value if field == "floor_mode" else Decimal(value))
        previous = before.get("adopted_scenario")
        fund_year.adopted_scenario_id = previous if PlanScenario.objects.filter(
            pk=previous).exists() else None
        scenario = PlanScenario.objects.get(pk=old["adopted_scenario"])
        with acting(acting_user):
            fund_year.save()
        AuditEvent.objects.create(
            action=AuditEvent.Action.PLAN_REVERTED, year=fund_year.year, actor=acting_user,
            summary=stored_text(_summary_reverted, scenario),
            details={"scenario": scenario.pk, "old": old, "new": _settings(fund_year)})
    return fund_year


def _summary_reverted(scenario):
    return _("Adoption of the allocation plan “%(name)s” for %(year)s reverted") % {
        "name": scenario.name, "year": scenario.fund_year.year}


def formula_in(scenario: PlanScenario, language: str | None = None) -> str:
    """The scenario's formula in a language (the site's by default)."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    return scenario.formula_en if language.startswith("en") else scenario.formula_zh
