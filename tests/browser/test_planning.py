"""The allocation planner in a browser: an administrator builds two plans, compares them,
adopts one, and the allocation export changes; staff see the plans and adopt nothing."""

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest

from demo.data import demo_data_load
from tests.browser.test_dashboard import log_in
from tests.conftest import make_user
from townships import roles

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def planners(transactional_db):
    demo_data_load()
    return {"admin": make_user("admin", roles.ADMINISTRATORS, is_staff=True),
            "staff": make_user("staff", roles.STAFF, is_staff=True)}


def _allocation_csv(page, base_url):
    page.goto(base_url + "/allocations/2020/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载 CSV").click()
    data = Path(download_info.value.path()).read_bytes().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(data)))


def _new_plan(page, base_url, name, method, **fields):
    page.goto(base_url + "/funds/2020/plans/")
    page.get_by_label("名称").fill(name)
    page.get_by_label("方法").select_option(label=method)
    for label, value in fields.items():
        field = page.get_by_label(label)
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(label=value)
        else:
            field.fill(value)
    page.get_by_role("button", name="计算并保存").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith(name)


def test_an_administrator_builds_compares_and_adopts_a_plan(watched_page, live_server,
                                                             planners):
    page, watch = watched_page
    base = live_server.url
    log_in(page, base, "admin")
    before = _allocation_csv(page, base)
    assert before[-1][6] == "7720000.00"  # the standards of 17/15/12万
    _new_plan(page, base, "按比例", "按比例调整补助标准")
    assert "最大余额法" in page.locator("#formula").inner_text()
    watch.check_accessibility()
    watch.screenshot("plan-detail")
    _new_plan(page, base, "阶梯", "固定级差", **{"级差（万元）": "2", "取整单位（元）": "100元"})
    page.goto(base + "/funds/2020/plans/")
    watch.check_accessibility()
    page.get_by_label("按比例").check()
    page.get_by_label("阶梯").check()
    page.get_by_role("button", name="比较所选方案（2至4个）").click()
    page.wait_for_load_state()
    assert page.locator("svg.chart").count() == 1
    summary = page.locator("table.plan-compare").inner_text()
    assert "14.73" in summary and "669.00" in summary
    assert page.locator("table.plan-compare-townships tbody tr").count() == 52
    watch.check_accessibility()
    watch.screenshot("plan-compare")
    page.get_by_role("link", name="按比例").first.click()
    page.wait_for_load_state()
    page.get_by_role("button", name="采用为本年度分配方案").click()
    page.wait_for_load_state()
    assert page.url.endswith("/allocations/2020/")
    after = _allocation_csv(page, base)
    assert after != before
    assert after[-1][6] == "6690000.00"
    third = {Decimal(row[6]) for row in after[1:-1] if row[3] == "三类"}
    assert third == {Decimal("103989.00"), Decimal("103990.00")}


def test_staff_see_the_plans_but_cannot_adopt(watched_page, live_server, planners):
    from funds.models import FundYear
    from funds.planning import services

    scenario = services.scenario_create(fund_year=FundYear.objects.get(year=2020), name="按比例",
                                        method="scale", acting_user=planners["admin"])
    page, watch = watched_page
    log_in(page, live_server.url, "staff")
    page.goto(live_server.url + "/funds/2020/plans/")
    assert page.get_by_role("button", name="计算并保存").count() == 0
    page.goto(live_server.url + f"/funds/2020/plans/{scenario.pk}/")
    assert "最大余额法" in page.locator("#formula").inner_text()
    assert page.get_by_role("button", name="采用为本年度分配方案").count() == 0
