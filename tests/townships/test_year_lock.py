"""A year's ranking and categories cannot change under a reclassification (issue 14, item 7).

Two real PostgreSQL connections: the first runs one of the year's writes in a transaction
and holds it open; the second starts another meanwhile. Whatever the second does, once both
have ended the stored ranking, the reclassification and the next year's categories agree.
Without the year lock (townships.services.year_lock) each of these races leaves them
contradicting each other or ends in a database error.

SQLite lets one writer in at a time (transaction_mode IMMEDIATE), so there is no race there.
"""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from funds.models import FundYear
from funds.yearly import services as fund_services
from townships import services
from townships.models import (
    AssessmentResult,
    AuditEvent,
    CategoryChange,
    CategorySource,
    Reclassification,
    Township,
    TownshipCategory,
)
from townships.services import RankingRow, ReclassificationError

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="two connections racing need PostgreSQL; SQLite lets one "
                              "writer in at a time"),
    pytest.mark.django_db(transaction=True),
]

TIMEOUT = 20


def _race(first, second):
    """Run ``first`` in a transaction held open until ``second``, started meanwhile on
    another connection, waits on a lock or ends. Returns both outcomes (a result or the
    exception raised)."""
    started = threading.Barrier(3, timeout=TIMEOUT)
    release = threading.Event()
    second_done = threading.Event()
    pids, outcomes = {}, {}

    def prepare(name):
        with connections["default"].cursor() as cursor:
            cursor.execute(f"SET lock_timeout = '{TIMEOUT}s'")
            cursor.execute("SELECT pg_backend_pid()")
            pids[name] = cursor.fetchone()[0]

    def run_first():
        try:
            prepare("first")
            with transaction.atomic():
                outcomes["first"] = first()
                started.wait()
                release.wait(TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - reported in the outcome
            outcomes["first"] = exc
            started.abort()
        finally:
            connections.close_all()

    def run_second():
        try:
            prepare("second")
            started.wait()
            outcomes["second"] = second()
        except Exception as exc:  # noqa: BLE001 - reported in the outcome
            outcomes["second"] = exc
        finally:
            second_done.set()
            connections.close_all()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    started.wait()
    deadline = time.monotonic() + TIMEOUT
    while not second_done.is_set() and time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE pid = %s AND NOT granted",
                           [pids["second"]])
            if cursor.fetchone()[0]:
                break  # the second waits for the first: let the first commit
        time.sleep(0.01)
    release.set()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes["first"], outcomes["second"]


def _ranking(year=2020):
    return dict(AssessmentResult.objects.filter(year=year).values_list("township_id", "rank"))


def _reversed_ranking(year=2020):
    """The stored ranking turned upside down: who was promoted is now demoted."""
    results = AssessmentResult.objects.filter(year=year).select_related("township")
    ordered = sorted(results, key=lambda r: (-r.rank, r.township.code))
    return [RankingRow(r.township, position, None) for position, r in enumerate(ordered, 1)]


def _categories(year):
    return dict(TownshipCategory.objects.filter(year=year).values_list("township_id", "category"))


def _ruled_categories(year=2020):
    """year+1's categories as the rule derives them from year's stored ranking and
    categories now."""
    fund_year = FundYear.objects.get(year=year)
    result = services.reclassification_preview(
        year=year, promote_count=fund_year.promote_count, demote_count=fund_year.demote_count)
    return {d.key: d.new_category for d in result.decisions if d.new_category is not None}


def _apply(admin_user):
    return lambda: fund_services.reclassification_apply(year=2020, acting_user=admin_user)


def _ranking_import(admin_user, rows):
    return lambda: services.assessment_results_replace(
        year=2020, rows=rows, acting_user=admin_user, source_name="rankings-2020-b.csv")


def test_a_ranking_import_during_the_apply_is_refused(demo, admin_user):
    before = _ranking()
    applied, imported = _race(_apply(admin_user),
                              _ranking_import(admin_user, _reversed_ranking()))
    assert isinstance(applied, Reclassification)
    assert isinstance(imported, ReclassificationError), imported
    assert _ranking() == before
    assert _categories(2021) == _ruled_categories()


def test_an_apply_during_a_ranking_import_applies_the_new_ranking(demo, admin_user):
    old = _ruled_categories()
    rows = _reversed_ranking()
    imported, applied = _race(_ranking_import(admin_user, rows), _apply(admin_user))
    assert imported == 52
    assert isinstance(applied, Reclassification), applied
    assert _ranking() == {r.township.pk: r.rank for r in rows}
    assert _categories(2021) == _ruled_categories() != old


def test_an_apply_during_a_category_edit_of_the_year_it_reads_sees_the_edit(demo, admin_user):
    """The apply of 2020 reads the 2020 categories: an edit of one waits for it, or it
    for the edit, never half and half."""
    fund_year = FundYear.objects.get(year=2020)
    preview = services.reclassification_preview(
        year=2020, promote_count=fund_year.promote_count, demote_count=fund_year.demote_count)
    # A 二类 township the rule moves: edited to the category on the other side of 二类,
    # the same move brings it back to 二类 instead.
    moved = next(d for d in preview.decisions if d.old_category == 2 and d.changed)
    edited_to = 3 if moved.new_category == 1 else 1
    township = Township.objects.get(pk=moved.key)

    def edit():
        return services.township_category_set(
            township=township, year=2020, category=edited_to, reason="复核后调整",
            acting_user=admin_user)

    edited, applied = _race(edit, _apply(admin_user))
    assert edited.category == edited_to
    assert isinstance(applied, Reclassification), applied
    assert _categories(2021) == _ruled_categories()
    assert _categories(2021)[township.pk] == 2


def test_an_apply_during_a_category_edit_of_the_next_year_is_refused(demo, admin_user):
    """A category set for 2021 by hand meanwhile is not overwritten (nor a database error)."""
    township = Township.objects.in_service(2021).order_by("code").first()

    def edit():
        return services.township_category_set(
            township=township, year=2021, category=2, reason="新设单位定为二类",
            acting_user=admin_user)

    edited, applied = _race(edit, _apply(admin_user))
    assert edited.category == 2
    assert isinstance(applied, ReclassificationError), applied
    assert not Reclassification.objects.exists()
    assert _categories(2021) == {township.pk: 2}


def test_a_revert_during_a_manual_edit_of_what_it_wrote_is_refused(demo, admin_user):
    """Editing a 2021 category after the apply is allowed with a reason; a revert that
    starts meanwhile waits for it and then refuses, rather than deleting the edit."""
    record = fund_services.reclassification_apply(year=2020, acting_user=admin_user)
    township = Township.objects.order_by("code").first()
    new_category = 1 if _categories(2021)[township.pk] != 1 else 2

    def edit():
        return services.township_category_set(
            township=township, year=2021, category=new_category, reason="复核后调整",
            acting_user=admin_user)

    def revert():
        return services.reclassification_revert(record=record, reason="重新核对",
                                                acting_user=admin_user)

    edited, reverted = _race(edit, revert)
    assert edited.category == new_category
    assert isinstance(reverted, ReclassificationError), reverted
    assert Reclassification.objects.get().reverted_at is None
    assert _categories(2021)[township.pk] == new_category
    assert TownshipCategory.objects.get(township=township, year=2021).source == (
        CategorySource.MANUAL)
    assert len(_categories(2021)) == 52
    assert not CategoryChange.objects.filter(year=2021, new_category=None).exists()


def test_a_category_import_of_the_next_year_during_the_apply_comes_after_it(demo, admin_user):
    """Allowed after the apply, as today (with the import's note as reason), but not
    interleaved with it: the import sees the applied categories and counts only what it
    changed."""
    ruled = _ruled_categories()
    same, other = sorted(ruled)[:2]
    rows = [services.CategoryRow(Township.objects.get(pk=same), ruled[same]),
            services.CategoryRow(Township.objects.get(pk=other), 3 if ruled[other] != 3 else 2)]

    def categories_import():
        return services.categories_import(
            year=2021, rows=rows, acting_user=admin_user, source_name="categories-2021.csv",
            reason="复核")

    applied, changed = _race(_apply(admin_user), categories_import)
    assert isinstance(applied, Reclassification)
    assert changed == 1, changed
    assert AuditEvent.objects.get(action=AuditEvent.Action.CATEGORIES_IMPORTED,
                                  year=2021).details["changed"] == 1
    assert _categories(2021) == {**ruled, other: rows[1].category}
    assert TownshipCategory.objects.get(township_id=other, year=2021).source == (
        CategorySource.IMPORT)
