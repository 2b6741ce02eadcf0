"""Open-ended bad input, with hypothesis: exports, amounts, years and filters in URLs."""

import csv
import io
import unicodedata
from decimal import Decimal, InvalidOperation

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from funds.budget.exports import neutralise
from funds.models import SpendingCategory
from funds.spending.forms import ExpenditureForm
from tests.conftest import login
from townships.models import Township, TownshipCategory

FIXTURES_OK = settings(max_examples=40, deadline=None,
                       suppress_health_check=[HealthCheck.function_scoped_fixture])


@given(st.text())
def test_a_neutralised_cell_is_inert_in_a_spreadsheet(text):
    cell = neutralise(text)
    # the cell is the text without control characters (tab and newline stay), behind an
    # apostrophe exactly when it would start a formula (OWASP's list, and | and %)
    printable = "".join(ch for ch in text if ch in "\t\n" or unicodedata.category(ch) != "Cc")
    formula = printable[:1] in ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")
    assert cell == ("'" + printable if formula else printable)


@FIXTURES_OK
# Without NUL (PostgreSQL cannot store it, and every form refuses it with Django's
# ProhibitNullCharactersValidator) and lone surrogates (no UTF-8 input decodes to one).
@given(name=st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)),
                    min_size=1, max_size=40).filter(lambda s: s.strip()))
def test_any_township_name_comes_out_of_the_csv_inert(client, demo, finance_user, name):
    Township.objects.filter(code="511781100").update(name=name)
    login(client, finance_user)
    response = client.get(reverse("allocation-export-csv", args=[2020]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content)
                                       .decode("utf-8-sig"))))
    cell = next(r[1] for r in rows if r[0] == "511781100")
    assert cell == neutralise(name)
    assert not cell.startswith(("=", "+", "-", "@"))


@FIXTURES_OK
@given(amount=st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.text(alphabet="0123456789.-+eE, ", max_size=20),
))
def test_an_amount_is_valid_only_when_positive_with_two_decimals(demo, amount):
    form = ExpenditureForm({"date": "2020-05-01", "amount": amount, "purpose": "x",
                            "payee": "y", "category": SpendingCategory.objects.first().pk})
    # valid exactly when the text is a finite number of at least 0.01 yuan, below
    # 10^12 yuan (12 digits before the point), written with at most two decimals
    try:
        number = Decimal(amount)
    except InvalidOperation:
        number = None
    valid = (number is not None and number.is_finite()
             and number.as_tuple().exponent >= -2
             and Decimal("0.01") <= number < Decimal("1e12"))
    assert form.is_valid() == valid, form.errors
    if valid:
        assert form.cleaned_data["amount"] == number
    else:
        assert list(form.errors) == ["amount"]


@FIXTURES_OK
@given(year=st.integers(min_value=0, max_value=2**63 - 1))
def test_any_year_in_a_url_is_a_page_or_404(client, demo, staff_user, year):
    login(client, staff_user)
    for name in ("allocation-list", "allocation-export-csv", "ranking-list", "execution"):
        response = client.get(reverse(name, args=[year]))
        if name == "ranking-list":  # a year without a ranking says so
            assert response.status_code == 200
        else:
            assert response.status_code == (200 if year == 2020 else 404), (name, year)


@FIXTURES_OK
@given(query=st.dictionaries(st.sampled_from(["category", "kind", "name", "sort", "page"]),
                             st.one_of(st.text(max_size=12), st.sampled_from(
                                 ["1", "2", "3", "town", "subdistrict", "511781", "太平",
                                  " 青花镇 ", "5117811", "镇", "乡"]))))
@example(query={"name": "5117811"})
@example(query={"category": "2", "kind": "town", "name": " 镇 "})
@example(query={"category": "4", "sort": "-rank"})
def test_any_filter_gives_the_filtered_rows_or_400_never_all(client, demo, finance_user,
                                                              query):
    login(client, finance_user)
    response = client.get(reverse("allocation-export-csv", args=[2020]), query)
    category, kind = query.get("category", ""), query.get("kind", "")
    name = query.get("name", "")
    valid = (category in ("", "1", "2", "3") and kind in ("", "town", "township", "subdistrict")
             and "\x00" not in name)
    assert response.status_code == (200 if valid else 400), query
    if valid:
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content)
                                           .decode("utf-8-sig"))))[1:-1]
        # the rows the query asks for, picked from the demo's 2020 categories
        expected = sorted(
            code for code, township, township_kind, township_category in
            TownshipCategory.objects.filter(year=2020).values_list(
                "township__code", "township__name", "township__kind", "category")
            if (not category or township_category == int(category))
            and (not kind or township_kind == kind)
            and (not name.strip() or name.strip() in township
                 or code.startswith(name.strip())))
        assert sorted(r[0] for r in rows) == expected, query
    page = client.get(reverse("allocation-list", args=[2020]), query)
    assert page.status_code == 200


@pytest.mark.parametrize("year", ["abc", "2020x", "-1", "", "20.20"])
def test_a_year_that_is_not_a_number_is_refused_clearly(client, demo, staff_user, year):
    login(client, staff_user)
    response = client.get(reverse("overview"), {"year": year})
    assert response.status_code == 404
    assert f"“{year}”不是有效年度" in response.content.decode()


@pytest.mark.parametrize("sort, kept", [
    (".xls", ()), ("name.x", ()), (["nonsense", "-rank"], ("-rank",)), ("-rank", ("-rank",)),
])
def test_a_sort_by_an_unknown_name_is_ignored_without_a_library_warning(
        client, demo, staff_user, sort, kept):
    import warnings

    login(client, staff_user)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        response = client.get(reverse("allocation-list", args=[2020]), {"sort": sort})
    assert response.status_code == 200
    assert tuple(response.context["table"].order_by) == kept
    assert not [w for w in caught if issubclass(w.category, DeprecationWarning)]


# --- Pagination, township codes in URLs and in the admin (issue 14, item 10) ------------

LIST_PAGES = [
    ("allocation-list", [2020]), ("execution", [2020]), ("approval-queue", []),
    ("inspection-list", []), ("township-list", []), ("ranking-list", [2020]),
    ("audit-category-changes", []), ("audit-events", []),
]


DEFAULT_PER_PAGE = {
    "allocation-list": 100, "execution": 100, "approval-queue": 50, "inspection-list": 50,
    "township-list": 50, "ranking-list": 100, "audit-category-changes": 50,
    "audit-events": 50,
}


PER_PAGE = [
    ("-1", 10), ("0", 10), ("1", 10), ("5", 10), ("200", 200), ("201", 200),
    ("100000", 200), ("99999999999999999999999", 200), ("abc", None), ("", None),
    ("1e3", None), ("٣", 10), (" 50 ", 50),
]


@pytest.mark.parametrize("name, args", LIST_PAGES, ids=[name for name, _args in LIST_PAGES])
def test_per_page_is_clamped_on_every_list_page(client, demo, admin_user, name, args):
    login(client, admin_user)
    default = client.get(reverse(name, args=args))
    assert default.status_code == 200
    default_per_page = default.context["table"].paginator.per_page
    assert default_per_page == DEFAULT_PER_PAGE[name]
    for per_page, expected in PER_PAGE:
        response = client.get(reverse(name, args=args), {"per_page": per_page})
        assert response.status_code == 200, (name, per_page)
        paginator = response.context["table"].paginator
        assert paginator.per_page == (expected or default_per_page), (name, per_page)
    for page in ("-1", "0", "abc", "99999999999999999999999", "1.5", "٢"):
        response = client.get(reverse(name, args=args), {"page": page, "per_page": "-1"})
        assert response.status_code == 200, (name, page)


BAD_CODES = ["abc", "5117811OO", "511781100\x00", "\x00", "511781100x", "5117 81100",
             "511781100\n", "٥١١٧٨١١٠٠", "1234567890123"]


def test_an_invalid_township_code_in_a_url_is_a_404(client, demo, admin_user):
    from urllib.parse import quote

    login(client, admin_user)
    for code in BAD_CODES:
        quoted = quote(code, safe="")
        for url in (f"/townships/{quoted}/", f"/ledger/{quoted}/2020/",
                    f"/ledger/{quoted}/2020/export.csv", f"/ledger/{quoted}/2020/export.xlsx",
                    f"/ledger/{quoted}/2020/new/"):
            response = client.get(url)
            assert response.status_code == 404, (url, response.status_code)
        response = client.post(f"/townships/{quoted}/category/", {"year": 2020, "category": 1})
        assert response.status_code == 404, code


@pytest.mark.parametrize("code", ["abc", "51/17", "5117\x00", "", "1234567890123"])
def test_a_url_cannot_be_built_for_an_invalid_code(code):
    from django.urls import NoReverseMatch

    for name, args in (("township-detail", [code]), ("ledger", [code, 2020]),
                       ("township-category-change", [code])):
        with pytest.raises(NoReverseMatch):
            reverse(name, args=args)


def test_every_url_with_a_township_code_uses_the_code_converter():
    from django.urls import get_resolver
    from django.urls.resolvers import URLPattern, URLResolver

    from townships.converters import TownshipCodeConverter

    def patterns(resolver):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                yield from patterns(entry)
            elif isinstance(entry, URLPattern):
                yield entry

    found = 0
    for pattern in patterns(get_resolver()):
        converters = getattr(pattern.pattern, "converters", {})
        if "code" in converters:
            found += 1
            assert isinstance(converters["code"], TownshipCodeConverter), str(pattern.pattern)
    # the township page, its category change, the ledger with its five pages and its
    # import, and a township's documents: the posting page and its downloads
    assert found == 10


@pytest.mark.parametrize("code", ["51/1781100", "511781 100", "abc", "511781100\n", "٥١١",
                                  "", "5117811000001"])
def test_a_township_code_must_be_digits(db, code):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        Township(code=code, name="新乡镇", kind="town").full_clean()
    assert "code" in caught.value.message_dict


def test_the_admin_refuses_a_township_code_with_a_slash(client, demo, admin_user):
    login(client, admin_user)
    township = Township.objects.get(code="511781100")
    url = reverse("admin:townships_township_change", args=[township.pk])
    response = client.post(url, {"code": "511781/100", "name": township.name,
                                 "kind": township.kind, "first_year": "", "last_year": "",
                                 "merged_into": ""})
    assert response.status_code == 200
    assert "数字" in response.content.decode()
    township.refresh_from_db()
    assert township.code == "511781100"
    response = client.post(reverse("admin:townships_township_add"), {
        "code": "5117/81999", "name": "新乡镇", "kind": "town", "first_year": "",
        "last_year": "", "merged_into": ""})
    assert response.status_code == 200
    assert not Township.objects.filter(name="新乡镇").exists()


def test_township_codes_of_the_fixtures_and_synthetic_data_are_valid(db, settings):
    from pathlib import Path

    from tests.bench.synthetic import synthetic_generate
    from townships.reference import read_township_list

    for path in sorted(Path(settings.BASE_DIR, "fixtures").glob("wanyuan-townships-*.csv")):
        for row in read_township_list(path):
            Township(**row).full_clean(validate_unique=False)
    synthetic_generate(townships=30, years=1)
    for township in Township.objects.all():
        township.full_clean()
        assert reverse("township-detail", args=[township.code]) == (
            f"/townships/{township.code}/")


def test_the_reference_list_refuses_a_code_that_is_not_plain_digits(tmp_path):
    from townships.reference import ReferenceDataError, read_township_list

    path = tmp_path / "list.csv"
    path.write_text("code,name,kind\n511781100,太平镇,town\n٥١١٧٨١١٠١,青花镇,town\n",
                    encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="3"):
        read_township_list(path)


# --- Request size (issue 14, item 8) ---------------------------------------------------

class _Unreadable:
    """A request body that must not be read."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


@pytest.mark.parametrize("name, args", [("rankings-import", [2020]), ("overview", []),
                                        ("login", [])])
def test_a_body_beyond_the_largest_upload_is_refused_unread(client, demo, staff_user,
                                                            settings, name, args):
    login(client, staff_user)
    size = settings.MAX_REQUEST_BYTES + 1
    response = client.post(reverse(name, args=args), CONTENT_LENGTH=str(size),
                           CONTENT_TYPE="multipart/form-data; boundary=x",
                           **{"wsgi.input": _Unreadable()})
    assert response.status_code == 413
    assert "上传的内容过大" in response.content.decode()


def test_the_request_limit_covers_every_upload_allowed(settings):
    largest = max(settings.VOUCHER_MAX_BYTES, settings.IMPORT_MAX_BYTES)
    assert largest < settings.MAX_REQUEST_BYTES <= largest + 1024 * 1024
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 4 * 1024 * 1024
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 2.5 * 1024 * 1024
    middleware = settings.MIDDLEWARE
    limit = middleware.index("wanyuan.request_size.RequestSizeLimitMiddleware")
    assert limit < middleware.index("django.middleware.csrf.CsrfViewMiddleware")
    assert all(limit < middleware.index(m) for m in middleware if "session" in m.lower())


def test_a_body_within_the_limit_is_read(client, demo, staff_user, settings):
    login(client, staff_user)
    upload = io.BytesIO("乡镇,排名\n太平乡,1\n".encode())
    upload.name = "bad.csv"
    response = client.post(reverse("rankings-import", args=[2020]), {"file": upload})
    assert response.status_code == 400  # read and refused by the import, with its reasons


def test_the_deployment_docs_name_the_proxy_body_limit(settings):
    from pathlib import Path

    readme = Path(settings.BASE_DIR, "README.md").read_text(encoding="utf-8")
    assert "client_max_body_size" in readme
