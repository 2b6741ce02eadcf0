"""Upward reporting (issue 28), the format: a county's data value set of a year, as
DHIS2's dataValueSets with identifiers by code (EXCHANGE.md).

- a value is one amount or count for a data element, the period (``2020``), an org unit
  (the township's official code) and a category option combo (the township's category:
  ``CAT_1``/``CAT_2``/``CAT_3``, or ``CAT_NONE``);
- amounts are strings of 元 with exactly two decimals, counts strings of integers; rates
  are never exchanged: each level recomputes them from summed amounts;
- the org units travel with their names and years of validity, since mergers change codes;
- ``meta`` names the source (the county's code), the generation time and the SHA-256 of
  the canonical values, which the receiver checks.

JSON and CSV (DHIS2's columns) carry the same values; :func:`validate` answers the
conflicts of a set, each with its reason, before anything is written.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from funds.budget.selectors import allocation_row_list
from funds.models import Finding, FundYear
from townships.models import YEAR_MAX, YEAR_MIN, Township
from wanyuan.money import cents_to_yuan

SCHEMA = "wanyuan-funds/datavalueset/1"
DATA_SET = "PB_TOWNSHIP_FUND"
#: The data elements, with whether each is an amount (元) or a count.
DATA_ELEMENTS = {
    "ALLOCATION": "amount",        # the year's allocation (standard + floor, or the plan's line)
    "STANDARD": "amount",          # of which the category's standard
    "FLOOR": "amount",             # of which the floor
    "COMMITTED": "amount",         # approved, not yet reimbursed
    "PAID": "amount",              # reimbursed
    "OPEN_FINDINGS": "count",      # inspection findings still open
}
CATEGORY_COMBOS = {1: "CAT_1", 2: "CAT_2", 3: "CAT_3", None: "CAT_NONE"}
CSV_COLUMNS = ["dataelement", "period", "orgunit", "categoryoptioncombo",
               "attributeoptioncombo", "value", "comment"]
AMOUNT = re.compile(r"\A\d{1,12}\.\d{2}\Z", re.ASCII)  # never negative
COUNT = re.compile(r"\A\d{1,9}\Z", re.ASCII)
PERIOD = re.compile(r"\A\d{4}\Z", re.ASCII)
ORG_UNIT = re.compile(r"\A\d{6}(\d{3})?\Z", re.ASCII)
TOWNSHIP = re.compile(r"\A\d{9}\Z", re.ASCII)
SHA256 = re.compile(r"\A[0-9a-f]{64}\Z")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def money(value: Decimal) -> str:
    return f"{Decimal(value).quantize(Decimal('0.01')):f}"


def canonical(values: list[dict]) -> bytes:
    """The values in one order and one spelling: what the SHA-256 is taken of."""
    keys = ("dataElement", "period", "orgUnit", "categoryOptionCombo", "value")
    rows = sorted(tuple(str(v.get(k, "")) for k in keys) for v in values)
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()


def digest(values: list[dict]) -> str:
    return hashlib.sha256(canonical(values)).hexdigest()


def data_value_set_get(*, fund_year: FundYear, complete: bool = True) -> dict:
    """The county's set of a year: per township in service, its allocation and what
    spending took, by its category; its open findings (3 queries)."""
    year = str(fund_year.year)
    rows = list(allocation_row_list(fund_year=fund_year))
    findings = dict(Finding.objects.filter(closed_at__isnull=True,
                                           inspection__date__year=fund_year.year)
                    .order_by().values("township_id").annotate(n=Count("pk"))
                    .values_list("township_id", "n"))
    units = {t.pk: t for t in Township.objects.filter(pk__in=[r["pk"] for r in rows])}
    values = []
    for row in rows:
        combo = CATEGORY_COMBOS[row["category"]]
        unit = row["code"]
        figures = {"ALLOCATION": money(row["total_amount"]),
                   "STANDARD": money(row["standard_amount"]),
                   "FLOOR": money(row["floor_amount"]),
                   "COMMITTED": money(cents_to_yuan(row["approved_cents"])),
                   "PAID": money(cents_to_yuan(row["reimbursed_cents"])),
                   "OPEN_FINDINGS": str(findings.get(row["pk"], 0))}
        values += [{"dataElement": element, "period": year, "orgUnit": unit,
                    "categoryOptionCombo": combo, "value": value}
                   for element, value in figures.items()]
    return {
        "meta": {"schema": SCHEMA, "source": settings.COUNTY_CODE,
                 "sourceName": settings.COUNTY_NAME,
                 "generated": timezone.localtime().isoformat(timespec="seconds"),
                 "sha256": digest(values), "complete": complete},
        "dataSet": DATA_SET, "period": year, "orgUnit": settings.COUNTY_CODE,
        "orgUnits": [{"code": t.code, "name": t.name, "parent": settings.COUNTY_CODE,
                      "validFrom": t.first_year, "validTo": t.last_year}
                     for t in sorted(units.values(), key=lambda t: t.code)],
        "dataValues": values,
    }


def nothing_to_report_set(*, period: int) -> dict:
    """The county's set of a period it has nothing to report for: completeness without
    values, which differs from not having submitted."""
    return {
        "meta": {"schema": SCHEMA, "source": settings.COUNTY_CODE,
                 "sourceName": settings.COUNTY_NAME,
                 "generated": timezone.localtime().isoformat(timespec="seconds"),
                 "sha256": digest([]), "complete": True, "nothingToReport": True},
        "dataSet": DATA_SET, "period": str(period), "orgUnit": settings.COUNTY_CODE,
        "orgUnits": [], "dataValues": [],
    }


# --- CSV -------------------------------------------------------------------------------


def to_csv(data_value_set: dict) -> str:
    """The values in DHIS2's CSV columns, a header row first (no meta: the receiver
    recomputes the digest from the values)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for v in data_value_set["dataValues"]:
        writer.writerow([v["dataElement"], v["period"], v["orgUnit"],
                         v["categoryOptionCombo"], "", v["value"], v.get("comment", "")])
    return buffer.getvalue()


def from_csv(text: str, *, source: str) -> dict:
    """A set read from CSV; its ``meta`` names ``source`` and the values' digest."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None or [h.strip().lower() for h in header] != CSV_COLUMNS:
        raise ValueError(f"the header must be: {','.join(CSV_COLUMNS)}")
    values = []
    for row in reader:
        if not row:
            continue
        if len(row) != len(CSV_COLUMNS):
            raise ValueError(f"line {reader.line_num}: {len(row)} columns, not "
                             f"{len(CSV_COLUMNS)}")
        element, period, unit, combo, _attribute, value, comment = row
        item = {"dataElement": element, "period": period, "orgUnit": unit,
                "categoryOptionCombo": combo, "value": value}
        if comment:
            item["comment"] = comment
        values.append(item)
    periods = {v["period"] for v in values}
    return {"meta": {"schema": SCHEMA, "source": source, "sha256": digest(values),
                     "complete": True},
            "dataSet": DATA_SET, "period": periods.pop() if len(periods) == 1 else "",
            "orgUnit": source, "orgUnits": [], "dataValues": values}


# --- Validation ------------------------------------------------------------------------


@dataclass(frozen=True)
class Conflict:
    where: str  # "meta", "dataValues[12]", …
    reason: str

    def as_dict(self) -> dict:
        return {"object": self.where, "value": self.reason}


def nothing_to_report(data_value_set: dict) -> bool:
    """Whether a (valid) set registers its period as complete with nothing to report."""
    meta = data_value_set.get("meta")
    return isinstance(meta, dict) and meta.get("nothingToReport") is True


def _texts(data_value_set: dict, meta: dict):
    """The free texts of a set, where they are: names and times end up in the database."""
    for key in ("generated", "sourceName"):
        if key in meta:
            yield f"meta.{key}", meta[key]
    units = data_value_set.get("orgUnits", [])
    if not isinstance(units, list):
        yield "orgUnits", None
        return
    for i, unit in enumerate(units):
        if not isinstance(unit, dict):
            yield f"orgUnits[{i}]", None
            continue
        for key in ("code", "name"):
            if key in unit:
                yield f"orgUnits[{i}].{key}", unit[key]


def _whole_townships(values: list) -> list[Conflict]:
    """Each township carries every data element, all under one category: a township without
    its allocation, or under two categories, would be miscounted up the levels."""
    elements: dict[str, set] = {}
    combos: dict[str, set] = {}
    for value in values:
        if isinstance(value, dict) and isinstance(value.get("orgUnit"), str):
            elements.setdefault(value["orgUnit"], set()).add(str(value.get("dataElement")))
            combos.setdefault(value["orgUnit"], set()).add(str(value.get("categoryOptionCombo")))
    conflicts = []
    for unit in sorted(elements):
        missing = [e for e in DATA_ELEMENTS if e not in elements[unit]]
        if missing:
            conflicts.append(Conflict("dataValues", f"township {unit} has no {', '.join(missing)}"))
        if len(combos[unit]) > 1:
            conflicts.append(Conflict("dataValues", f"township {unit} is under more than one "
                                                    "category"))
    return conflicts


def validate(data_value_set, *, source: str | None = None) -> list[Conflict]:
    """Every reason to refuse a set, each with where it is; empty when it may be stored.
    ``source``: the org unit the sender may report for (its key's scope)."""
    if not isinstance(data_value_set, dict):
        return [Conflict("set", "not a JSON object")]
    conflicts = []
    meta = data_value_set.get("meta")
    if not isinstance(meta, dict) or meta.get("schema") != SCHEMA:
        conflicts.append(Conflict("meta.schema", f"must be {SCHEMA}"))
        meta = meta if isinstance(meta, dict) else {}
    if data_value_set.get("dataSet") != DATA_SET:
        conflicts.append(Conflict("dataSet", f"must be {DATA_SET}"))
    period = data_value_set.get("period")
    if (not isinstance(period, str) or not PERIOD.match(period)
            or not YEAR_MIN <= int(period) <= YEAR_MAX):
        conflicts.append(Conflict("period", f"a year from {YEAR_MIN} to {YEAR_MAX}, e.g. 2020"))
    for where, text in _texts(data_value_set, meta):
        if not isinstance(text, str) or CONTROL.search(text):
            conflicts.append(Conflict(where, "a text without control characters"))
    org_unit = data_value_set.get("orgUnit")
    if not isinstance(org_unit, str) or not ORG_UNIT.match(org_unit):
        conflicts.append(Conflict("orgUnit", "a county's code of six digits"))
    elif source is not None and org_unit != source:
        conflicts.append(Conflict("orgUnit", f"{org_unit} is not the key's org unit"))
    values = data_value_set.get("dataValues")
    if "nothingToReport" in meta and meta["nothingToReport"] is not True:
        conflicts.append(Conflict("meta.nothingToReport", "true, or absent"))
    if nothing_to_report(data_value_set):  # completeness apart from values: no values
        if values != []:
            conflicts.append(Conflict("dataValues", "a set with nothing to report has no "
                                                    "values"))
        if meta.get("sha256") != digest([]):
            conflicts.append(Conflict("meta.sha256", "the SHA-256 of no values"))
        return conflicts
    if not isinstance(values, list) or not values:
        return conflicts + [Conflict("dataValues", "a non-empty list of values")]
    seen = set()
    for i, value in enumerate(values):
        where = f"dataValues[{i}]"
        if not isinstance(value, dict):
            conflicts.append(Conflict(where, "not an object"))
            continue
        element = value.get("dataElement")
        kind = DATA_ELEMENTS.get(element) if isinstance(element, str) else None
        if kind is None:
            conflicts.append(Conflict(where, f"unknown data element {element!r}"))
            continue
        if value.get("period") != period:
            conflicts.append(Conflict(where, "its period is not the set's"))
        unit = value.get("orgUnit")
        # a township's nine digits, within the county's code (never the county itself)
        if not isinstance(unit, str) or not TOWNSHIP.match(unit) or (
                isinstance(org_unit, str) and not unit.startswith(org_unit)):
            conflicts.append(Conflict(where, f"org unit {unit!r} is not one of the county's "
                                             "townships"))
        combo = value.get("categoryOptionCombo")
        if not isinstance(combo, str) or combo not in CATEGORY_COMBOS.values():
            conflicts.append(Conflict(where, "unknown category option combo "
                                             f"{value.get('categoryOptionCombo')!r}"))
        text = value.get("value")
        pattern = AMOUNT if kind == "amount" else COUNT
        if not isinstance(text, str) or not pattern.match(text):
            conflicts.append(Conflict(where, "an amount is a string of yuan with exactly two "
                                             "decimals" if kind == "amount" else
                                      "a count is a string of digits"))
        # one value per element and org unit: a township has one category a year, and
        # the same value under a second combo would be counted twice in every sum
        if isinstance(unit, str):
            key = (element, unit)
            if key in seen:
                conflicts.append(Conflict(where, "the same value twice"))
            seen.add(key)
    conflicts += _whole_townships(values)
    sha256 = meta.get("sha256")
    if not isinstance(sha256, str) or not SHA256.match(sha256):
        conflicts.append(Conflict("meta.sha256", "the SHA-256 of the values, 64 hex digits"))
    elif not conflicts and sha256 != digest(values):
        conflicts.append(Conflict("meta.sha256", "does not match the values"))
    return conflicts


def totals(values: list[dict]) -> dict[str, Decimal]:
    """Each data element's sum over values (a level's roll-up); amounts exact."""
    result: dict[str, Decimal] = {}
    for value in values:
        try:
            amount = Decimal(value["value"])
        except (InvalidOperation, KeyError, TypeError):
            continue
        result[value["dataElement"]] = result.get(value["dataElement"], Decimal(0)) + amount
    return result


def execution_rate(summed: dict[str, Decimal]) -> Decimal | None:
    """The rate a level shows, computed from its summed amounts, never exchanged."""
    allocation = summed.get("ALLOCATION") or Decimal(0)
    if allocation <= 0:
        return None
    return (summed.get("PAID", Decimal(0)) / allocation).quantize(Decimal("0.0001"))

