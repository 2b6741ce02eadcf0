"""On a 390 px phone the lists people act on show what matters first.

For each list a role works from (the clerk's ledger, the approval queue, the search, an
expenditure's history, the documents, the settings' preview, the notifications of both
home pages), the first row's amount, its status and purpose, and its link or download are
on the screen: inside the 390 px width and not hidden in a box that scrolls sideways. On a
desktop the same rows stay one line each in their table.
"""

import re

import pytest

from demo.data import (
    CLERK_TOWNSHIP,
    DEMO_YEAR,
    demo_accounts_create,
    demo_history_load,
    reference_load,
)
from tests.browser.conftest import PageWatch
from tests.conftest import PASSWORD
from wanyuan.money import format_yuan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}

#: Why an element is not readable where it is, or "" when it is: not shown, outside the
#: screen's width, or clipped by a box that scrolls (the reader would have to scroll it).
WHERE_IT_IS = """element => {
  const r = element.getBoundingClientRect();
  if (!element.checkVisibility() || r.width === 0 || r.height === 0) return "not shown";
  const slack = 0.5, width = window.innerWidth;
  if (r.left < -slack || r.right > width + slack)
    return `at ${Math.round(r.left)}..${Math.round(r.right)} px, outside the ${width} px screen`;
  for (let box = element.parentElement; box; box = box.parentElement) {
    const style = getComputedStyle(box);
    if (style.overflowX === "visible" && style.overflowY === "visible") continue;
    const b = box.getBoundingClientRect();
    if (r.left < b.left - slack || r.right > b.right + slack || r.top < b.top - slack
        || r.bottom > b.bottom + slack || box.scrollLeft > 0)
      return `hidden in a box that scrolls (${box.tagName.toLowerCase()}.${box.className})`;
  }
  return "";
}"""


#: Where each line of an element's text starts (its leftmost fragment), top to bottom.
LINE_STARTS = """cell => {
  const lines = new Map(), texts = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  for (let text = texts.nextNode(); text; text = texts.nextNode()) {
    const range = document.createRange(); range.selectNodeContents(text);
    for (const r of range.getClientRects()) {
      if (!r.width) continue;
      const top = Math.round(r.top);
      lines.set(top, Math.min(lines.get(top) ?? Infinity, Math.round(r.left)));
    }
  }
  return [...lines.keys()].sort((a, b) => a - b).map(top => lines.get(top)); }"""

#: The boxes in the page's main part whose content is wider than they are.
SCROLLING_BOXES = """[...document.querySelectorAll("main *")]
  .filter(e => ["auto", "scroll"].includes(getComputedStyle(e).overflowX)
               && e.scrollWidth > e.clientWidth + 1)
  .map(e => `${e.tagName.toLowerCase()}.${e.className} (${e.scrollWidth} px in ${e.clientWidth})`)"""


@pytest.fixture
def demo_years(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    reference_load()
    demo_accounts_create(PASSWORD)
    demo_history_load()
    # The longest voucher number the field takes, on the ledger's first row: it must fit.
    from funds.models import Expenditure

    first = Expenditure.objects.filter(year=DEMO_YEAR, township__name=CLERK_TOWNSHIP,
                                       status="reimbursed").order_by("date").first()
    Expenditure.objects.filter(pk=first.pk).update(accounting_voucher="记-2020-03-" + "0" * 29)


def _log_in(page, base_url, username):
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


class Walk:
    """One role's browser at one width; collects what a reader could not see."""

    def __init__(self, browser, live_server, username, viewport):
        self.context = browser.new_context(locale="zh-CN", viewport=viewport)
        self.page = self.context.new_page()
        self.watch = PageWatch(self.page, live_server.url)
        self.base, self.username, self.problems = live_server.url, username, []
        self.width = viewport["width"]
        _log_in(self.page, self.base, username)

    def open(self, url):
        assert self.page.goto(self.base + url).status == 200, url
        self.where = f"{self.username} {self.width} px {url}"
        wide = self.page.evaluate("document.documentElement.scrollWidth")
        if wide > self.width:
            self.problems.append(f"{self.where}: the page is {wide} px wide")
        for box in self.page.evaluate(SCROLLING_BOXES):
            self.problems.append(f"{self.where}: {box} scrolls sideways")

    def readable(self, what, locator):
        """``locator`` (one element, or the first of several) is where a reader sees it."""
        if locator.count() == 0:
            self.problems.append(f"{self.where}: no {what}")
            return
        if problem := locator.first.evaluate(WHERE_IT_IS):
            self.problems.append(f"{self.where}: {what} {problem}")

    def one_line(self, what, locator):
        """A date or a button's label is not broken in two ("2020-03-" above "20")."""
        lines = locator.evaluate("""cell => { const range = document.createRange();
            range.selectNodeContents(cell);
            return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size; }""")
        if lines != 1:
            self.problems.append(f"{self.where}: {what} is on {lines} lines")

    def cells(self, row):
        """Every cell of a row that has something to read; on a phone, a value of several
        lines starts each line at the same place (beside its column's name, not under)."""
        for cell in row.locator("td, th").all():
            if text := cell.inner_text().strip():
                self.readable(f"the first row's cell “{text[:20]}”", cell)
                starts = cell.evaluate(LINE_STARTS)
                if self.width == PHONE["width"] and len(set(starts)) > 1:
                    self.problems.append(f"{self.where}: the lines of “{text[:20]}” start at "
                                         f"{starts} px")

    def shot(self, name):
        self.watch.screenshot(f"phone-lists-{self.width}-{name}")

    def close(self):
        self.context.close()
        assert self.watch.foreign_requests == [], "requests to other hosts"
        assert self.watch.console_errors == [], f"console errors as {self.username}"


def _first_expenditure(row):
    from funds.models import Expenditure

    href = row.locator("a[href^='/expenditures/']").first.get_attribute("href")
    return Expenditure.objects.get(pk=int(re.search(r"/expenditures/(\d+)/", href).group(1)))


def _expenditure_row(walk, row):
    """A row of one expenditure: its link (the purpose), its amount, its status."""
    walk.readable("the first row's link", row.locator("a[href^='/expenditures/']").first)
    amount = format_yuan(_first_expenditure(row).amount)
    walk.readable(f"the first row's amount {amount}", row.get_by_text(amount, exact=True))
    walk.cells(row)


def _ledger(walk):
    from townships.models import Township

    code = Township.objects.get(name=CLERK_TOWNSHIP).code
    walk.open(f"/ledger/{code}/{DEMO_YEAR}/")
    row = walk.page.locator("main table.ledger tbody tr").first
    _expenditure_row(walk, row)
    walk.readable("the first row's status", row.locator(".status"))
    if walk.width > PHONE["width"]:
        walk.one_line("the first row's date", row.locator("td").first)
        voucher = _first_expenditure(row).accounting_voucher
        walk.one_line(f"the voucher number {voucher}", row.get_by_text(voucher))
    for button in walk.page.locator("main .page-head .actions a").all():
        walk.one_line(f"the button “{button.inner_text()}”", button)
    walk.shot(f"{walk.username}-ledger")


def _queue(walk):
    walk.open("/approvals/")
    _expenditure_row(walk, walk.page.locator("main table tbody tr").first)
    sorted_by = walk.page.locator("main thead").get_by_role("link", name="已提交")
    walk.readable("the link to sort by 已提交", sorted_by)
    if walk.width == PHONE["width"]:  # the header row is gone: the link says the order
        arrow = sorted_by.evaluate("link => getComputedStyle(link, '::after').content")
        if arrow != '" ↑"':
            walk.problems.append(f"{walk.where}: the sort by 已提交 shows no ↑ but {arrow}")
    walk.shot(f"{walk.username}-queue")


def _search(walk):
    walk.open("/expenditures/")
    row = walk.page.locator("main table tbody tr").first
    _expenditure_row(walk, row)
    walk.readable("the first row's status", row.locator(".status"))
    walk.shot(f"{walk.username}-search")


def _history(walk):
    """The returned expenditure: who acted, the amount and the reason are on the screen."""
    from funds.models import Expenditure

    returned = Expenditure.objects.get(year=DEMO_YEAR, status="returned",
                                       township__name=CLERK_TOWNSHIP)
    walk.open(f"/expenditures/{returned.pk}/")
    history = walk.page.locator("section", has=walk.page.get_by_role("heading", name="流转记录"))
    rows = history.locator("tbody tr")
    walk.cells(rows.first)
    walk.readable("the first row's amount", rows.first.get_by_text(
        format_yuan(returned.amount), exact=True))
    back = rows.filter(has_text="退回修改")
    walk.cells(back)
    walk.readable("the return's reason", back.get_by_text(returned.transitions.get(
        to_status="returned").note, exact=True))
    walk.shot(f"{walk.username}-history")


def _documents(walk):
    walk.open(f"/documents/{DEMO_YEAR}/")
    row = walk.page.locator("main table.documents tbody tr").first
    walk.cells(row)
    # a download is a button of the issue form (it sends the date and number chosen)
    links = row.locator("[data-document]").all()
    if not links:
        walk.problems.append(f"{walk.where}: no download in the first row")
    for link in links:
        walk.readable(f"the download “{link.inner_text()}”", link)
    walk.shot(f"{walk.username}-documents")


def _settings_preview(walk):
    walk.open(f"/settings/{DEMO_YEAR}/")
    walk.page.get_by_label("大额支出标准（元）").fill("30000")
    walk.page.get_by_role("button", name="预览修改").click()
    walk.page.wait_for_load_state()
    row = walk.page.locator(".settings-preview table tbody tr").first
    walk.cells(row)
    walk.readable("the confirmation", walk.page.get_by_role("button", name="确认并保存"))
    walk.shot(f"{walk.username}-settings-preview")


def _notifications(url):
    def check(walk):
        walk.open(url)
        news = walk.page.locator(".notifications li.news").first
        walk.readable("the first notification", news)
        walk.readable("the first notification's link", news.get_by_role("link"))
        walk.shot(f"{walk.username}-notifications")
    return check


#: Who works from which list.
LISTS = {
    "clerk": [_notifications("/my/"), _ledger, _search, _history, _documents],
    "staff": [_notifications("/"), _queue, _ledger, _search, _history, _documents],
    "finance": [_ledger, _search, _history],
    "admin": [_notifications("/"), _queue, _settings_preview, _documents],
}


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_first_row_of_every_list_is_on_the_screen(browser, live_server, demo_years,
                                                       viewport):
    problems = []
    for username, lists in LISTS.items():
        walk = Walk(browser, live_server, username, viewport)
        for check in lists:
            check(walk)
        problems += walk.problems
        walk.close()
    assert not problems, "\n".join(problems)
