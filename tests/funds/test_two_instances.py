"""A county's instance and a city's side by side (issue 28): the county is this test's
database, the city runs under gunicorn on a second database (a second SQLite file, or a
second PostgreSQL database when the suite runs on PostgreSQL), set up with its own
commands. The county pushes over HTTP with `manage.py push_datavalues`:

- the city's figures, as its dashboard exports them, equal the county's own CSV export of
  its set, to the yuan, per county and per township;
- a re-send replaces; once the city accepts the year, a re-send is refused;
- a key of one county cannot write another's data (403); no key, or a revoked one, is 401;
- a malformed set is refused with its conflicts listed, and nothing is written.
"""

import csv
import http.cookiejar
import io
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from funds.exchange.datavalues import data_value_set_get
from funds.spending import services as spending
from townships.models import AuditEvent

pytestmark = pytest.mark.django_db
BASE = Path(settings.BASE_DIR)
PASSWORD = "City-instance-2020"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database(tmp_path):
    """A second database for the city, of the kind the suite runs on; and its removal."""
    if connection.vendor != "postgresql":
        return f"sqlite:///{tmp_path / 'city.sqlite3'}", lambda: None
    import psycopg

    name = f"wanyuan_city_{secrets.token_hex(4)}"
    params = connection.settings_dict
    admin = (f"postgresql://{params['USER']}@{params['HOST'] or '127.0.0.1'}:"
             f"{params['PORT'] or 5432}/postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return admin.rsplit("/", 1)[0] + f"/{name}", drop


@pytest.fixture
def city(tmp_path):
    """达州市's instance: migrated, its units loaded, a superuser, keys for 万源市 and 通川区,
    served by gunicorn on a free port."""
    url, drop = _database(tmp_path)
    env = {**os.environ, "DATABASE_URL": url, "INSTANCE_LEVEL": "city",
           "INSTANCE_ORG_UNIT": "511700", "COUNTY_NAME": "达州市", "DEBUG": "0",
           "SECRET_KEY": secrets.token_urlsafe(32), "ALLOWED_HOSTS": "127.0.0.1",
           "DJANGO_SUPERUSER_PASSWORD": PASSWORD, "MEDIA_ROOT": str(tmp_path / "media"),
           "THROTTLE_CACHE_DIR": str(tmp_path / "throttle")}

    def manage(*args):
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=BASE, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout

    manage("migrate", "--no-input", "-v", "0")
    manage("orgunits_load", "fixtures/orgunits/511700-dazhou.csv")
    manage("createsuperuser", "--no-input", "--username", "root", "--email", "r@example.org")
    keys = {}
    for code in ("511781", "511702"):
        keys[code] = tmp_path / f"{code}.key"
        manage("apikey", "create", "--org-unit", code, "--name", f"{code} 推送", "--user",
               "root", "--out", str(keys[code]))
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "wanyuan.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", "2", "--log-level", "warning"],
        cwd=BASE, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/api/v1/openapi.json", timeout=2).close()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()
                time.sleep(0.2)
        yield {"url": base, "keys": keys, "manage": manage}
    finally:
        server.terminate()
        server.wait(timeout=30)
        drop()


class Browser:
    """A person at the city's pages: logs in, downloads, posts a form with its token."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.read().decode("utf-8-sig")

    def post(self, path: str, fields: dict, *, form_page: str) -> int:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"',
                          self.get(form_page)).group(1)
        data = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(self.base + path, data=data,
                                         headers={"Referer": self.base + form_page})
        with self.opener.open(request, timeout=30) as response:
            return response.status

    def log_in(self, username: str, password: str) -> None:
        self.post("/accounts/login/", {"username": username, "password": password},
                  form_page="/accounts/login/")
        assert "退出" in self.get("/upper/")


def _csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def _county_export(tmp_path) -> tuple[dict, dict]:
    """The county's own CSV export of its 2020 set: sums per element, values per
    township."""
    out = tmp_path / "万源市2020.csv"
    call_command("export_datavalues", "--year", "2020", "--format", "csv", "--out", str(out))
    sums, townships = defaultdict(Decimal), defaultdict(dict)
    for row in _csv(out.read_text(encoding="utf-8-sig")):
        sums[row["dataelement"]] += Decimal(row["value"])
        townships[row["orgunit"]][row["dataelement"]] = Decimal(row["value"])
    return sums, townships


COLUMNS = {"ALLOCATION": "分配金额（元）", "COMMITTED": "已审批未报账（元）",
           "PAID": "已报账（元）", "OPEN_FINDINGS": "未整改问题"}


def _push(city, *extra, key="511781"):
    call_command("push_datavalues", "--year", "2020", "--to", city["url"], "--key-file",
                 str(city["keys"][key]), *extra)


def test_a_county_pushes_to_a_city_over_http(city, demo, staff_user, clerk_user,
                                             finance_user, taiping, tmp_path, capsys):
    from tests.funds.test_red_flags import _paid
    _paid(taiping, clerk_user, staff_user, finance_user, amount="5123.45")
    approved = _paid(taiping, clerk_user, staff_user, finance_user, amount="800.10",
                     payee="万源市委党校")
    assert approved.status == "reimbursed"
    _push(city)
    assert "312 imported" in capsys.readouterr().out
    person = Browser(city["url"])
    person.log_in("root", PASSWORD)

    def check_equal():
        sums, townships = _county_export(tmp_path)
        counties = {r["官方代码"] if "官方代码" in r else r["代码"]: r
                    for r in _csv(person.get("/upper/2020/export.csv"))}
        wanyuan = counties["511781"]
        for element, column in COLUMNS.items():
            assert Decimal(wanyuan[column]) == sums[element], element
        rows = {r.get("官方代码") or r.get("代码"): r
                for r in _csv(person.get("/upper/2020/511781/export.csv"))}
        for code, values in townships.items():
            for element, column in COLUMNS.items():
                assert Decimal(rows[code][column]) == values[element], (code, element)
        return sums

    first = check_equal()
    assert first["PAID"] == Decimal("5923.55")
    # A re-send replaces: a finding opened at the county changes one township's count.
    inspection = spending.inspection_record(date=demo_date(), inspectors="市委巡察组",
                                            townships=[taiping], acting_user=staff_user)
    spending.finding_add(inspection=inspection, township=taiping, description="台账缺签字",
                         deadline=demo_date(), acting_user=staff_user)
    _push(city)
    assert "1 updated" in capsys.readouterr().out
    assert check_equal()["OPEN_FINDINGS"] == first["OPEN_FINDINGS"] + 1

    # Another county's key: 403, nothing written. No key, a revoked key: 401.
    with pytest.raises(CommandError, match="403"):
        _push(city, key="511702")
    set_json = json.dumps(data_value_set_get(fund_year=demo), ensure_ascii=False).encode()
    plain = urllib.request.Request(city["url"] + "/api/v1/dataValueSets", data=set_json,
                                   headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(plain, timeout=30)
    assert refused.value.code == 401

    # A malformed set: its conflicts listed, nothing written.
    spoiled = data_value_set_get(fund_year=demo)
    spoiled["dataValues"][0]["value"] = "1,000.00"
    spoiled["dataValues"][1]["dataElement"] = "EXECUTION_RATE"
    key = city["keys"]["511781"].read_text().strip()
    request = urllib.request.Request(
        city["url"] + "/api/v1/dataValueSets", method="POST",
        data=json.dumps(spoiled, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    with pytest.raises(urllib.error.HTTPError) as conflicted:
        urllib.request.urlopen(request, timeout=30)
    answer = json.loads(conflicted.value.read())
    assert conflicted.value.code == 409
    assert {c["object"] for c in answer["conflicts"]} >= {"dataValues[0]", "dataValues[1]"}
    check_equal()  # unchanged

    # The city accepts the year: the county sees it, and a re-send is refused.
    page = person.get("/upper/2020/511781/")
    sha = re.search(r'name="sha256" value="([0-9a-f]{64})"', page).group(1)
    assert person.post("/upper/2020/511781/decide/", {"decision": "accept", "sha256": sha},
                       form_page="/upper/2020/511781/") == 200
    _push(city, "--status")
    assert "accepted" in capsys.readouterr().out
    # the county keeps what it sent and what it was told, on its audit page
    told = AuditEvent.objects.filter(action="report_state").get()
    assert "已接收" in told.summary and told.details["state"] == "accepted"
    sent = AuditEvent.objects.filter(action="report_sent").order_by("pk")
    assert [e.details["state"] for e in sent] == ["submitted", "submitted"]
    assert "312 个数值" in sent.first().summary
    with pytest.raises(CommandError, match="409"):
        _push(city)
    assert "accepted" in capsys.readouterr().out

    city["manage"]("apikey", "revoke", city["keys"]["511781"].read_text().split("_")[1],
                   "--user", "root")
    with pytest.raises(CommandError, match="401"):
        _push(city, "--status")


def demo_date():
    import datetime
    return datetime.date(2020, 9, 1)
