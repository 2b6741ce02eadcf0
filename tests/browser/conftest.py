"""Browser tests: Playwright driving Debian's Chromium against the live test server.

They fail on any request to another host and on any console error, and save a
screenshot of each page they visit under artifacts/screenshots/ (ignored by git).
"""

import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

# Playwright's sync API runs an event loop in this thread; the ORM calls made by the
# test itself (fixtures, assertions) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser


def _chromium_missing():
    return not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM))


@pytest.fixture(scope="session")
def browser():
    if _chromium_missing():
        pytest.skip(f"Chromium not found at {CHROMIUM}; install Debian's chromium package "
                    "(.ci/run does) to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )
        yield browser
        browser.close()


class PageWatch:
    """Collects what must not happen: console errors and requests to other hosts."""

    def __init__(self, page, live_server_url):
        self.page = page
        self.host = urlparse(live_server_url).netloc
        self.console_errors = []
        self.foreign_requests = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.console_errors.append(str(exc)))
        page.on("request", self._on_request)
        # Console errors about failed loads do not name the URL; this does.
        page.on("response", lambda r: r.status >= 400 and self.console_errors.append(
            f"{r.status} {r.url}") if r.request.resource_type != "document" else None)

    def _on_console(self, message):
        if message.type == "error":
            self.console_errors.append(message.text)

    def _on_request(self, request):
        netloc = urlparse(request.url).netloc
        if request.url.startswith(("data:", "blob:", "about:")):
            return
        if netloc != self.host:
            self.foreign_requests.append(request.url)

    def screenshot(self, name):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def check_accessibility(self):
        page = self.page
        assert page.locator("h1").count() == 1, "one h1 per page"
        for img in page.locator("img").all():
            assert img.get_attribute("alt") is not None, "every image has alt text"
        for field in page.locator("input:not([type=hidden]):not([type=submit]), select, textarea").all():
            field_id = field.get_attribute("id")
            labelled = (field.get_attribute("aria-label")
                        or (field_id and page.locator(f"label[for='{field_id}']").count()))
            assert labelled, f"input {field_id or field} has a label"


@pytest.fixture
def watched_page(browser, live_server):
    context = browser.new_context(accept_downloads=True, locale="en-US")
    page = context.new_page()
    watch = PageWatch(page, live_server.url)
    yield page, watch
    context.close()
    assert watch.foreign_requests == [], "requests to other hosts"
    assert watch.console_errors == [], "console errors"
