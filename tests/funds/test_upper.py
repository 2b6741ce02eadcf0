"""The upper level (issue 28) in one process: a city instance's hierarchy from its file,
county keys, receiving the county's data value sets (JSON and CSV, dry run, re-sending
replaces, refused once accepted), completeness and approval, and every bad input a 4xx
with nothing written. The two instances over HTTP are in test_two_instances.py."""

import copy
import datetime
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import timezone

from funds.exchange import datavalues as dv
from funds.exchange import rollup, upper
from funds.models import ApiKey, DataValue, OrgUnit, Submission
from townships.models import AuditEvent

pytestmark = pytest.mark.django_db
DAZHOU = Path(django_settings.BASE_DIR) / "fixtures" / "orgunits" / "511700-dazhou.csv"


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root1", "root@example.org", "x-Pass-1234")


@pytest.fixture
def city(settings, superuser):
    """达州市's instance: its units loaded, a key for 万源市 and one for 通川区."""
    settings.INSTANCE_LEVEL, settings.INSTANCE_ORG_UNIT = "city", "511700"
    upper.org_units_load(text=DAZHOU.read_text(encoding="utf-8"))
    later = timezone.now() + datetime.timedelta(days=30)
    keys = {code: upper.api_key_create(name=f"{code} 推送", acting_user=superuser,
                                       org_unit=OrgUnit.objects.get(code=code),
                                       expires_at=later)[1]
            for code in ("511781", "511702")}
    return keys


@pytest.fixture
def county_set(demo):
    return dv.data_value_set_get(fund_year=demo)


def county_set_year():
    from funds.models import FundYear
    return FundYear.objects.get(year=2020)


def _post(client, data, key, *, dry_run=False, content_type="application/json"):
    body = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    url = "/api/v1/dataValueSets" + ("?dryRun=true" if dry_run else "")
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return client.post(url, body, content_type=content_type, headers=headers)


def test_the_hierarchy_loads_from_its_file_all_or_nothing(city):
    dazhou = OrgUnit.objects.get(code="511700")
    assert dazhou.level == OrgUnit.Level.CITY and dazhou.parent.code == "510000"
    assert sorted(u.code for u in dazhou.children.all()) == [
        "511702", "511703", "511722", "511723", "511724", "511725", "511781"]
    before = OrgUnit.objects.count()
    bad = DAZHOU.read_text(encoding="utf-8") + "5117X9,坏县,county,511700,,\n"
    with pytest.raises(upper.ExchangeError, match="第 11 行"):
        upper.org_units_load(text=bad.replace("万源市,county", "万源县,county"))
    assert OrgUnit.objects.count() == before
    assert OrgUnit.objects.get(code="511781").name == "万源市"  # nothing half-written


def test_keys_are_stored_hashed_and_audited(city, superuser, admin_user):
    key = ApiKey.objects.get(org_unit__code="511781")
    raw = city["511781"]
    assert raw not in (key.digest, key.prefix) and len(key.digest) == 64
    assert upper.api_key_authenticate(raw) == key
    assert upper.api_key_authenticate(raw[:-1] + ("A" if raw[-1] != "A" else "B")) is None
    with pytest.raises(Exception) as refused:  # an administrator is not a superuser
        upper.api_key_create(name="x", org_unit=key.org_unit, acting_user=admin_user,
                             expires_at=timezone.now() + datetime.timedelta(days=1))
    assert refused.type.__name__ == "PermissionDenied"
    upper.api_key_revoke(key=key, acting_user=superuser)
    assert upper.api_key_authenticate(raw) is None
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"api_key_created", "api_key_revoked", "org_units_loaded"} <= actions


def test_a_county_set_is_received_and_rolled_up(client, city, county_set):
    response = _post(client, county_set, city["511781"])
    assert response.status_code == 200, response.content
    summary = response.json()
    assert summary["status"] == "SUCCESS" and summary["importCount"]["imported"] == 312
    assert summary["state"] == "submitted"
    stored = rollup.received_set(code="511781", period=2020)
    assert dv.digest(stored["dataValues"]) == county_set["meta"]["sha256"]
    rows = {r["code"]: r for r in rollup.children_rows(
        parent=OrgUnit.objects.get(code="511700"), period=2020)}
    wanyuan = rows["511781"]
    summed = dv.totals(county_set["dataValues"])
    from funds.budget.selectors import allocation_row_list
    page = sum(r["total_amount"] for r in allocation_row_list(fund_year=county_set_year()))
    assert wanyuan["ALLOCATION"] == summed["ALLOCATION"] == page
    assert wanyuan["PAID"] == summed["PAID"] and wanyuan["townships"] == 52
    assert wanyuan["CAT_1"] + wanyuan["CAT_2"] + wanyuan["CAT_3"] == 52
    assert wanyuan["state"] == "submitted" and rows["511702"]["state"] == ""
    assert wanyuan["execution"] == dv.execution_rate(summed)
    assert Submission.objects.get().received_from.startswith("511781 推送")
    assert AuditEvent.objects.filter(action="submission_received").count() == 1


def test_a_resend_replaces_and_a_dry_run_writes_nothing(client, city, county_set):
    _post(client, county_set, city["511781"])
    changed = copy.deepcopy(county_set)
    changed["dataValues"][4]["value"] = "1234.56"   # PAID of the first township
    dropped = changed["dataValues"][4]
    del changed["dataValues"][-6:]                   # the last township, whole
    changed["meta"]["sha256"] = dv.digest(changed["dataValues"])
    dry = _post(client, changed, city["511781"], dry_run=True).json()
    assert dry["dryRun"] and dry["importCount"] == {"imported": 0, "updated": 1,
                                                    "ignored": 305, "deleted": 6}
    assert DataValue.objects.get(data_element="PAID", org_unit__code=dropped["orgUnit"]
                                 ).value != Decimal("1234.56")
    again = _post(client, changed, city["511781"]).json()
    assert again["importCount"] == dry["importCount"] and not again["dryRun"]
    assert DataValue.objects.count() == 306 and Submission.objects.count() == 1
    assert DataValue.objects.get(data_element="PAID", org_unit__code=dropped["orgUnit"]
                                 ).value == Decimal("1234.56")


def test_json_and_csv_store_identical_values(client, city, county_set):
    _post(client, dv.to_csv(county_set), city["511781"], content_type="text/csv")
    from_csv = rollup.received_set(code="511781", period=2020)["dataValues"]
    _post(client, county_set, city["511781"])
    from_json = rollup.received_set(code="511781", period=2020)["dataValues"]
    assert from_csv == from_json and len(from_json) == 312


def test_keys_and_bad_sets_are_refused_with_nothing_written(client, city, county_set,
                                                            superuser):
    assert _post(client, county_set, None).status_code == 401
    assert _post(client, county_set, "wyk_00000000_" + "x" * 43).status_code == 401
    other = _post(client, county_set, city["511702"])  # 通川区's key, 万源市's set
    assert other.status_code == 403 and "511702" in other.json()["detail"]
    assert _post(client, "{not json", city["511781"]).status_code == 400
    spoiled = copy.deepcopy(county_set)
    spoiled["dataValues"][0]["value"] = "12.5"
    spoiled["dataValues"][7]["orgUnit"] = "511702100"
    refused = _post(client, spoiled, city["511781"])
    assert refused.status_code == 409
    assert {c["object"] for c in refused.json()["conflicts"]} >= {"dataValues[0]",
                                                                  "dataValues[7]"}
    assert not Submission.objects.exists() and not DataValue.objects.exists()
    key = ApiKey.objects.get(org_unit__code="511781")
    key.expires_at = timezone.now() - datetime.timedelta(seconds=1)
    key.save()
    assert _post(client, county_set, city["511781"]).status_code == 401
    assert not Submission.objects.exists()


def test_completeness_and_approval_by_level(client, city, county_set, staff_user,
                                            clerk_user):
    key = city["511781"]
    headers = {"Authorization": f"Bearer {key}"}
    state = client.get("/api/v1/completeness?period=2020", headers=headers).json()
    assert state["state"] == "not_submitted"
    _post(client, county_set, key)
    submission = Submission.objects.get()
    with pytest.raises(Exception) as refused:
        upper.submission_decide(submission=submission, accept=True, acting_user=clerk_user)
    assert refused.type.__name__ == "PermissionDenied"
    upper.submission_decide(submission=submission, accept=True, acting_user=staff_user)
    assert client.get("/api/v1/completeness?period=2020",
                      headers=headers).json()["state"] == "accepted"
    again = _post(client, county_set, key)
    assert again.status_code == 409 and "accepted" in again.json()["conflicts"][0]["value"]
    with pytest.raises(upper.ExchangeError, match="理由"):
        upper.submission_decide(submission=submission, accept=False, acting_user=staff_user)
    upper.submission_decide(submission=submission, accept=False, reason="补报2020年数据",
                            acting_user=staff_user)
    answer = client.get("/api/v1/completeness?period=2020", headers=headers).json()
    assert answer["state"] == "returned" and answer["reason"] == "补报2020年数据"
    assert _post(client, county_set, key).json()["state"] == "submitted"
    assert {"submission_accepted", "submission_returned"} <= set(
        AuditEvent.objects.values_list("action", flat=True))


def test_nothing_to_report_is_not_not_submitted(client, city, settings):
    settings.COUNTY_CODE = "511702"
    nothing = dv.nothing_to_report_set(period=2021)
    response = _post(client, nothing, city["511702"])
    assert response.status_code == 200 and response.json()["state"] == "nothing"
    states = rollup.completeness(parent=OrgUnit.objects.get(code="511700"), period=2021)
    assert states == {"nothing": 1, "not_submitted": 6}
    with_values = dict(nothing, dataValues=[{"dataElement": "PAID"}])
    assert _post(client, with_values, city["511702"]).status_code == 409


def test_a_county_instance_does_not_receive(client, demo, county_set, settings, superuser):
    upper.org_units_load(text=DAZHOU.read_text(encoding="utf-8"))
    _key, raw = upper.api_key_create(name="x", org_unit=OrgUnit.objects.get(code="511781"),
                                     acting_user=superuser,
                                     expires_at=timezone.now() + datetime.timedelta(days=1))
    assert _post(client, county_set, raw).status_code == 404
    assert not Submission.objects.exists()


def test_the_commands(city, county_set, superuser, tmp_path, capsys):
    out = tmp_path / "万源市2020.json"
    out.write_text(json.dumps(county_set, ensure_ascii=False), encoding="utf-8")
    call_command("import_datavalues", str(out), "--dry-run")
    assert "dry run: 312 imported" in capsys.readouterr().out
    assert not Submission.objects.exists()
    call_command("import_datavalues", str(out))
    assert "312 imported" in capsys.readouterr().out and DataValue.objects.count() == 312
    key_file = tmp_path / "key"
    call_command("apikey", "create", "--org-unit", "511703", "--name", "达川区",
                 "--user", "root1", "--out", str(key_file))
    assert oct(key_file.stat().st_mode)[-3:] == "600"
    assert upper.api_key_authenticate(key_file.read_text().strip()).org_unit.code == "511703"
    call_command("apikey", "list")
    assert "511703\t达川区" in capsys.readouterr().out


def test_the_dashboard_drills_down_and_exports_what_the_counties_sent(
        client, city, county_set, staff_user, clerk_user):
    from tests.conftest import login
    _post(client, county_set, city["511781"])
    login(client, staff_user)
    assert client.get("/").url == "/upper/"
    assert client.get("/upper/").url == "/upper/2020/"
    page = client.get("/upper/2020/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "达州市" in html and "万源市" in html and "未报送" in html
    rows = {r["code"]: r for r in page.context["table"].data}
    assert rows["511781"]["state"] == "submitted" and len(rows) == 7
    exported = b"".join(client.get("/upper/2020/export.csv").streaming_content
                        ).decode("utf-8-sig").splitlines()
    header = exported[0].split(",")
    wanyuan = dict(zip(header, next(r for r in exported if r.startswith("511781")).split(","),
                       strict=True))
    summed = dv.totals(county_set["dataValues"])
    assert Decimal(wanyuan["分配金额（元）"]) == summed["ALLOCATION"]
    assert Decimal(wanyuan["已报账（元）"]) == summed["PAID"]
    county = client.get("/upper/2020/511781/")
    assert county.status_code == 200 and len(county.context["table"].data) == 52
    townships = b"".join(client.get("/upper/2020/511781/export.csv").streaming_content
                         ).decode("utf-8-sig").splitlines()
    assert len(townships) == 1 + 52 + 1  # header, townships, total
    assert client.get("/upper/2020/511702100/").status_code == 404   # not a county's unit
    # accept, then reopen with a reason, on the page
    sha = Submission.objects.get().sha256
    assert client.post("/upper/2020/511781/decide/", {"decision": "accept",
                                                      "sha256": sha}).status_code == 302
    assert Submission.objects.get().state == "accepted"
    client.post("/upper/2020/511781/decide/", {"decision": "return", "reason": "", "sha256": sha})
    assert Submission.objects.get().state == "accepted"
    client.post("/upper/2020/511781/decide/", {"decision": "return", "reason": "数据有误",
                                               "sha256": sha})
    assert Submission.objects.get().state == "returned"
    login(client, clerk_user)
    assert client.get("/upper/2020/").status_code == 403


def test_a_county_instance_has_no_upper_pages(client, demo, staff_user):
    from tests.conftest import login
    login(client, staff_user)
    assert client.get("/upper/2020/").status_code == 404


def test_a_superuser_revokes_keys_in_the_admin(client, city, superuser, admin_user):
    from tests.conftest import login
    key = ApiKey.objects.get(org_unit__code="511781")
    login(client, admin_user)  # an administrator, not a superuser: no revoking
    page = client.get("/admin/funds/apikey/")
    assert page.status_code == 200 and 'value="revoke"' not in page.content.decode()
    assert key.digest not in client.get(f"/admin/funds/apikey/{key.pk}/change/").content.decode()
    client.force_login(superuser)
    response = client.post("/admin/funds/apikey/", {"action": "revoke",
                                                     "_selected_action": [key.pk]})
    assert response.status_code == 302
    assert upper.api_key_authenticate(city["511781"]) is None
    assert AuditEvent.objects.filter(action="api_key_revoked").count() == 1


def test_the_city_demo_sets_up_once(db, settings, tmp_path, monkeypatch, django_user_model):
    settings.DEMO_MODE, settings.INSTANCE_LEVEL, settings.INSTANCE_ORG_UNIT = (
        True, "city", "511700")
    monkeypatch.setenv("DEMO_PASSWORD", "demo-City-2020")
    key_file = tmp_path / "city-511781.key"
    call_command("setup_city_demo", "--key-out", str(key_file))
    admin = django_user_model.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("demo-City-2020")
    assert django_user_model.objects.get(username="staff").has_perm("funds.decide_submission")
    key = upper.api_key_authenticate(key_file.read_text().strip())
    assert key.org_unit.code == "511781"
    call_command("setup_city_demo", "--key-out", str(key_file))  # again: the same key kept
    assert ApiKey.objects.count() == 1 and OrgUnit.objects.count() == 9
    settings.INSTANCE_LEVEL = "county"
    with pytest.raises(Exception, match="city's demo instance"):
        call_command("setup_city_demo", "--key-out", str(key_file))


# --- Roll-up properties -------------------------------------------------------------------

from hypothesis import HealthCheck, given  # noqa: E402
from hypothesis import settings as hypothesis_settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

PROVINCE = """code,name,level,parent,valid_from,valid_to
510000,四川省,province,,,
510100,成都市,city,510000,,
511700,达州市,city,510000,,
510104,锦江区,county,510100,,
510105,青羊区,county,510100,,
511702,通川区,county,511700,,
511781,万源市,county,511700,,
511725,渠县,county,511700,,
"""
COUNTIES = ["510104", "510105", "511702", "511781", "511725"]
cents = st.integers(min_value=0, max_value=10**10)
county_rows = st.lists(st.tuples(st.sampled_from(["CAT_1", "CAT_2", "CAT_3"]), cents, cents,
                                 st.integers(0, 9)), min_size=1, max_size=5)


def _county_set(code: str, rows) -> dict:
    values = []
    for n, (combo, allocation, paid, findings) in enumerate(rows):
        unit = f"{code}{100 + n}"
        for element, value in (("ALLOCATION", dv.money(Decimal(allocation) / 100)),
                               ("STANDARD", "0.00"), ("FLOOR", "0.00"), ("COMMITTED", "0.00"),
                               ("PAID", dv.money(Decimal(min(paid, allocation)) / 100)),
                               ("OPEN_FINDINGS", str(findings))):
            values.append({"dataElement": element, "period": "2026", "orgUnit": unit,
                           "categoryOptionCombo": combo, "value": value})
    return {"meta": {"schema": dv.SCHEMA, "source": code, "sha256": dv.digest(values)},
            "dataSet": dv.DATA_SET, "period": "2026", "orgUnit": code, "dataValues": values}


@hypothesis_settings(max_examples=25, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sent=st.dictionaries(st.sampled_from(COUNTIES), county_rows, min_size=1))
def test_sums_commute_with_the_roll_up_and_no_rate_is_stored(db, settings, sent):
    """Whatever the counties send: each county's row is its own sum, each city's the sum of
    its counties', the province's the sum of all; every rate is PAID ÷ ALLOCATION of that
    level's sums, not a sum or mean of rates; and no rate is stored anywhere."""
    settings.INSTANCE_LEVEL, settings.INSTANCE_ORG_UNIT = "province", "510000"
    DataValue.objects.all().delete()
    Submission.objects.all().delete()
    OrgUnit.objects.filter(level=OrgUnit.Level.TOWNSHIP).delete()
    upper.org_units_load(text=PROVINCE)
    for code, rows in sent.items():
        summary = upper.data_value_set_receive(data_value_set=_county_set(code, rows),
                                               received_from="test")
        assert not summary.conflicts, summary.conflicts
    own = {code: dv.totals(_county_set(code, rows)["dataValues"])
           for code, rows in sent.items()}
    province = OrgUnit.objects.get(code="510000")
    cities = {r["code"]: r for r in rollup.children_rows(parent=province, period=2026)}
    everything = defaultdict_sum(own.values())
    for city_code, city in cities.items():
        counties = {r["code"]: r for r in rollup.children_rows(
            parent=OrgUnit.objects.get(code=city_code), period=2026)}
        for code, row in counties.items():
            expected = own.get(code, {})
            for element in ("ALLOCATION", "PAID", "OPEN_FINDINGS"):
                assert row[element] == expected.get(element, 0)
            assert row["execution"] == dv.execution_rate(expected) if expected else True
        mine = defaultdict_sum(own[c] for c in own if c in counties)
        for element in ("ALLOCATION", "PAID", "OPEN_FINDINGS"):
            assert city[element] == mine.get(element, 0)
        assert city["execution"] == dv.execution_rate(mine)
    total = rollup.total_row(list(cities.values()), name="四川省", period=2026)
    assert total["ALLOCATION"] == everything.get("ALLOCATION", 0)
    assert total["execution"] == dv.execution_rate(everything)
    assert not any("rate" in f.name for f in DataValue._meta.get_fields())
    assert set(DataValue.objects.values_list("data_element", flat=True)) <= set(
        dv.DATA_ELEMENTS) and "EXECUTION_RATE" not in dv.DATA_ELEMENTS


def defaultdict_sum(dicts) -> dict:
    summed: dict = {}
    for d in dicts:
        for key, value in d.items():
            summed[key] = summed.get(key, 0) + value
    return summed


def test_the_dashboard_takes_as_many_queries_for_one_county_as_for_three(
        client, city, county_set, staff_user, superuser):
    """The pages read the sums per county in one query whatever the counties and
    townships: the query count is pinned and does not grow."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import login
    _post(client, county_set, city["511781"])
    login(client, staff_user)

    def counted(url):
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    one = {url: counted(url) for url in ("/upper/2020/", "/upper/2020/511781/")}
    for code in ("511702", "511703"):
        small = copy.deepcopy(county_set)
        small["orgUnit"] = code
        small["dataValues"] = [dict(v, orgUnit=code + v["orgUnit"][6:])
                               for v in county_set["dataValues"][:60]]
        small["meta"]["sha256"] = dv.digest(small["dataValues"])
        settings_key = upper.api_key_create(
            name=code, org_unit=OrgUnit.objects.get(code=code), acting_user=superuser,
            expires_at=timezone.now() + datetime.timedelta(days=1))[1]
        assert _post(client, small, settings_key).status_code == 200
    three = {url: counted(url) for url in one}
    assert three == one and one["/upper/2020/"] <= 14, one


# --- The review's findings (each failed before its fix) -----------------------------------


def test_an_accept_is_of_the_version_the_reviewer_saw(client, city, county_set, staff_user):
    from tests.conftest import login
    _post(client, county_set, city["511781"])
    seen = Submission.objects.get().sha256
    changed = copy.deepcopy(county_set)
    changed["dataValues"][0]["value"] = "1.00"
    changed["meta"]["sha256"] = dv.digest(changed["dataValues"])
    _post(client, changed, city["511781"])  # the county re-sends meanwhile
    login(client, staff_user)
    client.post("/upper/2020/511781/decide/", {"decision": "accept", "sha256": seen})
    assert Submission.objects.get().state == "submitted"
    with pytest.raises(upper.ExchangeError, match="重新报送"):
        upper.submission_decide(submission=Submission.objects.get(), accept=True,
                                expected_sha256=seen, acting_user=staff_user)


@pytest.mark.parametrize("flag", [1, "false", "true", None])
def test_nothing_to_report_is_true_or_absent(client, city, county_set, flag):
    spoiled = copy.deepcopy(county_set)
    spoiled["meta"]["nothingToReport"] = flag
    response = _post(client, spoiled, city["511781"])
    assert response.status_code == 409 and not Submission.objects.exists()


@pytest.mark.parametrize("line", [
    "511781,万源市,county,511781,,",      # its own parent
    "511102,市中区,county,511000,,",      # within 511 but not 5110
    "511799,某县,county,510000,,",        # a county under the province
    "511712,某县,county,511702,,",        # a county under a county
    "511800,某市,city,511700,,",          # a city under a city
])
def test_a_unit_sits_exactly_under_its_parent(city, line):
    text = DAZHOU.read_text(encoding="utf-8") + "511000,内江市,city,510000,,\n" + line + "\n"
    before = OrgUnit.objects.count()
    with pytest.raises(upper.ExchangeError):
        upper.org_units_load(text=text)
    assert OrgUnit.objects.count() == before


@pytest.mark.parametrize("period", ["0000", "9999", "1999"])
def test_a_period_is_a_plausible_year(client, city, county_set, period):
    spoiled = copy.deepcopy(county_set)
    spoiled["period"] = period
    for value in spoiled["dataValues"]:
        value["period"] = period
    spoiled["meta"]["sha256"] = dv.digest(spoiled["dataValues"])
    assert _post(client, spoiled, city["511781"]).status_code == 409


def test_pages_outside_the_years_are_404(client, city, staff_user):
    from tests.conftest import login
    login(client, staff_user)
    assert client.get("/upper/0/").status_code == 404
    assert client.get("/upper/10000/").status_code == 404


def test_control_characters_and_deep_json_are_refused_not_a_500(client, city, county_set,
                                                                staff_user):
    named = copy.deepcopy(county_set)
    named["orgUnits"][0]["name"] = "太平\u0000镇"
    assert _post(client, named, city["511781"]).status_code == 409
    generated = copy.deepcopy(county_set)
    generated["meta"]["generated"] = "x\u0000"
    assert _post(client, generated, city["511781"]).status_code == 409
    deep = "[" * 200000 + "]" * 200000
    assert _post(client, deep, city["511781"]).status_code == 400
    for body in ("[]", "1", "null", '"x"', "{}"):
        assert _post(client, body, city["511781"]).status_code == 400, body
    from tests.conftest import login
    login(client, staff_user)
    assert client.get("/api/v1/dataValueSets?period=2020&orgUnit=%00").status_code == 400
    assert not Submission.objects.exists()


def test_amounts_are_not_negative_and_each_township_is_whole(client, city, county_set):
    negative = copy.deepcopy(county_set)
    negative["dataValues"][0]["value"] = "-999999999999.99"
    negative["meta"]["sha256"] = dv.digest(negative["dataValues"])
    assert _post(client, negative, city["511781"]).status_code == 409
    partial = copy.deepcopy(county_set)
    partial["dataValues"].pop(0)  # the first township's ALLOCATION
    partial["meta"]["sha256"] = dv.digest(partial["dataValues"])
    refused = _post(client, partial, city["511781"])
    assert refused.status_code == 409 and "ALLOCATION" in refused.content.decode()
    mixed = copy.deepcopy(county_set)
    first = mixed["dataValues"][1]
    first["categoryOptionCombo"] = next(c for c in dv.CATEGORY_COMBOS.values()
                                        if c != first["categoryOptionCombo"])
    mixed["meta"]["sha256"] = dv.digest(mixed["dataValues"])
    assert _post(client, mixed, city["511781"]).status_code == 409
    assert not Submission.objects.exists()


def test_a_key_file_is_readable_by_its_owner_only_even_if_it_existed(city, tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("old")
    key_file.chmod(0o644)
    call_command("apikey", "create", "--org-unit", "511703", "--name", "达川区",
                 "--user", "root1", "--out", str(key_file))
    assert oct(key_file.stat().st_mode)[-3:] == "600"


def test_only_counties_valid_in_the_period_are_due(city):
    upper.org_units_load(text="code,name,level,parent,valid_from,valid_to\n"
                              "511799,旧县,county,511700,1990,2010\n"
                              "511798,新县,county,511700,2030,\n")
    dazhou = OrgUnit.objects.get(code="511700")
    assert rollup.completeness(parent=dazhou, period=2020) == {"not_submitted": 7}
    rows = rollup.children_rows(parent=dazhou, period=2020)
    assert {r["code"] for r in rows} == {"511702", "511703", "511722", "511723", "511724",
                                         "511725", "511781"}
    assert rollup.completeness(parent=dazhou, period=2031) == {"not_submitted": 8}
    # a county that did not exist that year cannot report for it
    key = upper.api_key_create(name="旧县", org_unit=OrgUnit.objects.get(code="511799"),
                               acting_user=ApiKey.objects.first().created_by,
                               expires_at=timezone.now() + datetime.timedelta(days=1))[0]
    nothing = dict(dv.nothing_to_report_set(period=2020), orgUnit="511799")
    summary = upper.data_value_set_receive(data_value_set=nothing, received_from=str(key),
                                           source="511799")
    assert [c.where for c in summary.conflicts] == ["period"]
