"""Every page, as each role, at a desktop's 1366 px and a phone's 390 px.

The pages come from the URL configuration, not from a list: a new route is walked as soon
as it exists. A route that needs an object gets one from the demo's three years (every
expenditure state, a voucher, a decision, an inspection, a finding); a route that is no
page (a POST-only action, a download, a redirect) must be named in ``NOT_PAGES`` with the
reason, so nobody adds a page that escapes the walk.

On each page, and on the 403 and 404 pages each role meets: nothing is wider than the viewport, axe-core (the copy shipped inside
axe-playwright-python, injected by the test: nothing is fetched from the internet) finds
no serious or critical violation, colour contrast included, and on a phone the navigation
is a menu that opens and closes.
"""

import os

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from demo.data import (
    CLERK_TOWNSHIP,
    DEMO_YEAR,
    demo_accounts_create,
    demo_history_load,
    reference_load,
)
from tests.browser.conftest import PageWatch
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLES = ("admin", "staff", "finance", "clerk")  # the demo's accounts, one per role
WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}

#: Routes that are not pages a person reads, with the reason. Every other route must be
#: a page (200, HTML) for at least one role.
NOT_PAGES = {
    "year-switch": "a form's target: remembers the year and redirects",
    "logout": "POST only",
    "set_language": "POST only (the language buttons)",
    "township-category-change": "POST only",
    "reclassification-revert": "POST only",
    "voucher-upload": "POST only",
    "decision-create": "POST only",
    "decision-update": "POST only",
    "expenditure-action": "POST only (submit, approve, return, ...)",
    "finding-close": "POST only",
    "approval-batch": "POST only (the queue's batch approval; its result page is checked "
                      "in tests/funds/test_approval_day.py)",
    "notifications-read": "POST only (the notifications' mark-read button)",
    "plan-adopt": "POST only",
    "plan-revert": "POST only",
    "plan-compare": "needs two to four plans in ?ids: opened in tests/browser/test_planning.py",
    "plan-compare-export-xlsx": "a download",
    "document-download": "a download (.docx, .xlsx)",
    "township-document-download": "a download (.docx, .xlsx)",
    "document-template-upload": "POST only",
    "document-template-reset": "POST only",
    "allocation-export-csv": "a download",
    "allocation-export-xlsx": "a download",
    "ledger-export-csv": "a download",
    "ledger-export-xlsx": "a download",
    "ledger-import-template": "a download (the ledger import's XLSX template)",
    "execution-export-csv": "a download",
    "payments-export-csv": "a download",
    "payments-export-xlsx": "a download",
    "execution-export-xlsx": "a download",
    "voucher-download": "a download (the stored file)",
    "decision-minutes": "a download (the stored file)",
    "invoice-read": "POST only (the voucher form's QR reading, answered in JSON)",
    "red-flag-close": "POST only",
    "red-flags-export-csv": "a download",
    "red-flags-export-xlsx": "a download",
    "behind-export-csv": "a download",
    "behind-export-xlsx": "a download",
    "performance-start": "POST only",
    "performance-compute": "POST only",
    "performance-file": "POST only",
    "performance-reopen": "POST only",
    "performance-download": "a download (.xlsx, .docx)",
    "performance-evidence": "a download (the stored file)",
    # the upper level's pages answer 404 on a county's instance; they are walked on a
    # city's in tests/browser/test_upper_pages.py
    **dict.fromkeys(("upper-home", "upper-dashboard", "upper-unit"),
                    "an upper level's page (test_upper_pages.py)"),
    **dict.fromkeys(("upper-export-csv", "upper-export-xlsx", "upper-unit-export-csv",
                     "upper-unit-export-xlsx"), "a download (an upper level's)"),
    "upper-decide": "POST only (an upper level's)",
}

#: For a route with ``<int:pk>``: which objects to open, by the route's name.
def _objects(name):
    from funds.models import CollectiveDecision, Expenditure, Finding, Inspection, Voucher

    if name.startswith("expenditure-"):
        # one expenditure in each state: each shows other buttons and notes
        return [Expenditure.objects.filter(year=DEMO_YEAR, status=status).order_by(
            "-township__name" if status == "rejected" else "pk").first()
            for status in Expenditure.Status.values
            if Expenditure.objects.filter(year=DEMO_YEAR, status=status).exists()]
    if name.startswith("plan-"):  # a plan of the year, made as an administrator would
        from django.contrib.auth.models import User

        from funds.models import FundYear, PlanScenario
        from funds.planning.services import scenario_create

        scenario = PlanScenario.objects.filter(fund_year__year=DEMO_YEAR).first()
        if scenario is None:
            scenario = scenario_create(
                fund_year=FundYear.objects.get(year=DEMO_YEAR), name="按比例缩放",
                method="scale", acting_user=User.objects.filter(is_superuser=True).first())
        return [scenario]
    from funds.models import Indicator

    models = {"voucher-": Voucher, "decision-": CollectiveDecision,
              "inspection-": Inspection, "finding-": Finding, "performance-": Indicator}
    for prefix, model in models.items():
        if name.startswith(prefix):
            return [model.objects.order_by("pk").first()]
    raise AssertionError(f"route {name!r} needs an object: say which in _objects()")


def _patterns(resolver=None):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            # Django's own pages, and the API (JSON; its docs page is tests/funds/test_api.py)
            if pattern.namespace not in ("admin", "api"):
                yield from _patterns(pattern)
        elif isinstance(pattern, URLPattern):
            yield pattern


def page_urls():
    """(route name, URL) of every route, with the demo's objects filled in."""
    from townships.models import Township

    code = Township.objects.get(name=CLERK_TOWNSHIP).code
    urls = []
    for pattern in _patterns():
        converters = pattern.pattern.converters
        values = {"year": DEMO_YEAR, "code": code, "action": "submit", "kind": "posting",
                  "fmt": "docx", "unit": "511781"}
        if "month" in converters:  # the demo's payments are recorded today
            from django.utils import timezone

            today = timezone.localdate()
            values.update(year=today.year, month=today.month)
        kwargs = {k: v for k, v in values.items() if k in converters}
        if "pk" in converters:
            for obj in _objects(pattern.name):
                urls.append((pattern.name, reverse(pattern.name, kwargs={**kwargs,
                                                                          "pk": obj.pk})))
        else:
            urls.append((pattern.name, reverse(pattern.name, kwargs=kwargs)))
    return urls


@pytest.fixture
def demo_years(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    reference_load()  # the townships, before the clerk's account names one
    demo_accounts_create(PASSWORD)
    demo_history_load()


def _log_in(page, base_url, username):
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def _serious(page):
    """axe-core's serious and critical violations, one line each."""
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(" ".join(n["target"]) for n in v["nodes"][:5])
            for v in results["violations"] if v["impact"] in ("serious", "critical")]


def _too_wide(page):
    width, inner = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]")
    return f"{width} px wide in a {inner} px viewport" if width > inner else None


def _menu_problems(page, *, audit_open):
    """On a phone the navigation is hidden behind 菜单, opens, and closes again."""
    nav, toggle = page.locator("header nav"), page.get_by_text("菜单", exact=True)
    if nav.count() == 0:
        return []  # a page without the site's header: the login, a print view
    if nav.is_visible():
        return ["the navigation is open before the menu is"]
    toggle.click()
    problems = []
    if not nav.is_visible() or not all(a.is_visible() for a in nav.get_by_role("link").all()):
        problems.append("the menu does not show the navigation's links")
    if wide := _too_wide(page):
        problems.append(f"the open menu is {wide}")
    if audit_open:
        problems += [f"open menu: {line}" for line in _serious(page)]
    toggle.click()
    if nav.is_visible():
        problems.append("the menu does not close")
    return problems


SHOTS = os.environ.get("A11Y_SCREENSHOTS")  # a folder name: save every page walked


@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_page_as_each_role(browser, live_server, demo_years, width):
    viewport = dict(zip(("width", "height"), WIDTHS[width], strict=True))
    urls = page_urls()
    walked, problems = set(), []
    for role in ("anonymous",) + ROLES:
        context = browser.new_context(locale="zh-CN", viewport=viewport)
        context.add_init_script(AXE_SCRIPT)  # in every page before its own scripts
        page = context.new_page()
        watch = PageWatch(page, live_server.url)
        if role == "anonymous":
            todo = [("login", reverse("login"))]
        else:
            _log_in(page, live_server.url, role)
            todo = urls
        error_pages = set()  # the 403 and 404 pages, once per role
        for name, url in todo:
            answer = page.request.get(live_server.url + url, max_redirects=0)
            if not answer.headers.get("content-type", "").startswith("text/html"):
                continue
            if answer.status in (403, 404) and answer.status not in error_pages:
                error_pages.add(answer.status)
                errors_before = len(watch.console_errors)
                assert page.goto(live_server.url + url).status == answer.status
                # the browser logs the status itself; that is the page's point here
                del watch.console_errors[errors_before:]
            elif answer.status == 200:
                assert page.goto(live_server.url + url).status == 200, url
                walked.add(name)
            else:
                continue
            where = f"{role} {width} {url} ({answer.status})"
            if wide := _too_wide(page):
                problems.append(f"{where}: {wide}")
            problems += [f"{where}: {line}" for line in _serious(page)]
            if width == "phone" and role != "anonymous":
                problems += [f"{where}: {line}" for line in _menu_problems(
                    page, audit_open=name == "overview" or name == "clerk-home")]
            if SHOTS:
                watch.screenshot(f"{SHOTS}/{width}-{role}-{url.strip('/').replace('/', '-')}")
        context.close()
        assert watch.foreign_requests == [], "requests to other hosts"
        assert watch.console_errors == [], f"console errors as {role}"
    unwalked = {name for name, _url in urls} - walked - set(NOT_PAGES)
    if unwalked:
        problems.append(f"routes that no role could open as a page: {sorted(unwalked)}")
    if walked & set(NOT_PAGES):
        problems.append(f"NOT_PAGES names pages: {sorted(walked & set(NOT_PAGES))}")
    assert not problems, "\n".join(problems)
