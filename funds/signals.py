"""Every change of a year's settings, of a spending category or of the documents' settings
is audited with its values.

Signals, so that every door is covered: the admin, a service, a command, the shell. The
old values are read from the stored row just before the save (locked when the save runs
in a transaction, so a concurrent change cannot slip between the read and the write);
the event is written after it, in the same transaction. The actor is whoever the
innermost ``townships.audit.acting`` block names: the admin's user, a service's acting
user, nobody in a shell. Bulk writes (``bulk_create``, ``QuerySet.update``) send no
signals and are not covered: only the benchmarks' synthetic load (tests/bench) writes
fund years that way.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from decimal import Decimal

from django.db import models, transaction
from django.db.models.signals import post_save, pre_save
from django.utils.translation import gettext as _

from funds.models import MONEY, DocumentSettings, FundYear, SpendingCategory
from townships.audit import current_actor, stored_text
from townships.models import AuditEvent
from wanyuan.money import format_yuan

#: Fields that are not settings: not compared, not recorded.
NOT_SETTINGS = {FundYear: {"id", "notes"}, SpendingCategory: {"id"},
                DocumentSettings: {"id"}}


def _fields(model) -> list:
    return [f for f in model._meta.concrete_fields if f.name not in NOT_SETTINGS[model]]


def _stored_value(field, value):
    """A JSON value: decimals as strings with their places, the rest as they are."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        places = getattr(field, "decimal_places", None)
        return str(value.quantize(Decimal(1).scaleb(-places)) if places is not None else value)
    return str(value)


def _values(model, instance) -> dict:
    return {f.name: _stored_value(f, f.to_python(getattr(instance, f.attname)))
            for f in _fields(model)}


def _is_money(field) -> bool:
    return (isinstance(field, models.DecimalField)
            and field.max_digits == MONEY["max_digits"]
            and field.decimal_places == MONEY["decimal_places"])


def _shown(field, value) -> str:
    """A value as the summary shows it: the label of a choice, 是/否 of a flag, an amount
    in 元 with thousands separators, a linked row (an adopted plan) by its name."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if value in (None, ""):
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if _is_money(field):
        return format_yuan(Decimal(value))
    if field.is_relation:
        row = field.related_model._base_manager.filter(pk=value).first()
        return f"“{getattr(row, 'name', row)}”" if row is not None else str(value)
    return str(value)


def _label(field) -> str:
    return str(field.verbose_name)


def _change_text(model, changes: dict) -> str:
    fields = {f.name: f for f in _fields(model)}
    return "；".join(
        f"{_label(fields[name])} {_shown(fields[name], change['old'])} → "
        f"{_shown(fields[name], change['new'])}" for name, change in changes.items())


def _values_text(model, values: dict) -> str:
    fields = {f.name: f for f in _fields(model)}
    return "；".join(f"{_label(fields[name])} {_shown(fields[name], value)}"
                    for name, value in values.items())


def _before(sender, instance, update_fields=None, **kwargs):
    """Keep the stored values on the instance for the post_save handler."""
    names = {f.name for f in _fields(sender)} | {f.attname for f in _fields(sender)}
    if update_fields is not None and not set(update_fields) & names:
        instance._audit_before = None  # nothing audited can change
        return
    stored = None
    if instance.pk is not None:
        rows = sender.objects.filter(pk=instance.pk)
        if transaction.get_connection().in_atomic_block:
            rows = rows.select_for_update()
        stored = rows.values(*(f.attname for f in _fields(sender))).first()
    if stored is None:
        instance._audit_before = {}  # a new row
    else:
        instance._audit_before = {f.name: _stored_value(f, f.to_python(stored[f.attname]))
                                  for f in _fields(sender)}


def _after(sender, instance, created=False, **kwargs):
    before = getattr(instance, "_audit_before", None)
    instance._audit_before = None
    if before is None:
        return
    now = _values(sender, instance)
    if created or not before:
        _record_created(sender, instance, now)
        return
    changes = {name: {"old": before[name], "new": value}
               for name, value in now.items() if before.get(name) != value}
    if changes:
        _record_changed(sender, instance, changes)


def _record_created(model, instance, values):
    _record(model, instance, created=True, details={"id": instance.pk, "values": values})


def _record_changed(model, instance, changes):
    _record(model, instance, created=False, details={"id": instance.pk, "changes": changes})


def _summary(model, instance, created: bool, details: dict) -> str:
    """The event's text; called in the site language (stored_text)."""
    if model is DocumentSettings:
        text = (_values_text(model, details["values"]) if created
                else _change_text(model, details["changes"]))
        return _("Document settings saved: %(values)s") % {"values": text}
    if created:
        text = _values_text(model, details["values"])
        pattern = (_("Fund year %(year)s created: %(values)s") if model is FundYear
                   else _("Spending category “%(name)s” created: %(values)s"))
    else:
        text = _change_text(model, details["changes"])
        pattern = (_("Settings of %(year)s changed: %(changes)s") if model is FundYear
                   else _("Spending category “%(name)s” changed: %(changes)s"))
    return pattern % {"year": getattr(instance, "year", None),
                      "name": getattr(instance, "name", None), "values": text, "changes": text}


_noted: contextvars.ContextVar = contextvars.ContextVar("audit_noted", default=None)


@contextmanager
def noted(details: dict):
    """Add ``details`` to the audit events the saves inside the block write (a reason
    and the townships a confirmed change leaves below zero, say)."""
    token = _noted.set(details or None)
    try:
        yield
    finally:
        _noted.reset(token)


def _record(model, instance, *, created: bool, details: dict):
    """One audit event of a fund year or a spending category created or changed."""
    if _noted.get():
        details = {**details, **_noted.get()}
    actions = {
        FundYear: (AuditEvent.Action.FUND_YEAR_CREATED, AuditEvent.Action.FUND_YEAR_CHANGED),
        SpendingCategory: (AuditEvent.Action.SPENDING_CATEGORY_CREATED,
                           AuditEvent.Action.SPENDING_CATEGORY_CHANGED),
        DocumentSettings: (AuditEvent.Action.DOCUMENT_SETTINGS_CHANGED,
                           AuditEvent.Action.DOCUMENT_SETTINGS_CHANGED),
    }[model]
    summary = stored_text(_summary, model, instance, created, details)
    if details.get("overdraw_reason"):
        summary += stored_text(lambda: _(" (leaves %(n)s townships below zero, confirmed: "
                                         "%(reason)s)") % {
            "n": len(details.get("overdrawn", [])), "reason": details["overdraw_reason"]})
    AuditEvent.objects.create(
        action=actions[0] if created else actions[1],
        year=instance.year if model is FundYear else None,
        summary=summary, actor=current_actor(), details=details)


def connect():
    """Connect the signals; called once from FundsConfig.ready()."""
    for model in (FundYear, SpendingCategory, DocumentSettings):
        label = model._meta.label_lower
        pre_save.connect(_before, sender=model, dispatch_uid=f"settings_audit.before.{label}")
        post_save.connect(_after, sender=model, dispatch_uid=f"settings_audit.after.{label}")
