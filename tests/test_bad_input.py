"""Open-ended bad input, with hypothesis: exports, amounts, years and filters in URLs."""

import csv
import io
import unicodedata
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funds.exports import FORMULA_TRIGGERS, neutralise
from funds.forms import ExpenditureForm
from funds.models import SpendingCategory
from tests.conftest import login
from townships.models import Township

FIXTURES_OK = settings(max_examples=40, deadline=None,
                       suppress_health_check=[HealthCheck.function_scoped_fixture])


@given(st.text())
def test_a_neutralised_cell_is_inert_in_a_spreadsheet(text):
    cell = neutralise(text)
    assert all(ch in "\t\n" or unicodedata.category(ch) != "Cc" for ch in cell)
    assert cell == "" or not cell.startswith(FORMULA_TRIGGERS) or cell.startswith("'")
    # nothing printable is lost: the cell is the text without control characters,
    # at most behind one apostrophe
    printable = "".join(ch for ch in text if ch in "\t\n" or unicodedata.category(ch) != "Cc")
    assert cell in (printable, "'" + printable)


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
    if form.is_valid():
        value = form.cleaned_data["amount"]
        assert value > 0 and value == value.quantize(Decimal("0.01"))
        assert value < Decimal("1e12")


@FIXTURES_OK
@given(year=st.integers(min_value=0, max_value=2**63 - 1))
def test_any_year_in_a_url_is_a_page_or_404(client, demo, staff_user, year):
    login(client, staff_user)
    for name in ("allocation-list", "allocation-export-csv", "ranking-list", "execution"):
        response = client.get(reverse(name, args=[year]))
        if name == "ranking-list":  # a year without a ranking says so
            assert response.status_code == 200
        else:
            assert response.status_code in (200, 404), (name, year)
            assert (response.status_code == 200) == (year == 2020)


@FIXTURES_OK
@given(query=st.dictionaries(st.sampled_from(["category", "kind", "name", "sort", "page"]),
                             st.text(max_size=12)))
def test_any_filter_gives_the_filtered_rows_or_400_never_all(client, demo, finance_user,
                                                              query):
    login(client, finance_user)
    response = client.get(reverse("allocation-export-csv", args=[2020]), query)
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content)
                                           .decode("utf-8-sig"))))[1:-1]
        category = query.get("category", "")
        if category:
            labels = {"1": "一类", "2": "二类", "3": "三类"}
            assert {r[3] for r in rows} <= {labels[category]}
    page = client.get(reverse("allocation-list", args=[2020]), query)
    assert page.status_code in (200, 404)  # an out-of-range page number is a 404


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
