"""Reference data: the county's township list from a CSV file (code,name,kind)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from townships.audit import stored_text
from townships.models import TOWNSHIP_CODE_PATTERN, AuditEvent, Township, TownshipKind
from townships.roles import require_permission

CODE_RE = re.compile(TOWNSHIP_CODE_PATTERN)

KIND_WORDS = {
    "town": TownshipKind.TOWN, "镇": TownshipKind.TOWN,
    "township": TownshipKind.TOWNSHIP, "乡": TownshipKind.TOWNSHIP,
    "subdistrict": TownshipKind.SUBDISTRICT, "街道": TownshipKind.SUBDISTRICT,
}


class ReferenceDataError(Exception):
    pass


def read_township_list(path: Path) -> list[dict]:
    text = Path(path).read_bytes().decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    missing = {"code", "name", "kind"} - set(reader.fieldnames or [])
    if missing:
        raise ReferenceDataError(_("%(file)s lacks the column(s) %(columns)s") % {
            "file": path, "columns": ", ".join(sorted(missing))})
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


@transaction.atomic
def merger_apply(*, path: Path, first_year: int, acting_user: User,
                 mapping: dict[str, str] | None = None) -> dict:
    """Bring the township list to the one in ``path`` from ``first_year`` on.

    Units missing from the new list end in ``first_year - 1``; units new in it start in
    ``first_year``; ``mapping`` (abolished code → code of the unit it went into) records
    known mergers. Running it again changes nothing.
    """
    for permission in ("townships.add_township", "townships.change_township"):
        require_permission(acting_user, permission)  # it opens units and ends others
    new_rows = read_township_list(path)
    new_codes = {row["code"] for row in new_rows}
    current = {t.code: t for t in Township.objects.in_service(first_year - 1)}
    ended = opened = 0
    for row in new_rows:
        if not Township.objects.filter(code=row["code"]).exists():
            Township.objects.create(first_year=first_year, **row)
            opened += 1
    for code, township in current.items():
        if code not in new_codes and township.last_year is None:
            township.last_year = first_year - 1
            township.save(update_fields=["last_year"])
            ended += 1
    for old_code, new_code in (mapping or {}).items():
        Township.objects.filter(code=old_code).update(
            merged_into=Township.objects.get(code=new_code))
    counts = {"ended": ended, "opened": opened, "mapped": len(mapping or {})}
    if ended or opened:
        AuditEvent.objects.create(
            action=AuditEvent.Action.MERGER_APPLIED, year=first_year, actor=acting_user,
            summary=stored_text(lambda: _("%(file)s: %(ended)s units ended, %(opened)s opened")
                                % {"file": Path(path).name, "ended": ended, "opened": opened}),
            details=counts,
        )
    return counts
