"""The planner's pages: list and create, detail, compare, its XLSX, adopt and revert."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from funds.models import FundYear, PlanScenario
from funds.planning import services
from tests.conftest import login
from tests.funds.test_views import _add_townships
from townships.models import AuditEvent

WAN = Decimal(10000)


def _create(client, **data):
    return client.post(reverse("plan-list", args=[2020]), {
        "name": "方案", "method": "scale", "rounding_unit": "1", "gap": "2", **data})


@pytest.fixture
def two(demo, admin_user):
    scale = services.scenario_create(fund_year=demo, name="按比例", method="scale",
                                     acting_user=admin_user)
    ladder = services.scenario_create(fund_year=demo, name="阶梯", method="ladder",
                                      gap=2 * WAN, rounding_unit=100, acting_user=admin_user)
    return scale, ladder


def test_an_administrator_creates_a_plan_from_the_form(client, demo, admin_user):
    login(client, admin_user)
    response = _create(client, method="custom", standard_first="16", standard_second="14",
                       standard_third="11.5", reserve="1")
    scenario = PlanScenario.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("plan-detail", args=[2020, scenario.pk])
    assert (scenario.standard_first, scenario.standard_third) == (16 * WAN, Decimal("115000"))
    assert scenario.reserve == WAN
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert scenario.formula_zh in page.content.decode()


def test_a_form_with_part_of_the_standards_is_refused(client, demo, admin_user):
    login(client, admin_user)
    assert _create(client, standard_first="16").status_code == 400
    assert not PlanScenario.objects.exists()


def test_staff_see_plans_but_neither_create_nor_adopt(client, two, staff_user):
    scale, _ladder = two
    login(client, staff_user)
    page = client.get(reverse("plan-list", args=[2020]))
    assert page.status_code == 200 and "scenario-form" not in page.content.decode()
    assert _create(client).status_code == 403
    detail = client.get(reverse("plan-detail", args=[2020, scale.pk]))
    assert "adopt-form" not in detail.content.decode()
    assert client.post(reverse("plan-adopt", args=[2020, scale.pk])).status_code == 403
    assert client.post(reverse("plan-revert", args=[2020])).status_code == 403


def test_a_clerk_sees_no_plans(client, two, clerk_user):
    login(client, clerk_user)
    assert client.get(reverse("plan-list", args=[2020])).status_code == 403


def test_compare_shows_the_columns_and_the_chart(client, two, staff_user):
    scale, ladder = two
    login(client, staff_user)
    response = client.get(reverse("plan-compare", args=[2020]),
                          {"ids": f"{scale.pk},{ladder.pk}"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and "按比例" in html and "阶梯" in html
    assert "14.73" in html  # the scaled 一类 standard, 万元
    rows = response.context["comparison"].rows
    assert sum(r.amounts[0] for r in rows) == scale.total


@pytest.mark.parametrize("ids", ["", "1", "1,2,3,4,5", "x,y"])
def test_compare_needs_two_to_four_plans_of_the_year(client, two, staff_user, ids):
    login(client, staff_user)
    assert client.get(reverse("plan-compare", args=[2020]), {"ids": ids}).status_code == 400


def test_the_comparison_exports_as_xlsx_with_the_page_totals(client, two, finance_user):
    from openpyxl import load_workbook

    scale, ladder = two
    login(client, finance_user)
    response = client.get(reverse("plan-compare-export-xlsx", args=[2020]),
                          {"ids": f"{scale.pk},{ladder.pk}"})
    assert response.status_code == 200
    assert "filename*=utf-8''" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content))["2020"]
    rows = list(sheet.iter_rows(values_only=True))
    assert "2020" in rows[0][0]
    body = rows[2:2 + 52]
    assert sum(Decimal(str(r[4])) for r in body) == scale.total
    assert sum(Decimal(str(r[6])) for r in body) == ladder.total
    assert rows[-1][4] == float(scale.total) and rows[-1][6] == float(ladder.total)
    assert any(scale.formula_zh in str(r[4]) for r in rows)
    assert sheet.freeze_panes == "A3"


def test_adopting_from_the_page_changes_the_allocation_csv(client, two, admin_user):
    scale, _ladder = two
    login(client, admin_user)
    url = reverse("allocation-export-csv", args=[2020])

    def csv_rows():
        body = b"".join(client.get(url).streaming_content).decode("utf-8-sig")
        return list(csv.reader(io.StringIO(body)))

    before = csv_rows()
    response = client.post(reverse("plan-adopt", args=[2020, scale.pk]), {"reason": ""})
    assert response.status_code == 302
    after = csv_rows()
    assert after != before
    assert after[-1][6] == "6690000.00"
    assert {Decimal(r[6]) for r in after[1:-1] if r[3] == "三类"} == {
        Decimal("103989.00"), Decimal("103990.00")}
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PLAN_ADOPTED).count() == 1
    client.post(reverse("plan-revert", args=[2020]))
    assert csv_rows() == before
    assert FundYear.objects.get(year=2020).adopted_scenario is None


@pytest.mark.parametrize("page", ["plan-list", "plan-detail", "plan-compare"])
def test_the_plan_pages_do_not_grow_their_queries_with_the_townships(
        client, two, admin_user, page):
    scale, ladder = two
    login(client, admin_user)
    args = [2020, scale.pk] if page == "plan-detail" else [2020]
    query = {"ids": f"{scale.pk},{ladder.pk}"} if page == "plan-compare" else {}
    url = reverse(page, args=args)
    client.get(url, query)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url, query).status_code == 200
    _add_townships(448)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url, query).status_code == 200
    assert len(large) == len(small) <= 15


def test_the_allocation_page_with_an_adopted_plan_runs_the_pinned_queries(
        client, two, staff_user, admin_user, django_assert_num_queries):
    services.scenario_adopt(scenario=two[0], acting_user=admin_user)
    login(client, staff_user)
    url = reverse("allocation-list", args=[2020])
    client.get(url)
    with django_assert_num_queries(11):  # as without a plan (test_views)
        client.get(url)
