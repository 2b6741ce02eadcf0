"""The township, ranking and audit list pages: access, filters, empty states, query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from funds.yearly import services
from tests.conftest import login
from townships.models import (
    AssessmentResult,
    AuditEvent,
    CategoryChange,
    CategorySource,
    Township,
    TownshipCategory,
)

LIST_PAGES = [
    ("township-list", {}),
    ("ranking-list", {"year": 2020}),
    ("audit-category-changes", {}),
    ("audit-events", {}),
]


# each list's page size: every one of them holds more than a page at 500 townships
PER_PAGE = {"township-list": 50, "ranking-list": 100, "audit-category-changes": 50,
            "audit-events": 50}


def _grow_to_500(admin_user):
    """448 more townships, each with a category, a rank and an audit record in 2020."""
    now = timezone.now()
    townships = Township.objects.bulk_create(
        Township(code=f"9{i:08d}", name=f"测试乡{i}", kind="township") for i in range(448))
    TownshipCategory.objects.bulk_create(
        TownshipCategory(township=t, year=2020, category=3, source=CategorySource.INITIAL,
                         changed_at=now) for t in townships)
    AssessmentResult.objects.bulk_create(
        AssessmentResult(township=t, year=2020, rank=53 + i) for i, t in enumerate(townships))
    CategoryChange.objects.bulk_create(
        CategoryChange(township=t, year=2020, new_category=3, source=CategorySource.INITIAL,
                       reason="测试", changed_by=admin_user, changed_at=now)
        for t in townships)
    AuditEvent.objects.bulk_create(
        AuditEvent(action=AuditEvent.Action.CATEGORIES_IMPORTED, year=2020, summary=f"测试{i}",
                   actor=admin_user) for i in range(448))
    assert Township.objects.count() == 500


@pytest.mark.parametrize(("name", "kwargs"), LIST_PAGES, ids=[p[0] for p in LIST_PAGES])
def test_list_page_query_count_is_pinned_at_52_and_500(client, demo, admin_user, name, kwargs):
    services.reclassification_apply(year=2020, acting_user=admin_user)  # audit rows to list
    login(client, admin_user)
    url = reverse(name, kwargs=kwargs)
    client.get(url)  # the first visit remembers the year in the session; count the next
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _grow_to_500(admin_user)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
        assert response.status_code == 200
    assert len(large) == len(small) <= 12, "\n".join(q["sql"][:150] for q in large)
    # long lists are paginated: a page never holds all 500 rows
    table = response.context["table"]
    assert len(table.page.object_list) == table.paginator.per_page == PER_PAGE[name]


@pytest.mark.parametrize(("name", "kwargs"), LIST_PAGES, ids=[p[0] for p in LIST_PAGES])
def test_list_pages_are_closed_to_clerks(client, demo, clerk_user, name, kwargs):
    login(client, clerk_user)
    assert client.get(reverse(name, kwargs=kwargs)).status_code == 403


def test_township_list_filters_by_kind_and_category(client, demo, staff_user):
    login(client, staff_user)
    response = client.get(reverse("township-list"), {"kind": "town", "category": "1"})
    rows = list(response.context["table"].rows)
    expected = TownshipCategory.objects.filter(year=2020, category=1,
                                               township__kind="town").count()
    assert len(rows) == expected > 0
    assert all(r.record.kind == "town" and r.record.category == 1 for r in rows)


def test_township_list_shows_units_that_ended_with_their_successor(client, demo, staff_user):
    a, b = Township.objects.order_by("code")[:2]
    Township.objects.filter(pk=b.pk).update(last_year=2019, merged_into=a)
    login(client, staff_user)
    ended = client.get(reverse("township-list"), {"status": "ended"})
    assert [r.record.code for r in ended.context["table"].rows] == [b.code]
    assert a.name in ended.content.decode()
    in_service = client.get(reverse("township-list"), {"status": "in_service"})
    assert len(in_service.context["table"].rows) == 51


def test_ranking_list_shows_who_moves_once_applied(client, demo, admin_user):
    login(client, admin_user)
    before = client.get(reverse("ranking-list", args=[2020]), {"moved": "up"})
    assert len(before.context["table"].rows) == 0  # 2021 not set yet
    assert "2021 年度的类别尚未确定" in before.content.decode()
    record = services.reclassification_apply(year=2020, acting_user=admin_user)
    up = client.get(reverse("ranking-list", args=[2020]), {"moved": "up"})
    down = client.get(reverse("ranking-list", args=[2020]), {"moved": "down"})
    assert len(up.context["table"].rows) == record.promoted
    assert len(down.context["table"].rows) == record.demoted
    assert "↑" in up.content.decode()


def test_ranking_list_without_a_ranking_says_what_to_do(client, demo, admin_user):
    AssessmentResult.objects.all().delete()
    login(client, admin_user)
    response = client.get(reverse("ranking-list", args=[2020]))
    body = response.content.decode()
    assert "尚未导入" in body
    assert reverse("rankings-import", args=[2020]) in body


def test_audit_list_filters_by_source_and_an_invalid_year_shows_no_rows(
        client, demo, admin_user):
    services.reclassification_apply(year=2020, acting_user=admin_user)
    login(client, admin_user)
    url = reverse("audit-category-changes")
    by_source = client.get(url, {"source": "reclassification"})
    assert by_source.context["row_count"] == 52
    invalid = client.get(url, {"year": "abc"})
    assert invalid.status_code == 200
    assert invalid.context["row_count"] == 0
    assert "年度：输入一个数字" in invalid.content.decode()


def test_audit_text_is_escaped(client, demo, admin_user):
    AuditEvent.objects.create(action=AuditEvent.Action.CATEGORIES_IMPORTED, year=2020,
                              summary="<script>alert(1)</script>", actor=admin_user)
    login(client, admin_user)
    body = client.get(reverse("audit-events")).content.decode()
    assert "<script>alert(1)" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_audit_list_shows_the_old_and_new_category(client, demo, admin_user):
    services.reclassification_apply(year=2020, acting_user=admin_user)
    login(client, admin_user)
    body = client.get(reverse("audit-category-changes"), {"source": "reclassification"})
    html = body.content.decode()
    assert '<span class="tier tier-2">二类</span>' in html
    assert '<span class="tier tier-1">一类</span>' in html
