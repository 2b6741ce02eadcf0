"""A township's clerk brings the ledger in on a phone: upload, preview, confirm, and the
ledger shows the rows as imported (issue 23, item 1)."""

import pytest

from demo.data import demo_data_load
from tests.browser.conftest import PageWatch
from tests.browser.test_clerk_phone import PHONE, _click, _log_in, _message
from tests.conftest import make_user
from tests.funds.test_ledger_import import ROWS, _csv
from townships import roles

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def clerk(transactional_db, settings, tmp_path):
    from townships.models import Township

    settings.MEDIA_ROOT = tmp_path
    demo_data_load()
    return make_user("clerk", roles.CLERKS, township=Township.objects.get(name="太平镇"))


def test_a_clerk_imports_the_ledger_on_a_phone(browser, live_server, clerk, tmp_path):
    from funds.models import Expenditure

    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    watch = PageWatch(page, live_server.url)
    _log_in(page, live_server.url, "clerk")
    page.goto(f"{live_server.url}/ledger/{clerk.clerk_of.township.code}/2020/")
    _click(page, page.get_by_role("link", name="导入台账"))
    ledger = tmp_path / "太平镇台账.csv"
    ledger.write_bytes(_csv(ROWS, encoding="gb18030"))
    page.get_by_label("台账文件（CSV 或 XLSX）").set_input_files(str(ledger))
    _click(page, page.get_by_role("button", name="检查文件"))
    assert "预览：尚未保存任何数据" in page.content()
    assert page.get_by_text("七一党员培训教材").is_visible()
    watch.screenshot("phone-clerk-ledger-import-preview")
    assert not Expenditure.objects.exists()
    _click(page, page.get_by_role("button", name="导入以上各行"))
    assert "已从 太平镇台账.csv 导入 3 笔支出" in _message(page)
    assert page.locator("main .tag.imported").count() == 3
    watch.screenshot("phone-clerk-ledger-imported")
    context.close()
    assert watch.console_errors == [] and watch.foreign_requests == []
