"""Issue 16 in the browser: the documents page, each kind downloaded by an administrator,
the posting by a clerk, and another township's a 404."""

import io
import zipfile
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from demo.data import demo_data_load
from tests.browser.test_dashboard import log_in
from tests.conftest import make_user
from townships import roles
from townships.models import AuditEvent, Township

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_live(transactional_db):
    demo_data_load()
    return {
        "admin": make_user("admin", roles.ADMINISTRATORS, is_staff=True),
        "clerk": make_user("clerk", roles.CLERKS,
                           township=Township.objects.get(name="太平镇")),
    }


def _download(page, locator) -> tuple[str, bytes]:
    with page.expect_download() as info:
        locator.click()
    download = info.value
    return download.suggested_filename, Path(download.path()).read_bytes()


def test_an_administrator_downloads_every_document(watched_page, live_server, demo_live):
    page, watch = watched_page
    log_in(page, live_server.url, "admin")
    page.goto(live_server.url + "/allocations/2020/")
    page.locator("header nav").get_by_role("link", name="文件").click()
    page.wait_for_load_state()
    assert page.url.endswith("/documents/2020/")
    assert page.locator("h1").inner_text() == "2020 年度文件"
    watch.check_accessibility()
    watch.screenshot("documents")
    # a past year's documents are dated by the user; 2020's standards exceed its fund,
    # so the plan and the notice state where the excess comes from
    page.get_by_label("成文日期").fill("2020-03-20")
    page.get_by_label("超出专项经费部分的资金来源").fill("市级财政统筹资金")
    links = page.locator("[data-document]")
    expected = {"plan.docx", "notice.docx", "posting.docx", "execution.docx",
                "execution.xlsx", "rectification.xlsx", "rectification.docx"}
    assert {links.nth(i).get_attribute("data-document") for i in range(links.count())} \
        == expected
    for name in sorted(expected):
        filename, data = _download(page, page.locator(f"[data-document='{name}']"))
        assert filename.startswith("万源市2020年度") and filename.endswith(name[-5:])
        assert zipfile.is_zipfile(io.BytesIO(data))
        if name.endswith(".docx"):
            assert Document(io.BytesIO(data)).paragraphs
        else:
            assert load_workbook(io.BytesIO(data)).active.max_row > 2
    # the notice with a number typed on the page: number and date as chosen
    page.get_by_label("下达通知的发文字号").fill("万组发〔2020〕9号")
    _filename, data = _download(page, page.locator("[data-document='notice.docx']"))
    text = "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
    assert "万组发〔2020〕9号" in text and "2020年3月20日" in text
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DOCUMENT_GENERATED).count() == 8
    page.locator("a", has_text="打印页").first.click()
    page.wait_for_load_state()
    assert "公示" in page.locator("h1").inner_text()
    assert page.locator("table.posting tbody tr").count() == 52
    watch.screenshot("posting-print")


def test_a_clerk_downloads_the_own_posting_and_not_anothers(watched_page, live_server,
                                                            demo_live):
    page, watch = watched_page
    log_in(page, live_server.url, "clerk")
    page.locator("header nav").get_by_role("link", name="文件").click()
    page.wait_for_load_state()
    watch.check_accessibility()
    watch.screenshot("documents-clerk")
    assert page.locator("[data-document]").count() == 2
    page.get_by_label("成文日期").fill("2020-12-31")
    filename, data = _download(page, page.locator("[data-document='511781100/posting.docx']"))
    assert filename == "太平镇2020年度公示.docx"
    rows = Document(io.BytesIO(data)).tables[0].rows
    assert [c.text for c in rows[1].cells][:2] == ["511781100", "太平镇"]
    response = page.goto(live_server.url + "/documents/2020/511781101/posting/")
    assert response.status == 404
    watch.console_errors.clear()  # the 404 page's own load is the point, not an error
