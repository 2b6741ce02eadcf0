"""Issue 23 in a browser: the approver ticks items in the queue and approves them with
one opinion; finance records the payment and finds it in the month's list."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from demo.data import DEMO_PDF, demo_data_load
from funds.models import Expenditure, SpendingCategory
from funds.spending import services as spending
from tests.browser.test_dashboard import log_in
from tests.conftest import make_user
from townships import roles
from townships.models import Township

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1366, 390])
def test_the_approver_approves_two_at_once_and_finance_pays_one(watched_page, live_server,
                                                                 width):
    demo_data_load()
    township = Township.objects.get(name="太平镇")
    clerk = make_user("clerk", roles.CLERKS, township=township)
    make_user("staff", roles.STAFF, is_staff=True)
    make_user("finance", roles.FINANCE, is_staff=True)
    items = []
    for i in range(3):
        expenditure = spending.expenditure_create(
            township=township, date=datetime.date(2020, 5, 1 + i),
            amount=Decimal("1234.50") * (i + 1), category=SpendingCategory.objects.first(),
            purpose=f"党员培训第{i + 1}期", payee="市委党校", acting_user=clerk)
        spending.voucher_add(expenditure=expenditure, kind="invoice", acting_user=clerk,
                             upload=SimpleUploadedFile("发票.pdf", DEMO_PDF))
        spending.expenditure_submit(expenditure=expenditure, acting_user=clerk)
        items.append(expenditure)
    page, watch = watched_page
    page.set_viewport_size({"width": width, "height": 844})
    log_in(page, live_server.url, "staff")
    page.goto(live_server.url + "/approvals/?year=2020")
    page.locator(f'input[name="selected"][value="{items[0].pk}"]').check()
    page.locator(f'input[name="selected"][value="{items[1].pk}"]').check()
    page.get_by_label("审批意见").fill("同意，按标准报账")
    watch.screenshot(f"approval-queue-batch-{width}")
    page.get_by_role("button", name="审批通过所选支出").click()
    page.wait_for_load_state()
    watch.check_accessibility()
    watch.screenshot(f"approval-batch-result-{width}")
    results = page.locator(".batch-results tbody tr")
    assert results.count() == 2
    assert "已审批" in results.nth(0).inner_text() and "已审批" in results.nth(1).inner_text()
    statuses = dict(Expenditure.objects.values_list("pk", "status"))
    assert [statuses[e.pk] for e in items] == ["approved", "approved", "submitted"]

    page.context.clear_cookies()
    log_in(page, live_server.url, "finance")
    page.goto(live_server.url + f"/expenditures/{items[0].pk}/")
    page.get_by_label("会计凭证号").fill("记-2020-017")
    page.get_by_role("button", name="登记报账").click()
    page.wait_for_load_state()
    if width < 700:
        page.locator("label.nav-toggle-label").click()  # the phone's menu
    page.locator("header nav").get_by_role("link", name="付款对账").click()
    page.wait_for_load_state()
    watch.check_accessibility()
    watch.screenshot(f"payments-{width}")
    today = timezone.localdate()
    assert f"/payments/{today.year}/{today.month}/" in page.url
    assert "记-2020-017" in page.locator("table").inner_text()
