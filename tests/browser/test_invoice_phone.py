"""On a 390 px phone a clerk chooses a photo of an invoice: the page reads its QR code on
the server and fills in the facts, the clerk confirms them by attaching, and the voucher
carries the invoice's number; the same invoice on another expenditure is refused."""

import datetime
import io
from decimal import Decimal

import pytest
import segno
from playwright.sync_api import expect

from funds.models import SpendingCategory, Voucher
from funds.spending import services as spending
from tests.browser.conftest import PageWatch
from tests.conftest import PASSWORD
from townships.models import Township

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QR = "01,32,,23442000000014209621,1500,20230215,,74AE"


def test_a_photographed_invoice_fills_the_form(browser, live_server, demo, clerk_user,
                                               tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    taiping = Township.objects.get(name="太平镇")
    expenditures = [spending.expenditure_create(
        township=taiping, date=datetime.date(2020, 5, 11), amount=Decimal("1500.00"),
        category=SpendingCategory.objects.get(name="教育培训"), purpose=purpose,
        payee="万源市新华书店", acting_user=clerk_user) for purpose in ("培训教材", "再报一次")]
    photo = tmp_path / "invoice.png"
    buffer = io.BytesIO()
    segno.make(QR, error="m").save(buffer, kind="png", scale=8, border=4)
    photo.write_bytes(buffer.getvalue())

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    watch = PageWatch(page, live_server.url)
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("用户名").fill(clerk_user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()

    for expenditure in expenditures:
        page.goto(f"{live_server.url}/expenditures/{expenditure.pk}/")
        form = page.locator("form.voucher-form")
        form.locator("[name=file]").set_input_files(str(photo))
        expect(form.locator(".invoice-status")).to_contain_text("数电发票")
        assert form.locator("[name=invoice_number]").input_value() == "23442000000014209621"
        assert form.locator("[name=invoice_amount]").input_value() == "1500.00"
        assert form.locator("[name=invoice_date]").input_value() == "2023-02-15"
        watch.screenshot(f"invoice-read-{expenditure.pk}")
        form.get_by_role("button", name="上传").click()
        page.wait_for_load_state()

    first, second = expenditures
    assert Voucher.objects.get(expenditure=first).invoice_key == "23442000000014209621"
    assert not Voucher.objects.filter(expenditure=second).exists()
    assert f"已登记在太平镇第 {first.pk} 号支出" in page.locator(".messages").inner_text()
    context.close()
    # the refused upload answers 400 with the page and its message; nothing else failed
    assert watch.foreign_requests == []
    assert [e for e in watch.console_errors if "status of 400" not in e] == []
