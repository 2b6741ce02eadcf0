"""The upward-reporting format (issue 28): a county's data value set, its JSON and CSV
forms, its validation, and the roll-up it allows (amounts summed, rates recomputed)."""

import copy
import csv
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from funds.budget.exports import allocation_file
from funds.exchange import datavalues as dv

D = Decimal


@pytest.fixture
def county_set(demo):
    return dv.data_value_set_get(fund_year=demo)


@pytest.mark.django_db
def test_the_set_carries_the_allocation_page_figures(county_set, demo):
    """Every township's allocation, floor, standard and paid amount in the set are the
    allocation page's CSV and Excel figures, to the yuan."""
    header, rows, _formats = allocation_file(fund_year=demo)
    rows = list(rows)[:-1]  # the totals row last
    column = {name: header.index(name) for name in
              ("代码", "保底资金（元）", "补助标准（元）", "合计（元）", "已报账（元）")}
    values = {(v["dataElement"], v["orgUnit"]): v["value"] for v in county_set["dataValues"]}
    for row in rows:
        code = row[column["代码"]]
        assert values["ALLOCATION", code] == dv.money(row[column["合计（元）"]])
        assert values["FLOOR", code] == dv.money(row[column["保底资金（元）"]])
        assert values["STANDARD", code] == dv.money(row[column["补助标准（元）"]])
        assert values["PAID", code] == dv.money(row[column["已报账（元）"]])
    assert len(rows) == 52 == len({unit for _element, unit in values})
    assert dv.validate(county_set) == []
    assert county_set["meta"]["sha256"] == dv.digest(county_set["dataValues"])
    assert county_set["orgUnits"][0]["parent"] == "511781"
    # no rate is exchanged: every value is an amount with two decimals or a count
    assert all(dv.AMOUNT.match(v["value"]) or dv.COUNT.match(v["value"])
               for v in county_set["dataValues"])
    assert not any("RATE" in v["dataElement"] for v in county_set["dataValues"])


@pytest.mark.django_db
def test_json_and_csv_carry_identical_values(county_set):
    again = dv.from_csv(dv.to_csv(county_set), source="511781")
    assert dv.canonical(again["dataValues"]) == dv.canonical(county_set["dataValues"])
    assert again["meta"]["sha256"] == county_set["meta"]["sha256"]
    assert dv.validate(again) == []
    assert json.loads(json.dumps(county_set, ensure_ascii=False)) == county_set


@pytest.mark.django_db
@pytest.mark.parametrize("spoil, where", [
    (lambda s: s["dataValues"][0].update(value="12.5"), "dataValues[0]"),
    (lambda s: s["dataValues"][0].update(value=12.5), "dataValues[0]"),
    (lambda s: s["dataValues"][5].update(value="1.0"), "dataValues[5]"),  # a count
    (lambda s: s["dataValues"][0].update(dataElement="EXECUTION_RATE"), "dataValues[0]"),
    (lambda s: s["dataValues"][0].update(orgUnit="510100001"), "dataValues[0]"),
    (lambda s: s["dataValues"][0].update(orgUnit="511781"), "dataValues[0]"),  # the county
    (lambda s: s["dataValues"][0].update(categoryOptionCombo="CAT_9"), "dataValues[0]"),
    (lambda s: s["dataValues"][0].update(period="2019"), "dataValues[0]"),
    (lambda s: s["dataValues"].append(dict(s["dataValues"][0])), "dataValues[312]"),
    (lambda s: s.update(period="20X0"), "period"),
    (lambda s: s.update(dataSet="OTHER"), "dataSet"),
    (lambda s: s["meta"].update(schema="v0"), "meta.schema"),
    (lambda s: s["meta"].update(sha256="0" * 64), "meta.sha256"),
    (lambda s: s.update(dataValues=[]), "dataValues"),
    (lambda s: s["dataValues"][0].update(orgUnit=["511781001"]), "dataValues[0]"),
    (lambda s: s["dataValues"][0].update(dataElement=["PAID"]), "dataValues[0]"),
    (lambda s: s["dataValues"][0].update(categoryOptionCombo={"a": 1}), "dataValues[0]"),
    # the same value of a township under a second category: it would be counted twice
    (lambda s: s["dataValues"].append(dict(s["dataValues"][0], categoryOptionCombo=next(
        c for c in dv.CATEGORY_COMBOS.values()
        if c != s["dataValues"][0]["categoryOptionCombo"]))), "dataValues[312]"),
    (lambda s: s["meta"].pop("sha256"), "meta.sha256"),
    (lambda s: s["dataValues"][0].update(value="１２.００"), "dataValues[0]"),  # fullwidth
    (lambda s: s.update(period="２０２０"), "period"),
    (lambda s: s["meta"].update(sha256=["x"]), "meta.sha256"),
])
def test_every_malformed_set_is_refused_saying_where(county_set, spoil, where):
    bad = copy.deepcopy(county_set)
    spoil(bad)
    assert where in [c.where for c in dv.validate(bad)]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3), max_leaves=10)


@settings(max_examples=200, deadline=None)
@given(element=json_values, unit=json_values, combo=json_values, value=json_values,
       period=json_values, meta=json_values)
def test_no_set_makes_the_validation_raise(element, unit, combo, value, period, meta):
    """Whatever JSON a sender posts, the answer is a list of conflicts, never an error."""
    data_value_set = {"meta": meta, "dataSet": dv.DATA_SET, "period": period,
                      "orgUnit": "511781", "dataValues": [
                          {"dataElement": element, "period": period, "orgUnit": unit,
                           "categoryOptionCombo": combo, "value": value}, element]}
    conflicts = dv.validate(data_value_set)
    assert conflicts and all(c.where and c.reason for c in conflicts)


@pytest.mark.django_db
def test_a_key_of_one_county_cannot_report_for_another(county_set):
    assert [c.where for c in dv.validate(county_set, source="511702")] == ["orgUnit"]


@pytest.mark.django_db
def test_the_commands(county_set, tmp_path, capsys):
    out = tmp_path / "万源市2020.json"
    call_command("export_datavalues", "--year", "2020", "--out", str(out))
    call_command("import_datavalues", str(out), "--dry-run")
    assert "312 values would be imported, 0 conflicts" in capsys.readouterr().out
    csv_out = tmp_path / "万源市2020.csv"
    call_command("export_datavalues", "--year", "2020", "--format", "csv", "--out", str(csv_out))
    rows = list(csv.reader(io.StringIO(csv_out.read_text(encoding="utf-8"))))
    assert rows[0] == dv.CSV_COLUMNS and len(rows) == 1 + 312
    call_command("import_datavalues", str(csv_out), "--dry-run", "--source", "511781")
    spoiled = json.loads(out.read_text(encoding="utf-8"))
    spoiled["dataValues"][0]["value"] = "1,000.00"
    out.write_text(json.dumps(spoiled, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(Exception, match="1 conflicts: nothing imported"):
        call_command("import_datavalues", str(out), "--dry-run")
    assert "dataValues[0]" in capsys.readouterr().out


cents = st.integers(min_value=0, max_value=10**11)
townships = st.lists(st.tuples(st.integers(100, 999), st.sampled_from(list(dv.CATEGORY_COMBOS.values())),
                               cents, cents), min_size=1, max_size=30, unique_by=lambda t: t[0])


def _set(county: str, rows) -> dict:
    values = []
    for unit, combo, allocation, paid in rows:
        values += [{"dataElement": "ALLOCATION", "period": "2020", "orgUnit": f"{county}{unit}",
                    "categoryOptionCombo": combo, "value": dv.money(D(allocation) / 100)},
                   {"dataElement": "PAID", "period": "2020", "orgUnit": f"{county}{unit}",
                    "categoryOptionCombo": combo, "value": dv.money(D(paid) / 100)}]
        values += [{"dataElement": element, "period": "2020", "orgUnit": f"{county}{unit}",
                    "categoryOptionCombo": combo, "value": "0" if element == "OPEN_FINDINGS"
                    else "0.00"}
                   for element in ("STANDARD", "FLOOR", "COMMITTED", "OPEN_FINDINGS")]
    return {"meta": {"schema": dv.SCHEMA, "source": county, "sha256": dv.digest(values)},
            "dataSet": dv.DATA_SET, "period": "2020", "orgUnit": county, "dataValues": values}


@settings(max_examples=100, deadline=None)
@given(a=townships, b=townships)
def test_sums_commute_with_roll_up_and_rates_are_recomputed(a, b):
    first, second = _set("511781", a), _set("511702", b)
    assert dv.validate(first) == [] and dv.validate(second) == []
    city = dv.totals(first["dataValues"] + second["dataValues"])
    by_county = [dv.totals(first["dataValues"]), dv.totals(second["dataValues"])]
    for element in ("ALLOCATION", "PAID"):
        assert city[element] == sum(t[element] for t in by_county)
    # the city's rate is its summed paid over its summed allocation, not a mean of rates
    if city["ALLOCATION"] > 0:
        assert dv.execution_rate(city) == (city["PAID"] / city["ALLOCATION"]).quantize(
            D("0.0001"))
    again = dv.from_csv(dv.to_csv(first), source="511781")
    assert dv.canonical(again["dataValues"]) == dv.canonical(first["dataValues"])
