"""Upward reporting (issue 28), the upper level's side: a city or a province instance
(``INSTANCE_LEVEL``) loads its org-unit hierarchy, gives each county a key, receives the
counties' data value sets and accepts or returns them.

Writes: :func:`org_units_load`, :func:`api_key_create`, :func:`api_key_revoke`,
:func:`data_value_set_receive`, :func:`submission_decide` — each audited, each
all-or-nothing. The reads for the pages are in :mod:`funds.exchange.rollup`.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import hmac
import io
import re
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from funds.exchange.datavalues import Conflict, nothing_to_report, validate
from funds.models import ApiKey, DataValue, OrgUnit, Submission, SubmissionTotal
from townships.audit import stored_text
from townships.models import AuditEvent
from townships.roles import require_permission

Level = OrgUnit.Level
State = Submission.State
LEVELS = {"province": Level.PROVINCE, "city": Level.CITY, "county": Level.COUNTY}
CODE = re.compile(r"\A[0-9]{2}([0-9]{2}([0-9]{2}([0-9]{3})?)?)?\Z", re.ASCII)
ORG_UNIT_COLUMNS = ["code", "name", "level", "parent", "valid_from", "valid_to"]
KEY_PREFIX = "wyk_"


class ExchangeError(Exception):
    """A refused write of upward reporting; the message is for the user."""


def is_upper_level() -> bool:
    return settings.INSTANCE_LEVEL != "county"


def instance_root() -> OrgUnit | None:
    """The org unit this upper-level instance serves (None before its file is loaded)."""
    return OrgUnit.objects.filter(code=settings.INSTANCE_ORG_UNIT).first()


def _audit(action, summary, details, acting_user, year=None) -> None:
    AuditEvent.objects.create(action=action, year=year, actor=acting_user,
                              summary=stored_text(summary), details=details)


# --- The hierarchy ---------------------------------------------------------------------


@transaction.atomic
def org_units_load(*, text: str, acting_user=None) -> int:
    """Create or update the org units of a CSV file (``code,name,level,parent,valid_from,
    valid_to``; level ``province``, ``city`` or ``county``), parents before children.
    All or nothing: any bad line refuses the file, naming the line."""
    if acting_user is not None:
        require_permission(acting_user, "funds.add_orgunit")
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in next(reader, [])]
    if header != ORG_UNIT_COLUMNS:
        raise ExchangeError(_("The first line must be: %(columns)s")
                            % {"columns": ",".join(ORG_UNIT_COLUMNS)})
    known = {u.code: u for u in OrgUnit.objects.all()}
    count = 0
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        line = reader.line_num
        if len(row) != len(ORG_UNIT_COLUMNS):
            raise ExchangeError(_("Line %(line)s: %(n)s columns, not 6.")
                                % {"line": line, "n": len(row)})
        code, name, level, parent, valid_from, valid_to = (cell.strip() for cell in row)
        if not CODE.match(code):
            raise ExchangeError(_("Line %(line)s: “%(code)s” is not an official code.")
                                % {"line": line, "code": code})
        if level not in LEVELS or not name:
            raise ExchangeError(_("Line %(line)s: give a name and the level province, city "
                                  "or county.") % {"line": line})
        if parent and parent not in known:
            raise ExchangeError(_("Line %(line)s: the parent %(parent)s comes before its "
                                  "children.") % {"line": line, "parent": parent})
        # GB/T 2260: a province 510000, its city 511700, its county 511781; a unit sits
        # exactly one level under the unit its code names
        expected = {"province": "", "city": code[:2] + "0000", "county": code[:4] + "00"}
        if (len(code) != 6 or code == parent or parent != expected[level]
                or (parent and known[parent].level != LEVELS[level] - 1)):
            raise ExchangeError(_("Line %(line)s: %(code)s is not within %(parent)s.")
                                % {"line": line, "code": code, "parent": parent or "—"})
        years = []
        for text_year in (valid_from, valid_to):
            if text_year and not re.fullmatch(r"[0-9]{4}", text_year):
                raise ExchangeError(_("Line %(line)s: a year of validity has four digits.")
                                    % {"line": line})
            years.append(int(text_year) if text_year else None)
        unit, _created = OrgUnit.objects.update_or_create(code=code, defaults={
            "name": name, "level": LEVELS[level], "parent": known.get(parent),
            "valid_from": years[0], "valid_to": years[1]})
        known[code] = unit
        count += 1
    if not count:
        raise ExchangeError(_("The file holds no org unit."))
    _audit(AuditEvent.Action.ORG_UNITS_LOADED,
           lambda: _("%(n)s org units loaded") % {"n": count}, {"count": count}, acting_user)
    return count


def descendants_of(unit: OrgUnit, level: int) -> list[OrgUnit]:
    """The units of ``level`` under ``unit`` (itself if of that level), any depth."""
    if unit.level == level:
        return [unit]
    parents = {unit.pk}
    found: list[OrgUnit] = []
    for depth in range(unit.level + 1, level + 1):
        rows = list(OrgUnit.objects.filter(parent_id__in=parents, level=depth)
                    .order_by("code"))
        if depth == level:
            found = rows
        parents = {r.pk for r in rows}
    return found


def ancestor_at(units: dict[int, OrgUnit], unit: OrgUnit, level: int) -> OrgUnit | None:
    """The unit's ancestor of ``level`` (itself if of that level), from a map of units."""
    for _step in range(Level.TOWNSHIP):  # a hierarchy is four levels deep, never a loop
        if unit is None or unit.level <= level:
            break
        unit = units.get(unit.parent_id)
    return unit if unit is not None and unit.level == level else None


# --- Keys ------------------------------------------------------------------------------


def write_secret(path, text: str) -> None:
    """Write a key to a file only its owner may read, whether or not the file existed."""
    import os

    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
        os.write(descriptor, text.encode("utf-8"))
    finally:
        os.close(descriptor)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, name: str, org_unit: OrgUnit, expires_at: datetime.datetime,
                   acting_user) -> tuple[ApiKey, str]:
    """A key for one org unit, shown once (the second value); superusers only, audited."""
    if acting_user is None or not acting_user.is_superuser:
        raise PermissionDenied
    name = (name or "").strip()
    if not name:
        raise ExchangeError(_("Name the key (who uses it)."))
    if expires_at <= timezone.now():
        raise ExchangeError(_("A key's expiry lies in the future."))
    prefix = secrets.token_hex(4)
    raw = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(name=name, prefix=prefix, digest=_digest(raw),
                                org_unit=org_unit, created_by=acting_user,
                                expires_at=expires_at)
    _audit(AuditEvent.Action.API_KEY_CREATED,
           lambda: _("API key “%(name)s” created for %(unit)s, valid until %(until)s") % {
               "name": name, "unit": org_unit.name,
               "until": f"{timezone.localtime(expires_at):%Y-%m-%d}"},
           {"key": key.pk, "prefix": prefix, "org_unit": org_unit.code,
            "expires_at": expires_at.isoformat()}, acting_user)
    return key, raw


@transaction.atomic
def api_key_revoke(*, key: ApiKey, acting_user) -> ApiKey:
    if acting_user is None or not acting_user.is_superuser:
        raise PermissionDenied
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is not None:
        raise ExchangeError(_("The key is already revoked."))
    key.revoked_at, key.revoked_by = timezone.now(), acting_user
    key.save(update_fields=["revoked_at", "revoked_by"])
    _audit(AuditEvent.Action.API_KEY_REVOKED,
           lambda: _("API key “%(name)s” of %(unit)s revoked") % {
               "name": key.name, "unit": key.org_unit.name},
           {"key": key.pk, "prefix": key.prefix, "org_unit": key.org_unit.code}, acting_user)
    return key


def api_key_authenticate(raw: str) -> ApiKey | None:
    """The valid key this text is, compared in constant time; None otherwise."""
    match = re.fullmatch(rf"{KEY_PREFIX}([0-9a-f]{{8}})_[A-Za-z0-9_-]{{20,64}}", raw or "")
    if match is None:
        return None
    key = ApiKey.objects.select_related("org_unit").filter(prefix=match.group(1)).first()
    if key is None or not hmac.compare_digest(key.digest, _digest(raw)):
        return None
    if not key.is_valid():
        return None
    if key.last_used_at is None or timezone.now() - key.last_used_at > datetime.timedelta(
            minutes=5):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    return key


# --- Receiving -------------------------------------------------------------------------


@dataclass
class ImportSummary:
    """DHIS2's import summary: what a set did, or would do on a dry run."""

    dry_run: bool
    imported: int = 0
    updated: int = 0
    ignored: int = 0
    deleted: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    state: str = ""

    @property
    def status(self) -> str:
        return "ERROR" if self.conflicts else "SUCCESS"

    def as_dict(self) -> dict:
        return {"status": self.status, "dryRun": self.dry_run,
                "importCount": {"imported": self.imported, "updated": self.updated,
                                "ignored": self.ignored, "deleted": self.deleted},
                "conflicts": [c.as_dict() for c in self.conflicts], "state": self.state}


def data_value_set_receive(*, data_value_set, received_from: str, dry_run: bool = False,
                           source: str | None = None) -> ImportSummary:
    """Validate a county's set and, unless ``dry_run``, replace its period's values with
    it (re-sending replaces), all or nothing. ``source``: the org unit the sender may
    report for (its key's); a set for another is refused before this is called (403).
    Refused once the period is accepted, until the upper level returns it."""
    summary = ImportSummary(dry_run=dry_run)
    summary.conflicts = validate(data_value_set, source=source)
    if summary.conflicts:
        return summary
    code, period = data_value_set["orgUnit"], int(data_value_set["period"])
    values = data_value_set["dataValues"]
    with transaction.atomic():
        county = (OrgUnit.objects.select_for_update()  # one county's sets, one at a time
                  .filter(code=code, level=Level.COUNTY).first())
        root = instance_root()
        if county is None or root is None or ancestor_at(
                {u.pk: u for u in OrgUnit.objects.filter(level__lt=Level.TOWNSHIP)},
                county, root.level) != root:
            summary.conflicts.append(Conflict("orgUnit", f"{code} is not a county of this "
                                                         f"instance's org units"))
            return summary
        if not county.in_service(period):
            summary.conflicts.append(Conflict("period", f"{code} does not exist in {period} "
                                                        "(its years of validity)"))
            return summary
        # the county's row, then its submission's: the order submission_decide takes too
        submission = (Submission.objects.select_for_update()
                      .filter(org_unit=county, period=period).first())
        if submission is not None and submission.state == State.ACCEPTED:
            summary.conflicts.append(Conflict(
                "period", f"{period} of {code} is accepted; the upper level returns it "
                          "before it can be sent again"))
            summary.state = submission.state
            return summary
        old = {}
        if submission is not None:
            old = {(element, unit): value for element, unit, value in
                   submission.values.values_list("data_element", "org_unit__code", "value")}
        new = {(v["dataElement"], v["orgUnit"]): Decimal(v["value"]) for v in values}
        for key, value in new.items():
            if key not in old:
                summary.imported += 1
            elif old[key] != value:
                summary.updated += 1
            else:
                summary.ignored += 1
        summary.deleted = len(old.keys() - new.keys())
        nothing = nothing_to_report(data_value_set)
        summary.state = State.NOTHING if nothing else State.SUBMITTED
        if dry_run:
            return summary
        units = _township_units(county, data_value_set, {v["orgUnit"] for v in values})
        now = timezone.now()
        submission, _created = Submission.objects.update_or_create(
            org_unit=county, period=period, defaults={
                "state": summary.state, "sha256": data_value_set["meta"]["sha256"],
                "value_count": len(values), "received_at": now,
                "received_from": received_from[:120],
                "generated": str(data_value_set["meta"].get("generated", ""))[:40],
                "decided_at": None, "decided_by": None, "reason": ""})
        submission.values.all().delete()
        submission.totals.all().delete()
        DataValue.objects.bulk_create(
            [DataValue(submission=submission, data_element=v["dataElement"],
                       org_unit=units[v["orgUnit"]],
                       category_option_combo=v["categoryOptionCombo"],
                       value=Decimal(v["value"])) for v in values], batch_size=2000)
        sums: dict[tuple[str, str], list] = {}
        for v in values:
            entry = sums.setdefault((v["dataElement"], v["categoryOptionCombo"]),
                                    [Decimal(0), 0])
            entry[0] += Decimal(v["value"])
            entry[1] += 1
        SubmissionTotal.objects.bulk_create(
            [SubmissionTotal(submission=submission, data_element=element,
                             category_option_combo=combo, total=total, count=count)
             for (element, combo), (total, count) in sums.items()])
        _audit(AuditEvent.Action.SUBMISSION_RECEIVED,
               lambda: _("%(county)s's set of %(period)s received from %(sender)s: "
                         "%(n)s values") % {"county": county.name, "period": period,
                                            "sender": received_from, "n": len(values)},
               {"org_unit": code, "period": period, "sha256": submission.sha256,
                "imported": summary.imported, "updated": summary.updated,
                "ignored": summary.ignored, "deleted": summary.deleted},
               None, year=period)
    return summary


def _township_units(county: OrgUnit, data_value_set: dict, codes: set[str]
                    ) -> dict[str, OrgUnit]:
    """The townships of a set as org units under the county: created, or their names
    and years of validity updated from the set's ``orgUnits`` (mergers change codes)."""
    described = {}
    for unit in data_value_set.get("orgUnits") or []:
        if isinstance(unit, dict) and isinstance(unit.get("code"), str):
            described[unit["code"]] = unit
    existing = {u.code: u for u in OrgUnit.objects.filter(code__in=codes)}
    new, changed = [], []
    for code in sorted(codes):
        facts = described.get(code, {})
        name = str(facts.get("name") or "")[:50]
        valid = [facts.get("validFrom"), facts.get("validTo")]
        valid = [v if isinstance(v, int) and 1900 <= v <= 2200 else None for v in valid]
        unit = existing.get(code)
        if unit is None:
            new.append(OrgUnit(code=code, name=name or code, level=Level.TOWNSHIP,
                               parent=county, valid_from=valid[0], valid_to=valid[1]))
        elif name and (unit.name, unit.valid_from, unit.valid_to) != (name, *valid):
            unit.name, unit.valid_from, unit.valid_to = name, *valid
            changed.append(unit)
    OrgUnit.objects.bulk_create(new, batch_size=1000)
    OrgUnit.objects.bulk_update(changed, ["name", "valid_from", "valid_to"], batch_size=1000)
    if new:  # their keys: bulk_create gives them on PostgreSQL, not on every database
        existing.update((u.code, u) for u in OrgUnit.objects.filter(
            code__in=[u.code for u in new]))
    return existing


# --- Deciding --------------------------------------------------------------------------


@transaction.atomic
def submission_decide(*, submission: Submission, accept: bool, reason: str = "",
                      expected_sha256: str | None = None, acting_user) -> Submission:
    """Accept a county's submission, or return it with a reason (which also reopens an
    accepted one for the county to send again). ``expected_sha256``: the version the
    reviewer saw; if the county re-sent since, nothing is decided. Audited.

    Locks the county's row, then the submission's: the order of a receiving, so that a
    push and a decision at once wait for each other instead of deadlocking."""
    require_permission(acting_user, "funds.decide_submission")
    OrgUnit.objects.select_for_update().filter(pk=submission.org_unit_id).first()
    submission = (Submission.objects.select_for_update(of=("self",))
                  .select_related("org_unit").get(pk=submission.pk))
    if expected_sha256 is not None and submission.sha256 != expected_sha256:
        raise ExchangeError(_("The county sent its report again after you opened it: "
                              "nothing was decided. Look at it again."))
    reason = (reason or "").strip()
    if accept and submission.state not in (State.SUBMITTED, State.NOTHING):
        raise ExchangeError(_("Only a submitted report can be accepted."))
    if not accept and submission.state == State.RETURNED:
        raise ExchangeError(_("The report is already returned."))
    if not accept and not reason:
        raise ExchangeError(_("Say why the report is returned."))
    submission.state = State.ACCEPTED if accept else State.RETURNED
    submission.decided_at, submission.decided_by, submission.reason = (
        timezone.now(), acting_user, reason)
    submission.save(update_fields=["state", "decided_at", "decided_by", "reason"])
    unit, period = submission.org_unit, submission.period
    if accept:
        _audit(AuditEvent.Action.SUBMISSION_ACCEPTED,
               lambda: _("%(county)s's report of %(period)s accepted") % {
                   "county": unit.name, "period": period},
               {"org_unit": unit.code, "period": period, "sha256": submission.sha256},
               acting_user, year=period)
    else:
        _audit(AuditEvent.Action.SUBMISSION_RETURNED,
               lambda: _("%(county)s's report of %(period)s returned: %(reason)s") % {
                   "county": unit.name, "period": period, "reason": reason},
               {"org_unit": unit.code, "period": period, "reason": reason},
               acting_user, year=period)
    return submission
