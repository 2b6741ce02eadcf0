"""The data version: every write of townships or categories changes it, nothing else does,
and the budget check's cached counts follow it."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from funds.budget.selectors import year_category_counts
from funds.models import Expenditure, FundYear
from townships import services
from townships.models import DataVersion, Township, TownshipCategory
from townships.reference import townships_load

from ..conftest import login

# Every test commits its writes, as requests and commands do: on PostgreSQL the token
# changes once per transaction, so a test that was one transaction would see one change.
pytestmark = pytest.mark.django_db(transaction=True)


def _category(township, year=2020, category=2):
    return TownshipCategory.objects.create(township=township, year=year, category=category,
                                           source="manual", changed_at=timezone.now())


def _token() -> str:
    """The stored token (DataVersion.current() hides it from the writing transaction on
    PostgreSQL); None where a flush of the database removed the row."""
    return DataVersion.objects.filter(pk=1).values_list("token", flat=True).first()


def _changes(write) -> bool:
    before = _token()
    write()
    after = _token()
    assert after is not None
    return after != before


@pytest.fixture
def town(db):
    return Township.objects.create(code="900000001", name="测试乡", kind="township")


def test_without_the_row_nothing_is_cached_until_the_next_write(demo):
    """Migrations create the row; a flush of the database removes it."""
    DataVersion.objects.all().delete()
    assert DataVersion.current() is None
    counts = year_category_counts(2020)
    with CaptureQueriesContext(connection) as uncached:
        assert year_category_counts(2020) == counts
    assert len(uncached) == 2  # the token, the counts
    _category(Township.objects.create(code="900000009", name="新乡", kind="town"))
    assert len(DataVersion.current()) == 32


@pytest.mark.parametrize("write", [
    "create township", "rename township", "end service", "delete township",
    "create category", "change category", "delete category", "bulk create categories",
    "update categories in bulk", "plain SQL",
])
def test_every_write_of_townships_or_categories_changes_the_token(town, write):
    category = _category(town)
    other = Township.objects.create(code="900000002", name="另一乡", kind="town")
    table = connection.ops.quote_name(TownshipCategory._meta.db_table)
    writes = {
        "create township": lambda: Township.objects.create(code="900000003", name="新乡",
                                                           kind="town"),
        "rename township": lambda: Township.objects.filter(pk=town.pk).update(name="改名乡"),
        "end service": lambda: Township.objects.filter(pk=town.pk).update(last_year=2020),
        "delete township": lambda: Township.objects.filter(pk=other.pk).delete(),
        "create category": lambda: _category(other),
        "change category": lambda: TownshipCategory.objects.filter(pk=category.pk)
        .update(category=1),
        "delete category": lambda: category.delete(),
        "bulk create categories": lambda: TownshipCategory.objects.bulk_create(
            [TownshipCategory(township=t, year=2021, category=3, source="import",
                              changed_at=timezone.now()) for t in (town, other)]),
        "update categories in bulk": lambda: TownshipCategory.objects.update(reason="x"),
        "plain SQL": lambda: connection.cursor().execute(
            f"DELETE FROM {table} WHERE id = %s", [category.pk]),  # noqa: S608
    }
    assert _changes(writes[write])


def test_reads_and_other_tables_leave_the_token_alone(town, admin_user):
    _category(town)
    fund_year = FundYear.objects.create(year=2020, special_fund=Decimal("6690000.00"))

    def unrelated():
        list(Township.objects.in_service_with_year(2020))
        year_category_counts(2020)
        fund_year.promote_count = 3
        fund_year.save()
        Expenditure.objects.filter(year=2020).delete()

    assert not _changes(unrelated)


def test_a_rolled_back_write_leaves_the_old_token(town):
    before = _token()
    with pytest.raises(RuntimeError), transaction.atomic():
        _category(town)
        assert _token() != before
        raise RuntimeError
    assert _token() == before


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_the_writing_transaction_reads_no_token_on_postgresql(town):
    """PostgreSQL changes the token once per transaction; a later write of the same
    transaction would not change it, so the transaction itself must cache nothing."""
    before = _token()
    with transaction.atomic():
        _category(town)
        first = _token()
        assert first != before
        assert DataVersion.current() is None
        Township.objects.filter(pk=town.pk).update(name="改名乡")
        assert _token() == first  # once per transaction: a loop of saves stays linear
    assert DataVersion.current() == first


def test_counts_read_between_two_writes_of_one_transaction_are_not_reused(demo):
    """Counts read after the first write of a transaction are not served after its
    second: SQLite changes the token with each write, PostgreSQL reads none inside."""
    townships = list(Township.objects.order_by("code")[:2])
    TownshipCategory.objects.filter(year=2020, township__in=townships).delete()
    with transaction.atomic():
        _category(townships[0], category=1)
        between = year_category_counts(2020)
        _category(townships[1], category=1)
        after = year_category_counts(2020)
    assert between[None] == 1
    assert after == {1: between[1] + 1, 2: between[2], 3: between[3]}


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_truncate_changes_the_token_on_postgresql(town):
    _category(town)
    connection.check_constraints()  # no deferred checks pending, or TRUNCATE is refused
    table = connection.ops.quote_name(TownshipCategory._meta.db_table)
    assert _changes(lambda: connection.cursor().execute(f"TRUNCATE {table}"))
    assert not TownshipCategory.objects.exists()


# The caching tests commit their writes, as requests do: on PostgreSQL a transaction
# that wrote caches nothing (see above), and every other test here is one transaction.
@pytest.mark.django_db(transaction=True)
def test_counts_are_cached_until_a_category_changes(demo, admin_user):
    counts = year_category_counts(2020)
    version = DataVersion.current()
    with CaptureQueriesContext(connection) as cached:
        assert year_category_counts(2020, version) == counts
    assert len(cached) == 0

    township = TownshipCategory.objects.filter(year=2020, category=3).first().township
    services.township_category_set(township=township, year=2020, category=1,
                                   reason="复核调整", acting_user=admin_user)
    after = year_category_counts(2020)
    assert after == {**counts, 1: counts[1] + 1, 3: counts[3] - 1}
    # and a unit that leaves service leaves the counts
    Township.objects.filter(pk=township.pk).update(last_year=2019)
    assert year_category_counts(2020) == {**after, 1: after[1] - 1}


def test_loading_townships_changes_the_token(loader):
    assert _changes(lambda: townships_load(path=settings.TOWNSHIPS_FILE, acting_user=loader))


@pytest.mark.django_db(transaction=True)
def test_the_allocation_page_shows_a_changed_category_at_once(client, demo, admin_user):
    login(client, admin_user)
    url = reverse("allocation-list", args=[2020])
    first = client.get(url).context["budget"].counts
    with CaptureQueriesContext(connection) as second:
        assert client.get(url).context["budget"].counts == first
    with CaptureQueriesContext(connection) as missed:  # a new process: nothing cached
        from django.core.cache import cache

        cache.clear()
        client.get(url)
    assert len(second) == len(missed) - 1  # the counts came from the cache

    township = TownshipCategory.objects.filter(year=2020, category=2).first().township
    services.township_category_set(township=township, year=2020, category=3,
                                   reason="复核调整", acting_user=admin_user)
    counts = client.get(url).context["budget"].counts
    assert counts == {**first, 2: first[2] - 1, 3: first[3] + 1}
