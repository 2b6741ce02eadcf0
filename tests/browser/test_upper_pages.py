"""The upper level's pages on a city's instance (issue 28), as its staff, at a desktop's
1366 px and a phone's 390 px: nothing wider than the viewport, no serious axe-core
violation, nothing from another host, and the report's accept and return on the page."""

import os
from pathlib import Path

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from django.conf import settings as django_settings

from demo.data import DEMO_YEAR, demo_accounts_create, demo_history_load, reference_load
from funds.exchange import upper
from funds.exchange.datavalues import data_value_set_get
from funds.models import FundYear, Submission
from tests.browser.conftest import PageWatch
from tests.browser.test_accessibility import WIDTHS, _log_in, _serious, _too_wide
from tests.conftest import PASSWORD  # noqa: F401 - the demo accounts' password

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DAZHOU = Path(django_settings.BASE_DIR) / "fixtures" / "orgunits" / "511700-dazhou.csv"
SHOTS = os.environ.get("A11Y_SCREENSHOTS")


@pytest.fixture
def city(transactional_db, settings, tmp_path):
    """A county's set made from the demo, received by 达州市's instance."""
    settings.MEDIA_ROOT = tmp_path
    reference_load()
    demo_accounts_create(PASSWORD)
    demo_history_load()
    data = data_value_set_get(fund_year=FundYear.objects.get(year=DEMO_YEAR))
    settings.INSTANCE_LEVEL, settings.INSTANCE_ORG_UNIT = "city", "511700"
    settings.COUNTY_NAME = "达州市"
    upper.org_units_load(text=DAZHOU.read_text(encoding="utf-8"))
    assert not upper.data_value_set_receive(data_value_set=data, received_from="test").conflicts


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_upper_pages_read_well(browser, live_server, city, width):
    context = browser.new_context(locale="zh-CN", viewport=dict(zip(
        ("width", "height"), WIDTHS[width], strict=True)))
    context.add_init_script(AXE_SCRIPT)
    page = context.new_page()
    watch = PageWatch(page, live_server.url)
    _log_in(page, live_server.url, "staff")
    assert page.url.endswith(f"/upper/{DEMO_YEAR}/")  # the home of a city's instance
    problems = []
    for url in (f"/upper/{DEMO_YEAR}/", f"/upper/{DEMO_YEAR}/511781/"):
        assert page.goto(live_server.url + url).status == 200
        if wide := _too_wide(page):
            problems.append(f"{url}: {wide}")
        problems += [f"{url}: {line}" for line in _serious(page)]
        if SHOTS:
            watch.screenshot(f"{SHOTS}/upper-{width}-{url.strip('/').replace('/', '-')}")
    assert page.get_by_role("heading", name="县级报送").is_visible()
    page.get_by_role("button", name="接收").click()
    page.wait_for_load_state()
    assert page.get_by_text("已接收。").is_visible()
    assert Submission.objects.get().state == "accepted"
    context.close()
    assert watch.foreign_requests == [] and watch.console_errors == []
    assert not problems, "\n".join(problems)
