"""The new pages' query counts do not grow with the townships or their spending: red
flags, who is behind, the 绩效 sheet and its monitoring, the audit pack's page."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funds.models import SpendingCategory
from funds.performance.services import sheet_start
from funds.spending import services as spending
from tests.conftest import login
from townships.models import Township

pytestmark = pytest.mark.django_db
URLS = ["/flags/2020/", "/flags/2020/?township=511781100", "/behind/2020/",
        "/performance/2020/", "/performance/2020/monitoring/", "/audit-pack/2020/",
        "/api/v1/flags/2020"]


def _spend(township, user):
    expenditure = spending.expenditure_create(
        township=township, date=datetime.date(2020, 5, 11), amount=Decimal("800.00"),
        category=SpendingCategory.objects.get(name="教育培训"), purpose="宴请",
        payee="张三", acting_user=user)
    spending.expenditure_submit(expenditure=expenditure, acting_user=user)


@pytest.mark.parametrize("url", URLS)
def test_the_new_pages_query_counts_are_pinned(client, demo, admin_user, url):
    sheet_start(fund_year=demo, acting_user=admin_user)
    _spend(Township.objects.get(name="太平镇"), admin_user)
    login(client, admin_user)
    client.get(url)  # the first visit also remembers the year in the session
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    Township.objects.bulk_create(
        Township(code=f"9{i:08d}", name=f"测试乡{i}", kind="township") for i in range(448))
    for township in Township.objects.filter(code__startswith="9")[:20]:
        _spend(township, admin_user)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large) == len(small) <= 25, "\n".join(q["sql"][:120] for q in large)
