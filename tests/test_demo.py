"""The demo (demo/, a dev-only app): three years across the merger through the real
services, `setup_demo` run again and again, and the local .env of a developer's machine."""

import csv
import io
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.urls import reverse

from demo.data import (
    DEMO_DIR,
    demo_accounts_create,
    demo_data_load,
    demo_history_load,
    reference_load,
)
from funds.models import Expenditure, ExpenditureTransition, FundYear
from townships.models import (
    AssessmentResult,
    AuditEvent,
    CategoryChange,
    Reclassification,
    Township,
    TownshipCategory,
)

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "a-long-demo-password-for-tests"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def history(db):
    reference_load()
    demo_accounts_create(PASSWORD)
    demo_history_load()


def _categories(year):
    return dict(TownshipCategory.objects.filter(
        year=year, township__in=Township.objects.in_service(year)).values_list(
        "township__name", "category"))


def _row_counts():
    models = (FundYear, TownshipCategory, CategoryChange, AssessmentResult, Reclassification,
              AuditEvent, Township, Expenditure, ExpenditureTransition)
    return {m.__name__: m.objects.count() for m in models}


def test_three_years_across_the_merger(history):
    assert list(FundYear.objects.order_by("year").values_list("year", flat=True)) == [
        2019, 2020, 2021]
    assert Counter(_categories(2019).values()) == {1: 19, 2: 18, 3: 15}
    assert Counter(_categories(2020).values()) == {1: 20, 2: 16, 3: 16}
    assert len(_categories(2021)) == Township.objects.in_service(2021).count() == 31
    assert Township.objects.filter(last_year=2020).count() == 25
    assert Township.objects.filter(first_year=2021).count() == 4
    assert list(Reclassification.objects.filter(reverted_at__isnull=True).order_by("year")
                .values_list("year", "applied_by__username")) == [
        (2019, "admin"), (2020, "admin")]
    assert {y: AssessmentResult.objects.filter(year=y).count() for y in (2019, 2020, 2021)} == {
        2019: 52, 2020: 52, 2021: 31}
    assert {y: Expenditure.objects.filter(year=y).count() for y in (2019, 2020, 2021)} == {
        2019: 7, 2020: 9, 2021: 8}
    # every expenditure came through the services: each step is a recorded transition
    assert not Expenditure.objects.exclude(
        pk__in=ExpenditureTransition.objects.values("expenditure")).exists()
    assert set(Expenditure.objects.filter(year=2019).values_list("status", flat=True)) == {
        Expenditure.Status.REIMBURSED}


def test_2019s_reclassification_gives_the_articles_2020_split(history):
    with open(Path(DEMO_DIR) / "categories-2020.csv", encoding="utf-8-sig") as handle:
        article = {row["乡镇"]: row["类别"] for row in csv.DictReader(handle)}
    labels = {1: "一类", 2: "二类", 3: "三类"}
    assert {name: labels[c] for name, c in _categories(2020).items()} == article


def test_loading_again_changes_nothing(history):
    before = _row_counts()
    assert demo_history_load() == []
    assert _row_counts() == before


def test_an_earlier_single_year_demo_is_left_alone(db):
    demo_data_load()
    demo_accounts_create(PASSWORD)
    before = _row_counts()
    (line,) = demo_history_load()
    assert "delete db.sqlite3" in line
    assert _row_counts() == before


def test_setup_demo_twice_then_the_overview_shows_three_years(db, client, settings, monkeypatch):
    settings.DEMO_MODE = True
    monkeypatch.setenv("DEMO_PASSWORD", PASSWORD)
    call_command("setup_demo", stdout=(first := io.StringIO()))
    assert "demo accounts created: admin, staff, finance, clerk" in first.getvalue()
    before = _row_counts()
    call_command("setup_demo", stdout=(second := io.StringIO()))
    assert second.getvalue().strip() == "demo data and accounts already present"
    assert _row_counts() == before

    response = client.post(reverse("login"), {"username": "admin", "password": PASSWORD})
    assert response.status_code == 302
    page = client.get(reverse("overview")).content.decode()
    for year, first_category in ((2019, 19), (2020, 20)):
        assert f"<title>{year} · 一类 {first_category}</title>" in page
    assert "<title>2021 · 一类" in page
    for year in (2019, 2020, 2021):
        assert f'<option value="{year}"' in page
    assert client.get(reverse("overview"), {"year": 2019}).status_code == 200


def test_setup_demo_warns_of_another_password_and_resets_it(db, settings, monkeypatch):
    settings.DEMO_MODE = True
    monkeypatch.setenv("DEMO_PASSWORD", PASSWORD)
    call_command("setup_demo", stdout=io.StringIO())
    monkeypatch.setenv("DEMO_PASSWORD", "another-long-password-42")
    out = io.StringIO()
    call_command("setup_demo", stdout=out)
    assert "setup_demo --reset-password" in out.getvalue()
    call_command("setup_demo", "--reset-password", stdout=out)
    for user in User.objects.filter(username__in=["admin", "staff", "finance", "clerk"]):
        assert user.check_password("another-long-password-42")


def test_reset_password_without_accounts_says_so(db, settings):
    settings.DEMO_MODE = True
    with pytest.raises(CommandError, match="no demo accounts"):
        call_command("setup_demo", "--reset-password")


# --- The local .env of a developer's machine, and production without one ----------------


def _manage(*args, env_file, **env):
    """manage.py in a fresh process with only the given environment (no pytest's)."""
    base = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True,
        timeout=120, env={**base, "ENV_FILE": str(env_file), **env})


SHOW = ("from django.conf import settings; "
        "print(settings.DEBUG, settings.DEMO_MODE, 'demo' in settings.INSTALLED_APPS[-1])")


def test_a_local_env_file_makes_manage_py_work_without_setting_anything(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("# written by make run\nDEBUG=1\nDEMO_MODE=1\n\n", encoding="utf-8")
    result = _manage("shell", "-v", "0", "-c", SHOW, env_file=env_file)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True"]


def test_without_the_file_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _manage("check", env_file=tmp_path / "absent.env")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_the_environment_wins_over_the_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=1\nDEMO_MODE=1\n", encoding="utf-8")
    result = _manage("check", env_file=env_file, DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_does_not_install_the_demo(tmp_path):
    result = _manage("setup_demo", env_file=tmp_path / "absent.env",
                     SECRET_KEY="k" * 50, ALLOWED_HOSTS="funds.example.gov.cn",
                     DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert result.returncode != 0
    assert "Unknown command: 'setup_demo'" in result.stderr


def test_the_2020_self_evaluation_reads_the_records(history, client):
    """Issue 27: the demo's 2020 sheet is filed; its execution rate is the execution
    page's and every computed actual is what the records give now."""
    from funds.budget.selectors import execution_total_get
    from funds.models import FundYear, TargetSheet
    from funds.performance.actuals import Scope, actual_of
    from funds.performance.selectors import sheet_view

    sheet = TargetSheet.objects.get(fund_year__year=2020, township=None)
    assert sheet.is_filed
    view = sheet_view(sheet=sheet)
    page = execution_total_get(fund_year=FundYear.objects.get(year=2020))
    assert view.budget == page.allocation and view.executed == page.reimbursed
    assert view.execution_rate == page.execution_rate
    for line in view.lines:
        if line.indicator.source:
            assert line.indicator.actual == actual_of(line.indicator.source,
                                                      Scope(sheet.fund_year), sheet)
    assert view.score.total > 0 and view.score.grade in "优良中差"
