import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest

from funds.demo import demo_data_load
from tests.conftest import PASSWORD, make_user
from townships import roles
from townships.models import CategoryChange, Reclassification, TownshipCategory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_live(transactional_db):
    demo_data_load()
    return {
        "admin": make_user("admin", roles.ADMINISTRATORS, is_staff=True),
        "finance": make_user("finance", roles.FINANCE, is_staff=True),
    }


def log_in(page, base_url, username):
    page.goto(base_url + "/")
    assert "/accounts/login/" in page.url
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def test_login_overview_and_year_figures(watched_page, live_server, demo_live):
    page, watch = watched_page
    page.goto(live_server.url + "/accounts/login/")
    watch.check_accessibility()
    watch.screenshot("login")
    log_in(page, live_server.url, "finance")
    assert page.locator("h1").inner_text() == "2020 年度总览"
    body = page.locator("main").inner_text()
    for figure in ("772.00", "669.00", "103.00", "156.00", "928.00"):
        assert figure in body
    assert "示意" in page.locator(".banner-illustrative").inner_text()
    watch.check_accessibility()
    watch.screenshot("overview")


def test_filter_sort_and_download_csv(watched_page, live_server, demo_live):
    page, watch = watched_page
    log_in(page, live_server.url, "finance")
    page.goto(live_server.url + "/allocations/2020/")
    rows = page.locator("table.allocation-table tbody tr")
    assert rows.count() == 52
    watch.check_accessibility()
    watch.screenshot("allocations")
    page.get_by_label("类别").select_option(label="一类")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_load_state()
    assert rows.count() == 20
    page.get_by_role("link", name="排名").click()
    page.wait_for_load_state()
    ranks = [int(t) for t in page.locator("table.allocation-table tbody td:nth-child(5)").all_inner_texts()]
    assert ranks == sorted(ranks)
    page.goto(live_server.url + "/allocations/2020/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载 CSV").click()
    data = Path(download_info.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(lines) == 54 and Decimal(lines[-1][7]) == Decimal("9280000.00")


def test_admin_changes_a_category_with_a_reason(watched_page, live_server, demo_live):
    page, watch = watched_page
    log_in(page, live_server.url, "admin")
    page.goto(live_server.url + "/townships/511781100/")
    watch.check_accessibility()
    page.get_by_label("新类别").select_option(label="二类")
    page.get_by_label("理由").fill("浏览器测试：复核后调整")
    page.get_by_role("button", name="保存调整").click()
    page.wait_for_load_state()
    assert "已保存" in page.locator(".messages").inner_text()
    assert TownshipCategory.objects.get(township__code="511781100", year=2020).category == 2
    assert CategoryChange.objects.filter(reason="浏览器测试：复核后调整").exists()
    watch.screenshot("township")


def test_reclassification_preview_and_apply(watched_page, live_server, demo_live):
    page, watch = watched_page
    log_in(page, live_server.url, "admin")
    page.goto(live_server.url + "/reclassification/2020/")
    assert "名/共52名" in page.locator("main").inner_text()
    watch.check_accessibility()
    watch.screenshot("reclassification-preview")
    page.get_by_role("button", name="确认执行").click()
    page.wait_for_load_state()
    assert page.url.endswith("/allocations/2021/")
    assert Reclassification.objects.count() == 1
    watch.screenshot("allocations-2021")
