import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest

from demo.data import demo_data_load
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
    page.get_by_role("link", name="排名", exact=True).click()
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


def test_switch_year_on_the_overview_and_the_lists(watched_page, live_server, demo_live):
    from funds.yearly import services

    services.reclassification_apply(year=2020, acting_user=demo_live["admin"])
    page, watch = watched_page
    log_in(page, live_server.url, "admin")
    assert page.locator("h1").inner_text() == "2021 年度总览"  # the latest year first
    page.get_by_label("年度：", exact=True).select_option("2020")
    page.get_by_role("button", name="查看").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "2020 年度总览"
    assert page.locator("svg.chart").count() == 3
    watch.check_accessibility()
    watch.screenshot("overview-2020-charts")
    # the choice is remembered: the navigation leads to the 2020 pages
    page.locator("header nav").get_by_role("link", name="经费分配").click()
    page.wait_for_load_state()
    assert page.url.endswith("/allocations/2020/")
    page.get_by_label("年度：", exact=True).select_option("2021")
    page.get_by_role("button", name="查看").click()
    page.wait_for_load_state()
    assert page.url.endswith("/allocations/2021/")
    page.locator("header nav").get_by_role("link", name="考核排名").click()
    page.wait_for_load_state()
    assert page.url.endswith("/rankings/2021/")
    assert "尚未导入" in page.locator("main").inner_text()
    page.get_by_label("年度：", exact=True).select_option("2020")
    page.get_by_role("button", name="查看").click()
    page.wait_for_load_state()
    assert page.url.endswith("/rankings/2020/")
    page.get_by_label("下一年度").select_option(label="上调")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_load_state()
    promoted = Reclassification.objects.get().promoted
    assert page.locator("table.data-table tbody tr").count() == promoted
    watch.check_accessibility()
    watch.screenshot("rankings-2020-promoted")
    for name, shot in (("乡镇", "townships"), ("审计记录", "audit-categories")):
        page.locator("header nav").get_by_role("link", name=name).click()
        page.wait_for_load_state()
        assert page.locator("table.data-table tbody tr").count() > 0
        watch.check_accessibility()
        watch.screenshot(shot)


def test_download_xlsx_and_print_the_allocation(watched_page, live_server, demo_live):
    from openpyxl import load_workbook

    page, watch = watched_page
    log_in(page, live_server.url, "finance")
    page.goto(live_server.url + "/allocations/2020/?category=2")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载 Excel").click()
    assert download_info.value.suggested_filename == "2020年度经费分配.xlsx"
    data = Path(download_info.value.path()).read_bytes()
    sheet = load_workbook(io.BytesIO(data))["2020"]
    rows = list(sheet.iter_rows(values_only=True))[1:]  # under the title row
    assert rows[0][:4] == ("代码", "乡镇", "类型", "类别")
    assert len(rows) == 1 + 16 + 1
    assert {r[3] for r in rows[1:-1]} == {"二类"}
    assert rows[-1][7] == 16 * 180000  # a number, the filtered total in yuan
    page.get_by_role("link", name="打印视图").click()
    page.wait_for_load_state()
    assert page.locator("header").count() == 0  # no navigation on paper
    assert "已筛选" in page.locator(".print-meta").inner_text()
    assert page.locator("table.allocation-table tbody tr").count() == 16
    watch.screenshot("allocation-print")
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True)
    pages = re.findall(rb"/Type\s*/Page[^s]", pdf)
    assert pdf.startswith(b"%PDF") and len(pages) == 1  # 16 rows fit on one A4 page
    assert not page.get_by_role("button", name="打印").is_visible()  # hidden in print


def test_clerk_submits_and_staff_approves(watched_page, live_server, demo_live, tmp_path,
                                          settings):
    from demo.data import DEMO_PDF
    from funds.models import Expenditure
    from townships.models import Township

    settings.MEDIA_ROOT = tmp_path
    make_user("clerk", roles.CLERKS, township=Township.objects.get(name="太平镇"))
    make_user("staff", roles.STAFF, is_staff=True)
    page, watch = watched_page
    log_in(page, live_server.url, "clerk")
    assert page.locator("h1").inner_text().startswith("太平镇")  # a clerk lands on the township
    page.locator("header nav").get_by_role("link", name="经费台账").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="登记支出").first.click()
    page.wait_for_load_state()
    watch.check_accessibility()
    page.get_by_label("日期").fill("2020-06-01")
    page.get_by_label("金额（元）").fill("2345.60")
    page.get_by_label("开支类别").select_option(label="教育培训")
    page.get_by_label("用途").fill("浏览器测试：党员培训")
    page.get_by_label("收款方").fill("万源市委党校")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    assert "已保存为草稿" in page.locator(".messages").inner_text()
    invoice = tmp_path / "发票.pdf"
    invoice.write_bytes(DEMO_PDF)
    page.get_by_label("文件（PDF、PNG、JPEG 或 OFD，可一次选多个）").set_input_files(str(invoice))
    page.get_by_role("button", name="上传").click()
    page.wait_for_load_state()
    assert "已上传" in page.locator(".messages").inner_text()
    page.get_by_role("button", name="提交审批").click()
    page.wait_for_load_state()
    assert "已提交审批" in page.locator(".messages").inner_text()
    watch.check_accessibility()
    watch.screenshot("expenditure-submitted")
    expenditure = Expenditure.objects.get()
    assert expenditure.status == "submitted" and expenditure.amount == Decimal("2345.60")

    page.context.clear_cookies()
    log_in(page, live_server.url, "staff")
    page.locator("header nav").get_by_role("link", name="报账审批").click()
    page.wait_for_load_state()
    watch.check_accessibility()
    watch.screenshot("approval-queue")
    page.locator("table").get_by_role("link", name="浏览器测试：党员培训", exact=True).click()
    page.wait_for_load_state()
    page.get_by_role("button", name="审批通过").click()
    page.wait_for_load_state()
    assert "已审批" in page.locator(".messages").inner_text()
    detail = page.url
    page.context.clear_cookies()  # finance records the payment (issue 23)
    log_in(page, live_server.url, "finance")
    page.goto(detail)
    page.get_by_label("会计凭证号").fill("记-2020-017")
    page.get_by_role("button", name="登记报账").click()
    page.wait_for_load_state()
    watch.screenshot("expenditure-reimbursed")
    expenditure.refresh_from_db()
    assert expenditure.status == "reimbursed" and expenditure.approved_by.username == "staff"
    assert expenditure.reimbursed_by.username == "finance"
    assert expenditure.accounting_voucher == "记-2020-017"
    page.goto(live_server.url + "/ledger/511781100/2020/")
    assert "1.17%" in page.locator(".budget-check").inner_text()  # 2,345.60 of 200,000
    watch.screenshot("ledger")


def test_admin_pages_work_under_the_content_security_policy(watched_page, live_server,
                                                            demo_live):
    from funds.models import FundYear

    page, watch = watched_page
    log_in(page, live_server.url, "admin")
    for path, shot in (
        ("/admin/", "admin-index"),
        (f"/admin/funds/fundyear/{FundYear.objects.get().pk}/change/", "admin-fundyear"),
        ("/admin/funds/spendingcategory/", "admin-spending-categories"),
        ("/admin/townships/townshipcategory/", "admin-township-categories"),
    ):
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        assert "unsafe-inline" not in response.headers["content-security-policy"]
        watch.screenshot(shot)
    # the admin's own scripts (here the action bar's select-all) still run
    page.goto(live_server.url + "/admin/funds/fundyear/")
    page.locator("#action-toggle").check()
    assert page.locator(".action-counter").inner_text() == "选中了 1 个中的 1 个"


PHONE_PAGES = {
    "staff": ["/", "/allocations/2020/", "/execution/2020/", "/townships/", "/rankings/2020/",
              "/approvals/", "/inspections/", "/audit/events/", "/townships/511781100/"],
    "clerk": ["/townships/511781100/", "/ledger/511781100/2020/",
              "/ledger/511781100/2020/new/"],
}


@pytest.mark.parametrize("role", list(PHONE_PAGES))
def test_no_page_is_wider_than_a_phone(watched_page, live_server, demo_live, role):
    """At 390 px the navigation is a menu and wide tables scroll inside their own box."""
    from townships.models import Township

    make_user(role, roles.STAFF if role == "staff" else roles.CLERKS, is_staff=role == "staff",
              township=Township.objects.get(name="太平镇") if role == "clerk" else None)
    page, watch = watched_page
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server.url, role)
    for path in PHONE_PAGES[role]:
        assert page.goto(live_server.url + path).status == 200, path
        assert page.evaluate("document.documentElement.scrollWidth") == 390, path
    nav = page.locator("header nav")
    assert not nav.is_visible()
    page.get_by_text("菜单", exact=True).click()
    assert nav.is_visible()
    assert nav.get_by_role("link").first.is_visible()
    watch.screenshot(f"phone-{role}-menu")


def test_an_inspection_picks_its_townships_from_a_filtered_checklist(
        watched_page, live_server, demo_live):
    from funds.models import Inspection

    page, watch = watched_page
    log_in(page, live_server.url, "admin")
    page.goto(live_server.url + "/inspections/new/")
    watch.check_accessibility()
    boxes = page.locator(".checklist-box input[type=checkbox]")
    assert boxes.count() == 52
    page.get_by_placeholder("输入名称或代码筛选").fill("太平")
    visible = [label for label in page.locator(".checklist-box label").all()
               if label.is_visible()]
    assert [label.inner_text().strip() for label in visible] == ["太平镇 511781100"]
    visible[0].click()
    page.get_by_placeholder("输入名称或代码筛选").fill("5117811")  # by code: 青花镇 and more
    page.get_by_label("青花镇 511781101").check()
    page.get_by_label("日期").fill("2020-06-01")
    page.get_by_label("检查人员").fill("市委组织部")
    watch.screenshot("inspection-form")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    inspection = Inspection.objects.get()
    assert sorted(inspection.townships.values_list("name", flat=True)) == ["太平镇", "青花镇"]
