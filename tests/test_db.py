"""wanyuan.db.stream_rows: the rows of the ORM, streamed, on both databases."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funds.budget.selectors import allocation_queryset
from funds.models import FundYear
from townships.models import Township
from wanyuan.db import stream_rows

pytestmark = pytest.mark.django_db


def _rows(fund_year):
    return allocation_queryset(fund_year).order_by("code").values_list(
        "code", "name", "category", "rank", "score", "standard_amount", "first_year")


def test_streamed_rows_equal_the_querysets_own(demo):
    fund_year = FundYear.objects.get(year=2020)
    Township.objects.filter(code="511781100").update(name="太平镇\n'\"，")
    expected = list(_rows(fund_year))
    assert len(expected) == 52
    assert list(stream_rows(_rows(fund_year), chunk_size=7)) == expected


def test_a_stream_is_one_logged_query(demo):
    fund_year = FundYear.objects.get(year=2020)
    with CaptureQueriesContext(connection) as captured:
        assert sum(1 for _ in stream_rows(_rows(fund_year), chunk_size=5)) == 52
    assert len(captured) == 1
    assert "townships_township" in captured[0]["sql"]


def test_a_stream_closed_early_leaves_the_connection_usable(demo):
    fund_year = FundYear.objects.get(year=2020)
    rows = stream_rows(_rows(fund_year), chunk_size=5)
    first = next(rows)
    rows.close()  # a client that drops the download half-way
    assert first == _rows(fund_year)[0]
    assert Township.objects.count() == 52


def test_an_empty_result_streams_nothing(demo):
    fund_year = FundYear.objects.get(year=2020)
    assert list(stream_rows(_rows(fund_year).filter(code="none"))) == []
