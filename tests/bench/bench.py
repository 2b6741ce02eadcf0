"""`make bench`: our implementation against the default alternatives, in one run.

For each database (SQLite, PostgreSQL) and each size N (52, 3,100 and 40,000 synthetic
townships; BENCH_SIZES overrides), in a fresh database filled by synthetic.py:

1. the allocation page against the Django admin changelist of the same townships, each
   served by one gunicorn worker: requests per second and queries per request;
2. the yearly CSV export against django-tables2's own export of the same table, and
   against PostgreSQL's COPY ... TO STDOUT of the same rows: time and peak memory
   (tracemalloc, Python allocations, in a second run so that it does not slow the
   timed one);
3. every document of the year (issue 16: seven files) against the issue's target, 2 s
   at 52 townships and 20 s at 3,100;
4. applying the reclassification: the real service against the same rule applied with
   one ORM save per township;
5. the comparison of two allocation plans (scale, ladder) against the allocation page
   (BENCH_ONLY=plans measures only this);
6. the preview of a 2,000-row ledger import, CSV and XLSX, against the 2 s target
   (BENCH_ONLY=ledger measures only this).

7. the red flags of a year of spending (20 expenditures a township, 3 % of them waiting,
   a third with an invoice) against the issue's 5 s target, and the county's audit pack
   with 1,000 voucher files of 100 KB streamed to nowhere: time and peak memory against
   the 100 MB target (BENCH_ONLY=inspection measures only this; it is not in the full run,
   which it would slow by the spending it writes).

8. an upper level (issue 28): a province of 183 counties receiving their sets (N townships
   in all), then its dashboard, a city's, a county's drill-down and the province's export,
   against the county instance's page floor of 100 ms (BENCH_ONLY=upper measures only
   this; not in the full run).

BENCH_ONLY=pages measures only 1 and 2 (with the pages' p95 server time);
BENCH_ONLY=documents only 3.

Times are the median of BENCH_REPEAT (3) runs, except django-tables2's export and, at
40,000, the one-save-per-township baseline, which run once. The two pages take turns
request by request.

Run as `python tests/bench/bench.py`; it prints one table at the end. With `--explain`
and DATABASE_URL set to a PostgreSQL database filled by synthetic.py, it prints the
query plans of the main queries instead; with `--generate N [YEARS]` it fills that
database with N synthetic townships (refusing one that holds real data).
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_NAME = os.environ.get("BENCH_DB", "wanyuan_bench")  # dropped and created for each size
SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "52,3100,40000").split(",")]
DATABASES = os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",")
SECONDS = float(os.environ.get("BENCH_SECONDS", "4"))
PORT = int(os.environ.get("BENCH_PORT", "8093"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))  # timed runs of which the median counts
ONLY = os.environ.get("BENCH_ONLY", "")  # "plans" / "ledger": only that row


def _env(database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "PYTEST_VERSION"}}
    env.update(DATABASE_URL=database_url, SECRET_KEY="bench-secret-not-for-production-1234567",
               ALLOWED_HOSTS="127.0.0.1,testserver", SECURE_SSL_REDIRECT="0",
               SECURE_COOKIES="0", DJANGO_SETTINGS_MODULE="wanyuan.settings",
               STATIC_ROOT=str(Path(tempfile.gettempdir()) / "wanyuan-bench-static"),
               LOG_LEVEL="WARNING")
    return env


def _fresh_database(kind: str) -> str:
    if kind == "sqlite":
        path = Path(tempfile.gettempdir()) / "wanyuan-bench.sqlite3"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    subprocess.run(["psql", f"{PG}/postgres", "-qc", f"DROP DATABASE IF EXISTS {PG_NAME}",
                    "-c", f"CREATE DATABASE {PG_NAME}"], check=True)
    return f"{PG}/{PG_NAME}"


def _manage(env, *args):
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def run_all():
    rows = []
    for kind in DATABASES:
        for n in SIZES:
            env = _env(_fresh_database(kind))
            _manage(env, "migrate", "--no-input", "-v", "0")
            _manage(env, "collectstatic", "--no-input", "-v", "0")
            subprocess.run([PYTHON, __file__, "--generate", str(n), "1"], cwd=ROOT, env=env,
                           check=True, stdout=subprocess.DEVNULL)
            out = subprocess.run([PYTHON, __file__, "--measure"], cwd=ROOT, env=env,
                                 check=True, capture_output=True, text=True)
            result = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{kind} N={n}: done", file=sys.stderr)
            rows += [(kind, n, *r) for r in result]
    print_table(rows)


def print_table(rows):
    header = ("database", "N", "measure", "ours", "baseline", "ours/baseline")
    lines = [header] + [(db, f"{n:,}", what, ours, base, ratio)
                        for db, n, what, ours, base, ratio in rows]
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    for i, line in enumerate(lines):
        print("  ".join(str(v).ljust(w) for v, w in zip(line, widths, strict=True)))
        if i == 0:
            print("  ".join("-" * w for w in widths))


# --- Inside one database (a subprocess with DATABASE_URL set) -----------------------------


def measure():
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore

    user = get_user_model().objects.create_superuser("bench", password=None)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"

    if ONLY == "ledger":
        print(json.dumps(_ledger_import(user)))
        return
    if ONLY == "documents":
        print(json.dumps(_documents(user)))
        return
    if ONLY == "inspection":
        print(json.dumps(_inspection(user)))
        return
    if ONLY == "upper":
        print(json.dumps(_upper(user)))
        return
    results = [] if ONLY == "pages" else _plans(cookie, user)
    if ONLY == "plans":
        print(json.dumps(results))
        return
    pages = {"allocation page": "/allocations/2020/",
             "admin changelist": "/admin/townships/township/"}
    rps, p95 = _requests_per_second(pages, cookie)
    queries = {name: _queries(url, user) for name, url in pages.items()}
    results.append(("pages: requests/s (1 worker)", f"{rps['allocation page']:.1f}",
                    f"{rps['admin changelist']:.1f}",
                    f"{rps['allocation page'] / rps['admin changelist']:.2f}×"))
    results.append(("pages: p95 ms (target < 100)", f"{p95['allocation page'] * 1000:.0f}",
                    f"{p95['admin changelist'] * 1000:.0f}",
                    f"{p95['allocation page'] / p95['admin changelist']:.2f}×"))
    ours, admin = queries["allocation page"], queries["admin changelist"]
    results.append(("pages: queries/request", ours, admin, f"{ours / admin:.2f}×"))
    results += _exports()
    if ONLY == "pages":
        print(json.dumps(results))
        return
    results += _documents(user)
    results += _reclassification(user)
    print(json.dumps(results))


def _ledger_import(user):
    """6. The preview of a township's 2,000-row ledger (issue 23) on its page, as CSV and
    as XLSX, against the issue's target of 2 s (BENCH_ONLY=ledger measures only this)."""
    import csv
    import io
    import statistics

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from openpyxl import Workbook

    from townships.models import Township

    township = Township.objects.in_service(2020).order_by("code").first()
    header = ["日期", "凭证号", "摘要", "收款单位", "开支类别", "支出", "余额", "报账日期"]
    rows = [[f"2020-{1 + i % 12:02d}-{1 + i % 28:02d}", f"记-{i}", f"党员活动支出{i}",
             f"收款单位{i % 50}", "教育培训", "12.50", "", "2020-12-31"] for i in range(2000)]
    text = io.StringIO()
    csv.writer(text).writerows([["某镇党建经费台账"], header, *rows])
    workbook = Workbook()
    workbook.active.append(["某镇党建经费台账"])
    workbook.active.append(header)
    for row in rows:
        workbook.active.append([*row[:5], 12.5, None, row[7]])
    xlsx = io.BytesIO()
    workbook.save(xlsx)
    client = Client()
    client.force_login(user)
    url = f"/ledger/{township.code}/2020/import/"
    results = []
    for kind, data in (("CSV", text.getvalue().encode()), ("XLSX", xlsx.getvalue())):
        times = []
        for _ in range(REPEAT):
            began = time.perf_counter()
            response = client.post(url, {"file": SimpleUploadedFile(f"台账.{kind}", data)})
            times.append(time.perf_counter() - began)
            assert response.status_code == 200, (kind, response.status_code)
            assert "记-1999" in response.content.decode()
        median = statistics.median(times)
        results.append((f"ledger import: preview of 2,000 rows, {kind} (s)", f"{median:.2f}",
                        "2.00 (target)", f"{median / 2:.2f}×"))
    return results


def _plans(cookie, user):
    """4. The comparison of two allocation plans (issue 18) against the allocation page:
    it reads every township's line of each plan and last year's allocation."""
    from funds.models import FundYear
    from funds.planning import services

    fund_year = FundYear.objects.get(year=2020)
    ids = [services.scenario_create(fund_year=fund_year, name=method, method=method,
                                    acting_user=user).pk for method in ("scale", "ladder")]
    pages = {"compare page": f"/funds/2020/plans/compare/?ids={ids[0]},{ids[1]}",
             "allocation page": "/allocations/2020/"}
    rps, p95 = _requests_per_second(pages, cookie)
    return [("plans compared: requests/s (1 worker)", f"{rps['compare page']:.1f}",
             f"{rps['allocation page']:.1f}",
             f"{rps['compare page'] / rps['allocation page']:.2f}×"),
            ("plans compared: queries/request", _queries(pages["compare page"], user),
             _queries(pages["allocation page"], user), "")]


def _requests_per_second(pages, cookie):
    import urllib.request

    server = subprocess.Popen(
        [str(Path(PYTHON).parent / "gunicorn"), "wanyuan.wsgi:application", "--workers", "1",
         "--bind", f"127.0.0.1:{PORT}", "--log-level", "warning", "--timeout", "300"],
        cwd=ROOT, env=os.environ.copy())
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/accounts/login/", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        requests = {name: urllib.request.Request(f"http://127.0.0.1:{PORT}{url}",
                                                 headers={"Cookie": cookie})
                    for name, url in pages.items()}
        for name, request in requests.items():  # warm up
            with urllib.request.urlopen(request, timeout=300) as response:
                assert response.status == 200, (name, response.status)
                response.read()
        # The pages take turns, request by request, so that a change in the machine's
        # load during the run weighs on both alike; each page's rate is its requests
        # over the time spent serving them.
        latencies = {name: [] for name in requests}
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < SECONDS * len(requests) or count < 3:
            for name, request in requests.items():
                began = time.perf_counter()
                with urllib.request.urlopen(request, timeout=300) as response:
                    response.read()
                latencies[name].append(time.perf_counter() - began)
            count += 1
        rates = {name: count / sum(times) for name, times in latencies.items()}
        p95 = {name: sorted(times)[int(len(times) * 0.95)] for name, times in latencies.items()}
        return rates, p95
    finally:
        server.terminate()
        server.wait()


def _queries(url, user):
    """The queries of a repeated request."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user)
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _timed(function, *, memory=True, repeat=1, between=None):
    """(seconds, peak bytes, result): the median time of ``repeat`` plain runs (calling
    ``between`` after each), then, separately, the peak of Python allocations under
    tracemalloc, which would slow the timed runs themselves."""
    import gc
    import statistics
    import tracemalloc

    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        size = function()
        times.append(time.perf_counter() - start)
        if between is not None:
            between()
    elapsed = statistics.median(times)
    peak = 0
    if memory:
        gc.collect()
        tracemalloc.start()
        function()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return elapsed, peak, size


def _exports():
    from django.db import connection
    from django_tables2.export import TableExport

    from funds.budget.exports import allocation_file, csv_lines
    from funds.budget.selectors import allocation_row_list, allocation_summary_get
    from funds.budget.tables import AllocationTable
    from funds.models import FundYear

    fund_year = FundYear.objects.get(year=2020)

    def ours():
        header, rows, _formats = allocation_file(fund_year=fund_year)
        return sum(len(line.encode()) for line in csv_lines(header, rows))

    def tables2():
        check, execution = allocation_summary_get(fund_year=fund_year)
        table = AllocationTable(allocation_row_list(fund_year=fund_year).order_by("code"),
                                fund_year=fund_year, budget=check, execution=execution)
        return len(TableExport("csv", table).export())

    def copy():
        queryset = allocation_row_list(fund_year=fund_year).order_by("code")
        sql, params = queryset.query.sql_with_params()
        size = 0
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)", params) as out:
                for block in out:
                    size += len(block)
        return size

    measured = {"ours": _timed(ours, repeat=REPEAT), "tables2": _timed(tables2)}
    if connection.vendor == "postgresql":
        measured["copy"] = _timed(copy, repeat=REPEAT)
    results = []
    for baseline in ("tables2", "copy"):
        if baseline not in measured:
            continue
        label = "django-tables2 export" if baseline == "tables2" else "PostgreSQL COPY"
        (t_ours, m_ours, _), (t_base, m_base, _) = measured["ours"], measured[baseline]
        results.append((f"CSV export vs {label}: seconds", f"{t_ours:.3f}", f"{t_base:.3f}",
                        f"{t_ours / t_base:.2f}×"))
        results.append((f"CSV export vs {label}: peak MB", f"{m_ours / 1e6:.1f}",
                        f"{m_base / 1e6:.1f}", f"{m_ours / max(m_base, 1):.2f}×"))
    return results


#: Issue 16's targets for generating every document of a year, by number of townships.
DOCUMENT_TARGETS = {52: 2.0, 3100: 20.0}


def _documents(user):
    """Every document of 2020 (seven files), as the documents page generates them, against
    the issue's target for the size (none beyond 3,100: the row then shows the time)."""
    from funds.documents import services
    from townships.models import Township

    def every_document():
        return sum(len(services.document_generate(
            kind=kind, fmt=fmt, year=2020, dated=datetime.date(2020, 3, 20),
            excess_source="市级财政统筹资金", acting_user=user).content)
                   for kind, fmt in services.DOCUMENTS)

    n = Township.objects.count()
    repeat = REPEAT if n <= 3100 else 1
    elapsed, _peak, _size = _timed(every_document, memory=False, repeat=repeat)
    target = next((t for size, t in sorted(DOCUMENT_TARGETS.items()) if n <= size), None)
    if target is None:
        return [("all 7 documents vs target: seconds", f"{elapsed:.3f}", "—", "—")]
    return [("all 7 documents vs target: seconds", f"{elapsed:.3f}", f"{target:.1f}",
             f"{elapsed / target:.2f}×")]


def _spending_year(user, *, per_township: int = 20):
    """A year of synthetic spending for the flags: bulk-written, as a ledger import would
    leave it (reimbursed), with some waiting and some invoices."""
    import random
    from decimal import Decimal

    from funds.models import Expenditure, ExpenditureTransition, SpendingCategory, Voucher
    from townships.models import Township

    rng = random.Random(7)
    category = SpendingCategory.objects.first()
    payees = ["万源市新华书店", "党校", "张三", "印刷厂", "超市", "李四等3人"]
    purposes = ["党员教育培训资料", "阵地标识牌", "工作餐", "慰问金", "考察学习", "宴请"]
    rows = []
    for township_id in Township.objects.values_list("pk", flat=True):
        for _ in range(per_township):
            day = datetime.date(2020, 1, 1) + datetime.timedelta(days=rng.randrange(366))
            status = "submitted" if rng.random() < 0.03 else "reimbursed"
            rows.append(Expenditure(
                township_id=township_id, year=2020, date=day,
                amount=Decimal(rng.randrange(10_000, 1_500_000)) / 100, category=category,
                purpose=rng.choice(purposes), payee=rng.choice(payees), status=status,
                created_by=user, reimbursed_on=day if status == "reimbursed" else None,
                accounting_voucher="记-1" if status == "reimbursed" else ""))
    made = Expenditure.objects.bulk_create(rows, batch_size=5000)
    ExpenditureTransition.objects.bulk_create(
        (ExpenditureTransition(expenditure=e, from_status="draft", to_status="submitted",
                               amount=e.amount, actor=user) for e in made
         if e.status == "submitted"), batch_size=5000)
    Voucher.objects.bulk_create(
        (Voucher(expenditure=e, kind="invoice", file="bench.pdf", original_name="发票.pdf",
                 size=1, uploaded_by=user, invoice_number=f"{e.pk:020d}",
                 invoice_key=f"{e.pk:020d}") for e in made[::3]), batch_size=5000)
    return made


def _inspection(user):
    """The flags of the year and the county's audit pack (issue 26's targets)."""
    import shutil
    import tempfile as tmp

    from django.conf import settings
    from django.core.files.base import ContentFile

    from funds.inspection.pack import pack_stream
    from funds.inspection.selectors import red_flags_get
    from funds.models import FundYear, Voucher

    made = _spending_year(user)
    fund_year = FundYear.objects.get(year=2020)
    elapsed, peak, flags = _timed(lambda: len(red_flags_get(fund_year=fund_year)),
                                  repeat=REPEAT)
    results = [(f"red flags of a year ({len(made):,} expenditures, {flags:,} flags): s",
                f"{elapsed:.2f}", "5.0", f"{elapsed / 5:.2f}×"),
               ("red flags: peak MB", f"{peak / 2**20:.1f}", "—", "—")]
    media = Path(tmp.mkdtemp(prefix="bench-media-"))
    settings.MEDIA_ROOT = str(media)
    try:
        Voucher.objects.all().delete()
        payload = os.urandom(100 * 1024)
        for i, expenditure in enumerate(made[:1000]):
            voucher = Voucher(expenditure=expenditure, kind="photo", original_name=f"照片{i}.jpg",
                              size=len(payload), uploaded_by=user)
            voucher.file.save(f"v{i}.jpg", ContentFile(payload), save=False)
            voucher.save()

        def whole_pack():
            return sum(len(part) for part in pack_stream(fund_year=fund_year,
                                                         acting_user=user))

        elapsed, peak, size = _timed(whole_pack)
        results.append((f"audit pack, 1,000 vouchers ({size / 2**20:.0f} MB): s",
                        f"{elapsed:.2f}", "—", "—"))
        results.append(("audit pack: peak MB (target < 100)", f"{peak / 2**20:.1f}", "100",
                        f"{peak / 2**20 / 100:.2f}×"))
    finally:
        shutil.rmtree(media, ignore_errors=True)
    return results


def _upper(user):
    """8. A province's instance: 183 counties' sets received (the N townships spread over
    them), then the pages a province's and a city's staff open."""
    import statistics

    from django.conf import settings
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from funds.exchange import datavalues as dv
    from funds.exchange import upper
    from townships.models import Township

    townships = Township.objects.in_service(2020).count()
    settings.INSTANCE_LEVEL, settings.INSTANCE_ORG_UNIT = "province", "510000"
    lines = ["code,name,level,parent,valid_from,valid_to", "510000,四川省,province,,,"]
    counties = []
    for c in range(21):  # 21 cities of 8 or 9 counties: 183
        city = f"51{c + 1:02d}00"
        lines.append(f"{city},市{c + 1},city,510000,,")
        for k in range(9 if c < 15 else 8):
            county = f"51{c + 1:02d}{k + 1:02d}"
            lines.append(f"{county},县{c + 1}-{k + 1},county,{city},,")
            counties.append(county)
    upper.org_units_load(text="\n".join(lines) + "\n")
    per_county = [townships // len(counties) + (1 if i < townships % len(counties) else 0)
                  for i in range(len(counties))]

    def county_set(code, n):
        values = []
        for t in range(n):
            unit, combo = f"{code}{100 + t:03d}", f"CAT_{t % 3 + 1}"
            for element, value in (("ALLOCATION", "200000.00"), ("STANDARD", "170000.00"),
                                   ("FLOOR", "30000.00"), ("COMMITTED", "1250.50"),
                                   ("PAID", f"{(t * 7919) % 200000}.25"),
                                   ("OPEN_FINDINGS", str(t % 3))):
                values.append({"dataElement": element, "period": "2020", "orgUnit": unit,
                               "categoryOptionCombo": combo, "value": value})
        return {"meta": {"schema": dv.SCHEMA, "source": code, "sha256": dv.digest(values)},
                "dataSet": dv.DATA_SET, "period": "2020", "orgUnit": code,
                "orgUnits": [], "dataValues": values}

    sets = [county_set(code, n) for code, n in zip(counties, per_county, strict=True)]
    times = []
    for data in sets:
        start = time.perf_counter()
        assert not upper.data_value_set_receive(data_value_set=data,
                                                received_from="bench").conflicts
        times.append(time.perf_counter() - start)
    largest = max(sets, key=lambda d: len(d["dataValues"]))
    _e, peak, _r = _timed(lambda: upper.data_value_set_receive(
        data_value_set=largest, received_from="bench"))
    results = [(f"upper: 183 counties' sets received ({townships:,} townships): s",
                f"{sum(times):.2f}", "—", "—"),
               ("upper: one set received, median ms (page floor 100)",
                f"{statistics.median(times) * 1000:.0f}", "100",
                f"{statistics.median(times) * 10:.2f}×"),
               (f"upper: the largest set ({len(largest['dataValues']):,} values) peak MB",
                f"{peak / 2**20:.1f}", "—", "—")]
    client = Client()
    client.force_login(user)
    city, county = "510100", counties[0]
    for name, url in (("province dashboard", "/upper/2020/"),
                      ("city dashboard", f"/upper/2020/{city}/"),
                      ("county drill-down", f"/upper/2020/{county}/")):
        client.get(url)
        samples = []
        for _ in range(max(REPEAT, 5)):
            start = time.perf_counter()
            assert client.get(url).status_code == 200
            samples.append(time.perf_counter() - start)
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        ms = statistics.median(samples) * 1000
        results.append((f"upper: {name}, ms (page floor 100); {len(captured)} queries",
                        f"{ms:.0f}", "100", f"{ms / 100:.2f}×"))
    reset_queries()

    def export():
        response = client.get("/upper/2020/export.csv")
        return sum(len(part) for part in response.streaming_content)

    elapsed, peak, _size = _timed(export, repeat=REPEAT)
    results.append(("upper: the province's CSV export: ms", f"{elapsed * 1000:.0f}", "—", "—"))
    results.append(("upper: the province's CSV export: peak MB", f"{peak / 2**20:.1f}", "—",
                    "—"))
    return results


def _reclassification(user):
    from django.db import connection, transaction
    from django.utils import timezone

    from funds.models import FundYear
    from funds.yearly import services
    from townships import services as township_services
    from townships.models import (
        AuditEvent,
        CategoryChange,
        CategorySource,
        Reclassification,
        TownshipCategory,
    )

    def clean():
        """Undo an application, then VACUUM: each run meets the tables as a yearly
        operation does, not full of the dead rows of the run before."""
        CategoryChange.objects.filter(year=2021).delete()
        TownshipCategory.objects.filter(year=2021).delete()
        Reclassification.objects.all().delete()
        AuditEvent.objects.all().delete()
        FundYear.objects.filter(year=2021).delete()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM")

    def real():
        services.reclassification_apply(year=2020, acting_user=user)

    fund_year = FundYear.objects.get(year=2020)

    def one_save_each():
        with transaction.atomic():
            result = township_services.reclassification_preview(
                year=2020, promote_count=fund_year.promote_count,
                demote_count=fund_year.demote_count)
            now = timezone.now()
            for d in result.decisions:
                TownshipCategory(township_id=d.key, year=2021, category=d.new_category,
                                 source=CategorySource.RECLASSIFICATION, reason=d.reason,
                                 changed_by=user, changed_at=now).save()
                CategoryChange(township_id=d.key, year=2021, old_category=d.old_category,
                               new_category=d.new_category,
                               source=CategorySource.RECLASSIFICATION, reason=d.reason,
                               changed_by=user, changed_at=now).save()

    # median of REPEAT runs each, but one of the slow baseline at the largest size
    clean()
    t_real = _timed(real, memory=False, repeat=REPEAT, between=clean)[0]
    naive_repeat = REPEAT if TownshipCategory.objects.filter(year=2020).count() <= 5000 else 1
    t_naive = _timed(one_save_each, memory=False, repeat=naive_repeat, between=clean)[0]
    return [("reclassification: seconds vs one save per township", f"{t_real:.3f}",
             f"{t_naive:.3f}", f"{t_naive / t_real:.1f}× faster")]


def generate(townships: int, years: int = 2):
    import django

    django.setup()
    from tests.bench.synthetic import synthetic_generate

    print(synthetic_generate(townships=townships, years=years))


def explain():
    """EXPLAIN (ANALYZE) of the main queries of 2020 in the database of DATABASE_URL (a
    PostgreSQL one filled by synthetic.py): the plans of docs/performance.md."""
    import django

    django.setup()
    from django.db import connection

    from funds.budget.selectors import (
        allocation_list,
        category_counts,
        execution_total_get,
        townships_with_category,
        with_spending,
    )
    from funds.models import FundYear
    from townships.services import reclassification_entries

    fund_year = FundYear.objects.get(year=2020)
    plans = {}

    def capture(title, run):
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            run()
        sql = captured.captured_queries[-1]["sql"]
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}")
            plans[title] = "\n".join(row[0] for row in cursor.fetchall())

    rows = with_spending(allocation_list(fund_year=fund_year), 2020).order_by("code")
    capture("allocation page: the 100 rows of a page", lambda: list(rows[:100]))
    capture("allocation page: townships per category",
            lambda: category_counts(townships_with_category(2020)))
    capture("allocation page: spending sums", lambda: execution_total_get(fund_year=fund_year))
    capture("CSV export: every row", lambda: list(
        allocation_list(fund_year=fund_year).order_by("code").values_list(
            "code", "name", "kind", "category", "rank", "standard_amount")))
    capture("reclassification: every township with category and rank",
            lambda: reclassification_entries(2020))
    for title, plan in plans.items():
        print(f"### {title}\n\n```\n{plan}\n```\n")


if __name__ == "__main__":
    if "--measure" in sys.argv:
        sys.path.insert(0, str(ROOT))
        measure()
    elif "--explain" in sys.argv:
        sys.path.insert(0, str(ROOT))
        explain()
    elif "--generate" in sys.argv:
        sys.path.insert(0, str(ROOT))
        generate(*map(int, sys.argv[sys.argv.index("--generate") + 1:]))
    else:
        run_all()
