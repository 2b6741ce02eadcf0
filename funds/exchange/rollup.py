"""Reads of an upper-level instance: the counties' received values rolled up the
hierarchy. Amounts are summed in the database per county (a few rows per county whatever
the townships), then per child unit here; rates are computed from the summed amounts at
each level, never summed themselves."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import F
from django.utils import timezone

from funds.exchange.datavalues import DATA_ELEMENTS, DATA_SET, SCHEMA, money
from funds.exchange.upper import ancestor_at, descendants_of
from funds.models import DataValue, OrgUnit, Submission, SubmissionTotal
from funds.workdays import time_share

Level = OrgUnit.Level
State = Submission.State
ZERO = Decimal("0.00")
#: The category option combos, as the township counts per category are named.
COMBOS = ("CAT_1", "CAT_2", "CAT_3")


def _empty(unit: OrgUnit) -> dict:
    return {"code": unit.code, "name": unit.name, "level": unit.level, "unit": unit,
            **dict.fromkeys(DATA_ELEMENTS, ZERO), "townships": 0,
            **dict.fromkeys(COMBOS, 0), "counties": 0, "reported": 0, "state": "",
            "submission": None}


def _finish(row: dict, share: Decimal) -> dict:
    for element, kind in DATA_ELEMENTS.items():
        if kind == "count":  # a whole number, shown and exported as one
            row[element] = int(row[element])
    allocation = row["ALLOCATION"]
    row["execution"] = (row["PAID"] / allocation).quantize(Decimal("0.0001")) if (
        allocation > 0) else None
    row["time"] = share.quantize(Decimal("0.0001"))
    row["gap"] = None if row["execution"] is None else (
        (share - row["execution"]) * 100).quantize(Decimal("0.01"))
    return row


def _share(period: int, today: datetime.date | None) -> Decimal:
    today = today or timezone.localdate()
    return time_share(period, min(today, datetime.date(period, 12, 31)))


def children_rows(*, parent: OrgUnit, period: int, today: datetime.date | None = None
                  ) -> list[dict]:
    """Per child of ``parent`` (the counties of a city, the cities of a province): the
    summed values of the counties under it, townships per category, how many counties
    reported, execution against time progress. For a county, see :func:`township_rows`.
    A fixed number of queries whatever the size."""
    units = {u.pk: u for u in OrgUnit.objects.filter(level__lt=Level.TOWNSHIP)}
    children = sorted((u for u in units.values()
                       if u.parent_id == parent.pk and u.in_service(period)),
                      key=lambda u: u.code)
    rows = {child.pk: _empty(child) for child in children}
    for unit in units.values():
        if unit.level == Level.COUNTY and unit.in_service(period):
            child = ancestor_at(units, unit, parent.level + 1)
            if child is not None and child.pk in rows:
                rows[child.pk]["counties"] += 1
    submissions = {s.org_unit_id: s for s in Submission.objects.filter(period=period)}
    for county_id, submission in submissions.items():
        county = units.get(county_id)
        child = ancestor_at(units, county, parent.level + 1) if county else None
        if child is None or child.pk not in rows:
            continue
        row = rows[child.pk]
        row["reported"] += 1
        if child.level == Level.COUNTY:
            row["state"], row["submission"] = submission.state, submission
    # the totals written with each submission: a few rows per county, whatever its size
    sums = (SubmissionTotal.objects.filter(submission__period=period)
            .values("submission__org_unit_id", "data_element", "category_option_combo",
                    "total", n=F("count")))
    for item in sums:
        county = units.get(item["submission__org_unit_id"])
        child = ancestor_at(units, county, parent.level + 1) if county else None
        if child is None or child.pk not in rows:
            continue
        row = rows[child.pk]
        row[item["data_element"]] += item["total"]
        if item["data_element"] == "ALLOCATION":  # one per township: counts them
            row["townships"] += item["n"]
            if item["category_option_combo"] in COMBOS:
                row[item["category_option_combo"]] += item["n"]
    share = _share(period, today)
    return [_finish(rows[child.pk], share) for child in children]


def township_rows(*, county: OrgUnit, period: int, today: datetime.date | None = None
                  ) -> list[dict]:
    """Per township of a county's received set: its values as received."""
    rows: dict[str, dict] = {}
    values = (DataValue.objects.filter(submission__org_unit=county, submission__period=period)
              .values_list("org_unit__code", "org_unit__name", "data_element",
                           "category_option_combo", "value").order_by("org_unit__code"))
    for code, name, element, combo, value in values:
        row = rows.get(code)
        if row is None:
            row = rows[code] = {"code": code, "name": name, "level": Level.TOWNSHIP,
                                "unit": None, **dict.fromkeys(DATA_ELEMENTS, ZERO),
                                "townships": 1, **dict.fromkeys(COMBOS, 0), "counties": 0,
                                "reported": 0, "state": "", "submission": None,
                                "combo": combo}
            if combo in COMBOS:
                row[combo] = 1
        row[element] += value
    share = _share(period, today)
    return [_finish(row, share) for row in rows.values()]


def total_row(rows: list[dict], *, name: str, period: int,
              today: datetime.date | None = None) -> dict:
    """The sum of rows, its rate from the summed amounts."""
    total = {"code": "", "name": name, **dict.fromkeys(DATA_ELEMENTS, ZERO),
             **dict.fromkeys(COMBOS, 0), "townships": 0, "counties": 0, "reported": 0}
    for row in rows:
        for key in (*DATA_ELEMENTS, *COMBOS, "townships", "counties", "reported"):
            total[key] += row[key]
    return _finish(total, _share(period, today))


def completeness(*, parent: OrgUnit, period: int) -> dict[str, int]:
    """How many counties under ``parent`` stand in each state, not submitted included."""
    counties = [c for c in descendants_of(parent, Level.COUNTY) if c.in_service(period)]
    states = dict(Submission.objects.filter(period=period, org_unit__in=counties)
                  .values_list("org_unit_id", "state"))
    counted = defaultdict(int)
    for county in counties:
        counted[states.get(county.pk, "not_submitted")] += 1
    return dict(counted)


def received_set(*, code: str, period: int) -> dict | None:
    """A county's set as received, in the exchange format (what was stored, so its
    digest is the sender's)."""
    submission = (Submission.objects.select_related("org_unit")
                  .filter(org_unit__code=code, period=period).first())
    if submission is None:
        return None
    values = (submission.values.select_related("org_unit")
              .order_by("org_unit__code", "data_element"))
    data_values, units = [], {}
    for value in values:
        data_values.append({"dataElement": value.data_element, "period": str(period),
                            "orgUnit": value.org_unit.code,
                            "categoryOptionCombo": value.category_option_combo,
                            "value": money(value.value) if DATA_ELEMENTS[
                                value.data_element] == "amount" else f"{value.value:.0f}"})
        units[value.org_unit.code] = value.org_unit
    return {
        "meta": {"schema": SCHEMA, "source": code, "sourceName": submission.org_unit.name,
                 "generated": submission.generated, "sha256": submission.sha256,
                 "complete": True, "state": submission.state,
                 **({"nothingToReport": True} if submission.state == State.NOTHING else {})},
        "dataSet": DATA_SET, "period": str(period), "orgUnit": code,
        "orgUnits": [{"code": u.code, "name": u.name, "parent": code,
                      "validFrom": u.valid_from, "validTo": u.valid_to}
                     for u in sorted(units.values(), key=lambda u: u.code)],
        "dataValues": data_values,
    }
