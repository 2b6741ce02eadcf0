"""A township clerk's round trip on a 390 px phone, by clicks alone after the login page.

From the home page: record an expenditure, attach its invoice, submit it; a county
approver (in a second browser, on a desktop) returns it with a reason; the clerk sees the
reason on the home page, fixes the amount, resubmits; the approver approves; the clerk
sees it approved. No URL is typed after the login page: ``page.goto`` appears only in
``_log_in``.
"""

from decimal import Decimal

import pytest

from demo.data import DEMO_PDF, demo_data_load
from tests.browser.conftest import PageWatch
from tests.conftest import PASSWORD, make_user
from townships import roles

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
PURPOSE = "手机测试：党员冬训教材"
REASON = "请按发票金额填写：发票为1,180.00元"


def _log_in(page, base_url, username):
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def _click(page, locator):
    """A click that leads to another page, which must fit the phone's width."""
    locator.click()
    page.wait_for_load_state()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width} px wide"


def _home(page):
    """Back to the clerk's home by the site's name in the header, as a person would."""
    _click(page, page.locator("header .brand"))
    assert page.url.endswith("/my/")


def _message(page):
    return page.locator(".messages").inner_text()


@pytest.fixture
def people(transactional_db, settings, tmp_path):
    from townships.models import Township

    settings.MEDIA_ROOT = tmp_path
    demo_data_load()
    return {
        "clerk": make_user("clerk", roles.CLERKS, township=Township.objects.get(name="太平镇")),
        "staff": make_user("staff", roles.STAFF, is_staff=True),
    }


def _approver_decides(browser, live_server, button, note=None):
    """The county's staff member, in a browser of their own, finds the item in the queue."""
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    watch = PageWatch(page, live_server.url)
    _log_in(page, live_server.url, "staff")
    _click(page, page.locator("header nav").get_by_role("link", name="报账审批"))
    _click(page, page.locator("main table").get_by_role("link", name=PURPOSE, exact=True))
    if note is not None:
        page.locator("summary", has_text=button).click()
        page.get_by_label("理由").first.fill(note)
        _click(page, page.get_by_role("button", name=button, exact=True))
    else:
        _click(page, page.get_by_role("button", name=button, exact=True))
    message = _message(page)
    context.close()
    assert watch.console_errors == [] and watch.foreign_requests == []
    return message


def test_a_clerk_does_the_round_trip_on_a_phone(browser, live_server, people, tmp_path):
    from funds.models import Expenditure

    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    watch = PageWatch(page, live_server.url)
    _log_in(page, live_server.url, "clerk")
    assert page.url.endswith("/my/")  # a clerk starts on the home page

    # Record an expenditure from the home page's big button.
    _click(page, page.get_by_role("link", name="登记支出"))
    page.get_by_label("日期").fill("2020-11-20")
    page.get_by_label("金额（元）").fill("1810.00")  # a typo: the invoice says 1,180.00
    page.get_by_label("开支类别").select_option(label="教育培训")
    page.get_by_label("用途").fill(PURPOSE)
    page.get_by_label("收款方").fill("新华书店万源分店")
    _click(page, page.get_by_role("button", name="保存"))
    assert "已保存为草稿" in _message(page)
    watch.screenshot("phone-clerk-1-draft")

    # Attach the invoice, then submit.
    invoice = tmp_path / "发票.pdf"
    invoice.write_bytes(DEMO_PDF)
    page.get_by_label("类型").select_option(label="发票")
    page.get_by_label("文件（PDF、PNG、JPEG 或 OFD，可一次选多个）").set_input_files(str(invoice))
    _click(page, page.get_by_role("button", name="上传"))
    assert "已上传" in _message(page)
    _click(page, page.get_by_role("button", name="提交审批"))
    assert "已提交审批" in _message(page)
    watch.screenshot("phone-clerk-2-submitted")
    _home(page)
    assert PURPOSE in page.locator("main").inner_text()  # waiting for approval

    # The county returns it, with the reason.
    assert "退回" in _approver_decides(browser, live_server, "退回修改", note=REASON)

    # The clerk sees why on the home page, opens it, fixes the amount, resubmits.
    page.reload()
    returned = page.locator("ul.todo li", has_text=PURPOSE)
    assert REASON in returned.inner_text()
    assert REASON in page.locator(".notifications").inner_text()  # new since the last visit
    watch.screenshot("phone-clerk-3-returned-home")
    _click(page, returned.get_by_role("link", name=PURPOSE))
    notice = page.locator(".return-notice")  # at the top, not only in the history table
    assert REASON in notice.inner_text() and notice.is_visible()
    assert notice.bounding_box()["y"] < PHONE["height"]  # on the first screen
    watch.screenshot("phone-clerk-4-returned-detail")
    notice.get_by_role("link", name="修改后重新提交").click()  # down to the next step
    change = page.get_by_role("link", name="修改", exact=True)
    assert change.is_visible()
    _click(page, change)
    page.get_by_label("金额（元）").fill("1180.00")
    _click(page, page.get_by_role("button", name="保存"))
    assert "已修改" in _message(page)
    _click(page, page.get_by_role("button", name="提交审批"))
    # back to the queue, and the clerk is told who returned it looks at it again
    assert "已重新提交审批" in _message(page) and "staff" in _message(page)

    # The county approves; the clerk sees it approved, still by clicks.
    assert "已审批" in _approver_decides(browser, live_server, "审批通过")
    _home(page)
    todo = " ".join(page.locator("main ul.todo").all_inner_texts())
    assert REASON not in todo  # nothing left to do on it
    assert "已审批" in page.locator(".notifications").inner_text()  # told it was approved
    _click(page, page.get_by_role("button", name="标为已读"))
    assert page.locator(".notifications").count() == 0
    watch.screenshot("phone-clerk-5-home-after")
    _click(page, page.get_by_role("link", name="完整台账"))
    row = page.locator("table.ledger tbody tr", has_text=PURPOSE)
    status = row.locator(".status")
    assert status.inner_text() == "已审批"
    box = status.bounding_box()  # on the first screen, without scrolling the table sideways
    assert box["x"] + box["width"] <= PHONE["width"]
    _click(page, row.get_by_role("link").first)
    assert page.locator(".status.big").inner_text() == "已审批"
    watch.screenshot("phone-clerk-6-approved")

    expenditure = Expenditure.objects.get(purpose=PURPOSE)
    assert expenditure.status == "approved" and expenditure.amount == Decimal("1180.00")
    assert expenditure.vouchers.count() == 1
    context.close()
    assert watch.console_errors == [] and watch.foreign_requests == []
