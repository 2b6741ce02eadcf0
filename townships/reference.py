"""Reference data: the county's township list from a CSV file (code,name,kind)."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from townships.audit import stored_text
from townships.models import (
    TOWNSHIP_CODE_PATTERN,
    AuditEvent,
    Township,
    TownshipCategory,
    TownshipKind,
)
from townships.roles import require_permission
from townships.services import year_lock

CODE_RE = re.compile(TOWNSHIP_CODE_PATTERN)

KIND_WORDS = {
    "town": TownshipKind.TOWN, "镇": TownshipKind.TOWN,
    "township": TownshipKind.TOWNSHIP, "乡": TownshipKind.TOWNSHIP,
    "subdistrict": TownshipKind.SUBDISTRICT, "街道": TownshipKind.SUBDISTRICT,
}


class ReferenceDataError(Exception):
    pass


def read_township_list(path: Path) -> list[dict]:
    return parse_township_list(Path(path).read_bytes(), Path(path).name)


def parse_township_list(data: bytes, name: str) -> list[dict]:
    """The rows of a township list (CSV: code,name,kind), all checked; a problem raises
    ReferenceDataError naming its row."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReferenceDataError(_("%(file)s is not a UTF-8 CSV file") % {"file": name}) from exc
    reader = csv.DictReader(io.StringIO(text))
    missing = {"code", "name", "kind"} - set(reader.fieldnames or [])
    if missing:
        raise ReferenceDataError(_("%(file)s lacks the column(s) %(columns)s") % {
            "file": name, "columns": ", ".join(sorted(missing))})
    rows, problems, seen = [], [], set()
    for line, row in enumerate(reader, start=2):
        code, name = (row["code"] or "").strip(), (row["name"] or "").strip()
        kind = KIND_WORDS.get((row["kind"] or "").strip())
        if not CODE_RE.fullmatch(code) or not name or kind is None:
            problems.append(_("Row %(row)s: needs a numeric code, a name and a kind") % {
                "row": line})
        elif code in seen:
            problems.append(_("Row %(row)s: code %(code)s appears twice") % {
                "row": line, "code": code})
        else:
            seen.add(code)
            rows.append({"code": code, "name": name, "kind": kind})
    if problems:
        raise ReferenceDataError("\n".join(problems))
    return rows


@transaction.atomic
def townships_load(*, path: Path, acting_user: User) -> tuple[int, int]:
    """Create or update the townships of a list, all or nothing; returns (created, updated)."""
    for permission in ("townships.add_township", "townships.change_township"):
        require_permission(acting_user, permission)  # it creates and it renames
    created = updated = 0
    existing = {t.code: t for t in Township.objects.all()}
    for row in read_township_list(path):
        township = existing.get(row["code"])
        if township is None:
            Township.objects.create(**row)
            created += 1
        elif (township.name, township.kind) != (row["name"], row["kind"]):
            township.name, township.kind = row["name"], row["kind"]
            township.save(update_fields=["name", "kind"])
            updated += 1
    if created or updated:
        AuditEvent.objects.create(
            action=AuditEvent.Action.TOWNSHIPS_LOADED, actor=acting_user,
            summary=stored_text(lambda: _("%(file)s: %(created)s townships created, "
                                          "%(updated)s updated")
                                % {"file": Path(path).name, "created": created,
                                   "updated": updated}),
            details={"created": created, "updated": updated},
        )
    return created, updated


@dataclass(frozen=True)
class MergerPlan:
    """What a new township list changes from ``first_year`` on, before anything is
    written: the units it opens and the units in service the year before that it ends."""

    first_year: int
    opened: list[dict]
    ended: list[Township]
    #: the units it may not end, each with why: (township, ["2021年有支出（3 笔）", …])
    kept: list[tuple[Township, list[str]]] = field(default_factory=list)

    def problems(self) -> list[str]:
        """The refusal, one line per unit that has money in a year after its end."""
        return [_("%(name)s (%(code)s) cannot end after %(year)s: %(reasons)s") % {
            "name": t.name, "code": t.code, "year": self.first_year - 1,
            "reasons": _("; ").join(reasons)} for t, reasons in self.kept]


#: What other apps record of units from a year on, which a merger may not end: each a
#: function (township ids, first year) → {township id: [reason, …]}. The funds app
#: registers its spending here (townships never imports funds).
MERGER_KEEPS: list[Callable[[list[int], int], dict[int, list[str]]]] = []


def merger_keeps(townships: list[Township], first_year: int) -> list[tuple[Township, list[str]]]:
    """The units of ``townships`` that have an allocation (a category) or, by the
    registered checks, money in ``first_year`` or later, with the reasons."""
    ids = [t.pk for t in townships]
    reasons: dict[int, list[str]] = defaultdict(list)
    for township_id, year in (TownshipCategory.objects
                              .filter(township_id__in=ids, year__gte=first_year)
                              .order_by("township_id", "year")
                              .values_list("township_id", "year")):
        reasons[township_id].append(
            _("an allocation in %(year)s (its category)") % {"year": year})
    for check in MERGER_KEEPS:
        for township_id, found in check(ids, first_year).items():
            reasons[township_id].extend(found)
    return [(t, reasons[t.pk]) for t in townships if reasons.get(t.pk)]


def merger_plan(*, rows: list[dict], first_year: int) -> MergerPlan:
    codes = {row["code"] for row in rows}
    existing = set(Township.objects.filter(code__in=codes).values_list("code", flat=True))
    ended = [t for t in Township.objects.in_service(first_year - 1).order_by("code")
             if t.code not in codes and t.last_year is None]
    return MergerPlan(
        first_year=first_year,
        opened=[row for row in rows if row["code"] not in existing],
        ended=ended, kept=merger_keeps(ended, first_year),
    )


@transaction.atomic
def merger_apply(*, rows: list[dict], source_name: str, first_year: int, acting_user: User,
                 mapping: dict[str, str] | None = None) -> dict:
    """Bring the township list to ``rows`` from ``first_year`` on.

    Units missing from the new list end in ``first_year - 1``; units new in it start in
    ``first_year``; ``mapping`` (abolished code → code of the unit it went into) records
    known mergers. Running it again changes nothing. A unit with an allocation or
    non-voided spending in ``first_year`` or later is not ended: the merger is refused.

    It takes the year lock of ``first_year - 1`` and ``first_year`` (the lock that the
    reclassifications writing ``first_year``'s and later categories, and the category
    edits of ``first_year``, take), so that none of them writes money for a unit it is
    ending while it checks.
    """
    for permission in ("townships.add_township", "townships.change_township"):
        require_permission(acting_user, permission)  # it opens units and ends others
    year_lock(first_year - 1, first_year)
    plan = merger_plan(rows=rows, first_year=first_year)
    if plan.kept:
        raise ReferenceDataError("\n".join(plan.problems()))
    for row in plan.opened:
        Township.objects.create(first_year=first_year, **row)
    for township in plan.ended:
        township.last_year = first_year - 1
        township.save(update_fields=["last_year"])
    for old_code, new_code in (mapping or {}).items():
        Township.objects.filter(code=old_code).update(
            merged_into=Township.objects.get(code=new_code))
    ended, opened = len(plan.ended), len(plan.opened)
    counts = {"ended": ended, "opened": opened, "mapped": len(mapping or {})}
    if ended or opened:
        AuditEvent.objects.create(
            action=AuditEvent.Action.MERGER_APPLIED, year=first_year, actor=acting_user,
            summary=stored_text(lambda: _("%(file)s: %(ended)s units ended, %(opened)s opened")
                                % {"file": source_name, "ended": ended, "opened": opened}),
            details=counts,
        )
    return counts


#: Wanyuan's June 2020 reform (52 → 31 from 2021): the list after it, and who went where.
REFORM_2020_LIST = "wanyuan-townships-2020-reform.csv"
REFORM_2020_MAPPING = "wanyuan-merger-2020.csv"


def read_mapping(path: Path) -> dict[str, str]:
    """abolished_code,merged_into_code rows as a dict."""
    with open(path, encoding="utf-8-sig") as handle:
        return {r["abolished_code"]: r["merged_into_code"] for r in csv.DictReader(handle)}
