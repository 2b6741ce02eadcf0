"""Writes on fund years, and the reclassification as seen from the money side."""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from funds.budget.overdraw import Overdrawn, overdraw_confirm, overdrawn_by_settings
from funds.budget.selectors import (
    BudgetCheck,
    budget_check_from_counts,
    category_counts,
    townships_with_category,
)
from funds.models import FundYear
from funds.signals import noted
from townships import services as township_services
from townships.audit import acting
from townships.models import Reclassification
from townships.roles import require_permission
from townships.rules import Result
from townships.services import ReclassificationError
from wanyuan.money import format_wan, format_yuan


@dataclass(frozen=True)
class ReclassificationPreview:
    fund_year: FundYear
    result: Result
    next_fund_year: FundYear
    next_year_is_new: bool
    budget_before: BudgetCheck
    budget_after: BudgetCheck
    already_applied: Reclassification | None

    @property
    def can_apply(self) -> bool:
        return self.result.ok and self.already_applied is None


def _next_fund_year(fund_year: FundYear) -> tuple[FundYear, bool]:
    """Year+1's settings: the stored ones, or a copy of this year's (not saved)."""
    existing = FundYear.objects.filter(year=fund_year.year + 1).first()
    if existing:
        return existing, False
    copy = FundYear(
        year=fund_year.year + 1,
        floor_amount=fund_year.floor_amount,
        special_fund=fund_year.special_fund,
        standard_first=fund_year.standard_first,
        standard_second=fund_year.standard_second,
        standard_third=fund_year.standard_third,
        floor_mode=fund_year.floor_mode,
        reserve=fund_year.reserve,
        promote_count=fund_year.promote_count,
        demote_count=fund_year.demote_count,
        large_spending_threshold=fund_year.large_spending_threshold,
        is_illustrative=fund_year.is_illustrative,
        notes=_("Created by the %(year)s reclassification with %(year)s's amounts.")
        % {"year": fund_year.year},
    )
    return copy, True


def reclassification_preview(*, fund_year: FundYear) -> ReclassificationPreview:
    result = township_services.reclassification_preview(
        year=fund_year.year,
        promote_count=fund_year.promote_count,
        demote_count=fund_year.demote_count,
    )
    next_year, is_new = _next_fund_year(fund_year)
    return ReclassificationPreview(
        fund_year=fund_year,
        result=result,
        next_fund_year=next_year,
        next_year_is_new=is_new,
        budget_before=budget_check_from_counts(next_year, result.counts_before),
        budget_after=budget_check_from_counts(next_year, result.counts_after),
        already_applied=Reclassification.objects.filter(
            year=fund_year.year, reverted_at__isnull=True
        ).first(),
    )


def reclassification_apply(*, year: int, acting_user) -> Reclassification:
    """Apply the year's ranking to year+1, creating year+1's fund year if needed."""
    with transaction.atomic():
        # Serialises concurrent applications of the same year on PostgreSQL; the
        # partial unique constraint on Reclassification catches the rest.
        fund_year = FundYear.objects.select_for_update().filter(year=year).first()
        if fund_year is None:
            raise ReclassificationError(_("There is no fund year %(year)s.") % {"year": year})
        record = township_services.reclassification_apply(
            year=year,
            promote_count=fund_year.promote_count,
            demote_count=fund_year.demote_count,
            acting_user=acting_user,
        )
        next_year, is_new = _next_fund_year(fund_year)
        if is_new:
            with acting(acting_user):  # its creation is audited with who caused it
                next_year.save()
        return record


@dataclass(frozen=True)
class SettingChange:
    """One setting of a year as it is and as it would be."""

    name: str
    label: str
    old: object
    new: object

    @property
    def old_text(self) -> str:
        return _setting_text(self.name, self.old)

    @property
    def new_text(self) -> str:
        return _setting_text(self.name, self.new)

    @property
    def is_large(self) -> bool:
        """An amount or a count moving by more than half (or from nothing): the page asks
        for a confirmation, a typo of a zero being the usual cause."""
        if isinstance(self.old, bool) or not isinstance(self.old, Decimal | int):
            return False
        if not self.old:
            return bool(self.new)
        return abs(Decimal(self.new) - Decimal(self.old)) * 2 > abs(Decimal(self.old))


def _setting_text(name: str, value) -> str:
    """A setting as the page shows it: allocation amounts in 万元, the threshold (a single
    expenditure) in 元, flags as yes/no, choices by their label."""
    field = FundYear._meta.get_field(name)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, Decimal):
        if name == "large_spending_threshold":
            return _("%(amount)s yuan") % {"amount": format_yuan(value)}
        return _("%(amount)s (10k yuan)") % {"amount": format_wan(value)}
    return str(value)


@dataclass(frozen=True)
class SettingsPreview:
    changes: list[SettingChange]
    budget_before: BudgetCheck
    budget_after: BudgetCheck
    #: the townships the change leaves below zero (funds.budget.overdraw, the one rule)
    overdrawn: list[Overdrawn] = field(default_factory=list)

    @property
    def needs_confirmation(self) -> bool:
        return any(change.is_large for change in self.changes)


def settings_version(fund_year: FundYear) -> str:
    """A fingerprint of a year's stored settings: a confirmation is refused when the
    settings changed after the preview it confirms."""
    values = {f.name: str(getattr(fund_year, f.attname)) for f in FundYear._meta.concrete_fields}
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]


def fund_year_settings_preview(*, fund_year: FundYear, values: dict,
                               labels: dict | None = None) -> SettingsPreview:
    """What saving ``values`` would change, and the year's budget check before and after;
    ``labels`` names the settings as the form does (in 万元 where it types 万元)."""
    labels = labels or {}
    after = copy.copy(fund_year)
    for name, value in values.items():
        setattr(after, name, value)
    changes = [
        SettingChange(name, str(labels.get(name) or FundYear._meta.get_field(name).verbose_name),
                      getattr(fund_year, name), value)
        for name, value in values.items() if getattr(fund_year, name) != value
    ]
    counts = category_counts(townships_with_category(fund_year.year))
    return SettingsPreview(changes=changes,
                           budget_before=budget_check_from_counts(fund_year, counts),
                           budget_after=budget_check_from_counts(after, counts),
                           overdrawn=overdrawn_by_settings(fund_year, values) if changes
                           else [])


class StaleSettings(Exception):
    """The settings changed after the preview that is being confirmed."""


def fund_year_settings_update(*, year: int, values: dict, version: str,
                              acting_user, reason: str = "", confirmed: bool = False
                              ) -> FundYear:
    """Save a year's settings as previewed: audited with old and new values (the
    FundYear signals), refused if someone changed them since ``version`` was read, and
    refused when they leave a township's remaining budget below zero unless
    ``confirmed`` with a ``reason`` (recorded in the audit event with the townships)."""
    require_permission(acting_user, "funds.change_fundyear")
    with transaction.atomic():
        fund_year = FundYear.objects.select_for_update().get(year=year)
        if settings_version(fund_year) != version:
            raise StaleSettings(_("The settings of %(year)s were changed by someone else "
                                  "after your preview; look at the new values and try again.")
                                % {"year": year})
        note = overdraw_confirm(overdrawn_by_settings(fund_year, values), reason=reason,
                                confirmed=confirmed)
        for name, value in values.items():
            setattr(fund_year, name, value)
        fund_year.full_clean()
        with acting(acting_user), noted(note):
            fund_year.save()
        return fund_year
