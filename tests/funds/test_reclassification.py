"""Preview, apply (once), revert; the demo cycle 2020 → 2021; concurrency on PostgreSQL."""

import csv
import io
import threading
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from funds.budget.selectors import budget_check_get
from funds.models import FundYear
from funds.yearly import services
from tests.conftest import login
from townships.models import (
    AuditEvent,
    CategoryChange,
    Reclassification,
    Township,
    TownshipCategory,
)
from townships.services import ReclassificationError, assessment_results_replace


def test_preview_lists_every_change_with_reason_and_budget_impact(demo):
    preview = services.reclassification_preview(fund_year=demo)
    result = preview.result
    assert result.ok and result.ranked_count == 52
    # the demo ranking ties at rank 5 (promoted whole) and straddles the demotion cut at 47
    zone_up = [d for d in result.decisions if d.rank is not None and d.rank <= 5]
    assert len(zone_up) == 6
    zone_down = [d for d in result.decisions if d.move.value in ("demoted", "kept_at_bottom")]
    assert sorted(d.rank for d in zone_down) == [49, 50, 51, 52]
    changed = result.changes
    assert all("第" in d.reason and "名/共52名" in d.reason for d in changed)
    assert preview.budget_before.standards_total == Decimal("7720000.00")
    expected_after = sum(preview.next_fund_year.standard_for(d.new_category)
                         for d in result.decisions)
    assert preview.budget_after.standards_total == expected_after
    assert preview.next_year_is_new and preview.can_apply


def test_apply_creates_next_year_and_cannot_run_twice(demo, admin_user):
    before = services.reclassification_preview(fund_year=demo).result
    start = timezone.now()
    record = services.reclassification_apply(year=2020, acting_user=admin_user)
    assert record.applied_by == admin_user
    assert start <= record.applied_at <= timezone.now()
    assert TownshipCategory.objects.filter(year=2021, source="reclassification").count() == 52
    next_year = FundYear.objects.get(year=2021)
    assert next_year.special_fund == demo.special_fund
    new = dict(TownshipCategory.objects.filter(year=2021).values_list("township_id", "category"))
    assert new == {d.key: d.new_category for d in before.decisions}
    # every changed category has an audit record naming its rank and the rule
    changes = CategoryChange.objects.filter(reclassification=record)
    assert changes.count() == 52
    for change in changes.exclude(old_category=F("new_category")):
        assert "名/共52名" in change.reason and "年度调整规则" in change.reason
    with pytest.raises(ReclassificationError, match="已经执行过"):
        services.reclassification_apply(year=2020, acting_user=admin_user)
    assert Reclassification.objects.count() == 1
    assert TownshipCategory.objects.filter(year=2021).count() == 52


def test_the_database_refuses_a_second_active_application(demo, admin_user):
    services.reclassification_apply(year=2020, acting_user=admin_user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reclassification.objects.create(
            year=2020, promote_count=5, demote_count=5, ranked_count=52, promoted=0,
            demoted=0, counts_before={}, counts_after={}, applied_by=admin_user,
            applied_at=timezone.now())


def test_ranking_import_is_refused_once_applied_and_allowed_after_revert(demo, admin_user):
    services.reclassification_apply(year=2020, acting_user=admin_user)
    rows = []
    with pytest.raises(ReclassificationError, match="先撤销"):
        assessment_results_replace(year=2020, rows=rows, acting_user=admin_user, source_name="x")
    record = Reclassification.objects.get()
    from townships.services import reclassification_revert

    reclassification_revert(record=record, reason="排名有误", acting_user=admin_user)
    assert not TownshipCategory.objects.filter(year=2021).exists()
    record.refresh_from_db()
    assert record.reverted_by == admin_user and record.revert_reason == "排名有误"
    assert AuditEvent.objects.filter(action="reclassification_reverted").exists()
    # the removal of each 2021 category is itself audited
    assert CategoryChange.objects.filter(year=2021, new_category__isnull=True).count() == 52
    # applying again is possible after the revert
    services.reclassification_apply(year=2020, acting_user=admin_user)
    assert Reclassification.objects.filter(reverted_at__isnull=True).count() == 1


def test_revert_is_refused_when_later_changes_depend_on_it(demo, admin_user):
    from townships.services import reclassification_revert, township_category_set

    record = services.reclassification_apply(year=2020, acting_user=admin_user)
    township_category_set(township=Township.objects.get(name="太平镇"), year=2021, category=3,
                          reason="人工复核", acting_user=admin_user)
    with pytest.raises(ReclassificationError, match="不能撤销"):
        reclassification_revert(record=record, reason="x", acting_user=admin_user)
    assert TownshipCategory.objects.filter(year=2021).count() == 52


def test_after_applying_2020_the_2021_pages_show_the_new_categories(client, demo, admin_user):
    record = services.reclassification_apply(year=2020, acting_user=admin_user)
    fund_year = FundYear.objects.get(year=2021)
    check = budget_check_get(fund_year=fund_year)
    assert check.counts == {int(k): v for k, v in record.counts_after.items()}
    login(client, admin_user)
    response = client.get(reverse("allocation-list", args=[2021]))
    assert response.status_code == 200
    assert response.context["budget"] == check
    body = b"".join(client.get(reverse("allocation-export-csv", args=[2021])).streaming_content)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert Decimal(rows[-1][6]) == check.standards_total
    categories = {r[0]: r[3] for r in rows[1:-1]}
    for tc in TownshipCategory.objects.filter(year=2021).select_related("township"):
        assert categories[tc.township.code] == {1: "一类", 2: "二类", 3: "三类"}[tc.category]


def test_dashboard_preview_and_apply(client, demo, admin_user):
    login(client, admin_user)
    url = reverse("reclassification", args=[2020])
    page = client.get(url).content.decode()
    assert "确认执行" in page and "名/共52名" in page
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse(
        "allocation-list", args=[2021])
    response = client.post(url, follow=True)
    assert "已经执行过" in response.content.decode()
    assert Reclassification.objects.count() == 1


def test_staff_may_not_apply(client, demo, staff_user):
    login(client, staff_user)
    assert client.post(reverse("reclassification", args=[2020])).status_code == 403
    assert not Reclassification.objects.exists()


def test_admin_action_previews_then_applies(client, demo, admin_user):
    login(client, admin_user)
    url = "/admin/funds/fundyear/"
    response = client.post(url, {"action": "apply_reclassification",
                                 "_selected_action": [demo.pk]})
    assert response.status_code == 200
    assert "确认执行" in response.content.decode()
    assert not Reclassification.objects.exists()
    response = client.post(url, {"action": "apply_reclassification",
                                 "_selected_action": [demo.pk], "confirm": "yes"})
    assert response.status_code == 302
    assert Reclassification.objects.get().applied_by == admin_user


def test_reclassify_command_dry_run_and_apply(demo, admin_user, capsys):
    call_command("reclassify", "--year", "2020", "--dry-run")
    out = capsys.readouterr().out
    assert "名/共52名" in out and "一类" in out
    assert not Reclassification.objects.exists()
    with pytest.raises(CommandError):
        call_command("reclassify", "--year", "2020")  # no --user: who applied it?
    call_command("reclassify", "--year", "2020", "--user", admin_user.username)
    assert Reclassification.objects.count() == 1
    with pytest.raises(CommandError):
        call_command("reclassify", "--year", "2020", "--user", admin_user.username)


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="row locks across two connections need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_administrators_confirming_at_once_apply_exactly_once(admin_user):
    from demo.data import demo_data_load

    demo_data_load()
    barrier = threading.Barrier(2)
    outcomes = []

    def apply():
        try:
            barrier.wait()
            services.reclassification_apply(year=2020, acting_user=admin_user)
            outcomes.append("applied")
        except ReclassificationError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=apply) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["applied", "refused"]
    assert Reclassification.objects.count() == 1
    assert TownshipCategory.objects.filter(year=2021).count() == 52


def test_merger_ends_abolished_units_and_opens_new_ones(demo, admin_user, client):
    call_command("apply_merger", "--user", admin_user.username)
    assert Township.objects.in_service(2020).count() == 52
    assert Township.objects.in_service(2021).count() == 31
    liu = Township.objects.get(name="梨树乡")
    assert liu.last_year == 2020 and liu.merged_into.name == "官渡镇"
    new = Township.objects.get(name="古东关街道")
    assert new.first_year == 2021 and new.kind == "subdistrict"
    call_command("apply_merger", "--user", admin_user.username)  # again: nothing changes
    assert Township.objects.count() == 56
    record = services.reclassification_apply(year=2020, acting_user=admin_user)
    # abolished units get no 2021 category; the 4 new ones need one from an administrator
    assert TownshipCategory.objects.filter(year=2021).count() == 27
    login(client, admin_user)
    response = client.get(reverse("allocation-list", args=[2021]))
    assert len(response.context["uncategorised"]) == 4
    assert "古东关街道" in response.content.decode()
    assert record.target_year == 2021


def test_categories_set_for_new_units_before_applying_are_kept(demo, admin_user):
    from townships.services import reclassification_revert, township_category_set

    call_command("apply_merger", "--user", admin_user.username)
    new_unit = Township.objects.get(name="古东关街道")
    township_category_set(township=new_unit, year=2021, category=2, reason="新设街道定为二类",
                          acting_user=admin_user)
    record = services.reclassification_apply(year=2020, acting_user=admin_user)
    assert TownshipCategory.objects.filter(year=2021).count() == 28
    assert TownshipCategory.objects.get(township=new_unit, year=2021).source == "manual"
    reclassification_revert(record=record, reason="重新核对", acting_user=admin_user)
    assert list(TownshipCategory.objects.filter(year=2021).values_list("township__name", flat=True)) == ["古东关街道"]


def test_apply_refuses_to_overwrite_a_category_already_set_for_next_year(demo, admin_user):
    from townships.services import township_category_set

    township_category_set(township=Township.objects.get(name="太平镇"), year=2021, category=3,
                          reason="提前设定", acting_user=admin_user)
    with pytest.raises(ReclassificationError, match="覆盖"):
        services.reclassification_apply(year=2020, acting_user=admin_user)
    assert not Reclassification.objects.exists()
    assert TownshipCategory.objects.filter(year=2021).count() == 1
