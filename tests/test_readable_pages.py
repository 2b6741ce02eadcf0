"""Issue 23 item 8: smaller things a user reads — file sizes, labels, the merger page."""

import datetime
from decimal import Decimal
from html.parser import HTMLParser

from django.urls import reverse

from funds.models import SpendingCategory, Voucher
from funds.spending import services as spending
from townships.models import Township


def _voucher(clerk_user, size):
    expenditure = spending.expenditure_create(
        township=Township.objects.get(name="太平镇"), date=datetime.date(2020, 5, 1),
        amount=Decimal("100.00"), category=SpendingCategory.objects.first(), purpose="培训",
        payee="党校", acting_user=clerk_user)
    return Voucher.objects.create(expenditure=expenditure, kind=Voucher.Kind.INVOICE,
                                  file="vouchers/2020/05/a.pdf", original_name="发票.pdf",
                                  size=size, uploaded_by=clerk_user)


def test_the_voucher_lists_give_sizes_in_kb_and_mb(client, demo, clerk_user, loader):
    voucher = _voucher(clerk_user, 1536000)
    client.force_login(loader)
    for url in ("/admin/funds/voucher/", f"/admin/funds/voucher/{voucher.pk}/change/"):
        page = client.get(url).content.decode()
        assert "1.5\xa0MB" in page, url
        assert "1536000" not in page and "1,536,000" not in page, url


class _Labels(HTMLParser):
    """The text of every <label> that names a field (not one wrapping its checkbox)."""

    def __init__(self):
        super().__init__()
        self.labels, self._open, self._wraps, self._text = [], False, False, ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label" and "nav-toggle-label" not in (attrs.get("class") or ""):
            self._open, self._wraps, self._text = True, False, ""
        elif tag in ("input", "select", "textarea") and self._open:
            self._wraps = True

    def handle_endtag(self, tag):
        if tag == "label" and self._open:
            if not self._wraps:
                self.labels.append(self._text.strip())
            self._open = False

    def handle_data(self, data):
        if self._open:
            self._text += data


def _labels(html):
    parser = _Labels()
    parser.feed(html)
    return parser.labels


def test_every_label_of_the_sites_forms_ends_with_a_full_width_colon(client, demo, clerk_user,
                                                                      loader):
    voucher = _voucher(clerk_user, 2048)
    expenditure = voucher.expenditure
    taiping = expenditure.township.code
    pages = {"login": client.get(reverse("login"))}
    client.force_login(clerk_user)
    pages.update({
        "password": client.get(reverse("password_change")),
        "clerk home": client.get(reverse("clerk-home")),
        "clerk's expenditure": client.get(reverse("expenditure-detail", args=[expenditure.pk])),
        "new expenditure": client.get(reverse("expenditure-create", args=[taiping, 2020])),
    })
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk_user)
    client.force_login(loader)
    for name, args in [
            ("overview", []), ("allocation-list", [2020]), ("plan-list", [2020]),
            ("township-detail", [taiping]), ("rankings-import", [2020]),
            ("categories-import", [2020]), ("fund-year-settings", [2020]),
            ("reclassification", [2020]), ("ledger", [taiping, 2020]),
            ("expenditure-search", []), ("expenditure-detail", [expenditure.pk]),
            ("approval-queue", []), ("execution", [2020]), ("inspection-list", []),
            ("inspection-create", []), ("documents", [2020]), ("township-list", []),
            ("township-merger", []), ("audit-events", []), ("audit-category-changes", [])]:
        pages[name] = client.get(reverse(name, args=args))
    wrong = {}
    for name, response in pages.items():
        assert response.status_code == 200, (name, response.status_code)
        bad = [label for label in _labels(response.content.decode())
               if not label.endswith("：")]
        if bad:
            wrong[name] = bad
    assert wrong == {}


class _Text(HTMLParser):
    """What a reader sees of a page: its text, not its markup or hidden values."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def _visible(response) -> str:
    parser = _Text()
    parser.feed(response.content.decode())
    return " ".join(parser.parts)


def test_the_merger_page_shows_no_english_column_names_or_file_paths(client, demo,
                                                                     admin_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from townships.models import Township

    client.force_login(admin_user)
    url = reverse("township-merger")
    form = client.get(url)
    reform = client.post(url, {"first_year": "2021"})  # the built-in 2020 reform
    assert reform.status_code == 200 and len(reform.context["plan"].ended) == 25
    assert "万源市2020年乡镇区划改革名单" in _visible(reform)
    # a county's own file, with its header in Chinese
    kinds = {"town": "镇", "township": "乡", "subdistrict": "街道"}
    rows = Township.objects.order_by("code").values_list("code", "name", "kind")[:51]
    text = "代码,名称,类型\n" + "".join(f"{c},{n},{kinds[k]}\n" for c, n, k in rows)
    upload = client.post(url, {"first_year": "2022", "file": SimpleUploadedFile(
        "新名单.csv", text.encode("utf-8-sig"))})
    assert upload.status_code == 200
    assert (len(upload.context["rows"]), len(upload.context["plan"].ended)) == (51, 1)
    missing = client.post(url, {"first_year": "2022", "file": SimpleUploadedFile(
        "缺列.csv", "代码,名称\n511781100,太平镇\n".encode())})
    assert missing.status_code == 400
    assert missing.context["problems"] == ["缺列.csv 缺少列 类型"]
    for response in (form, reform, upload, missing):
        seen = _visible(response)
        for english in ("code", "name", "kind", "wanyuan-", "fixtures", "/"):
            assert english not in seen, (english, seen)
