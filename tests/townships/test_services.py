"""Service conventions: every township write checks the acting user's permission inside
the service, whatever door it came through, and names its actor in the audit trail."""

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied

from townships import services
from townships.models import (
    AssessmentResult,
    AuditEvent,
    Category,
    CategoryChange,
    Reclassification,
    Township,
    TownshipCategory,
)
from townships.reference import merger_apply, read_township_list
from townships.services import CategoryRow, RankingRow

MERGER_LIST = settings.BASE_DIR / "fixtures" / "wanyuan-townships-2020-reform.csv"


def _writes(demo, user):
    taiping = Township.objects.get(name="太平镇")
    return {
        "category set": lambda: services.township_category_set(
            township=taiping, year=2020, category=Category.FIRST, reason="test",
            acting_user=user),
        "categories import": lambda: services.categories_import(
            year=2020, rows=[CategoryRow(township=taiping, category=Category.FIRST)],
            acting_user=user, source_name="c.csv"),
        "ranking import": lambda: services.assessment_results_replace(
            year=2020, rows=[RankingRow(township=taiping, rank=1, score=None)],
            acting_user=user, source_name="r.csv"),
        "reclassification": lambda: services.reclassification_apply(
            year=2020, promote_count=3, demote_count=3, acting_user=user),
        "merger": lambda: merger_apply(rows=read_township_list(MERGER_LIST),
                                       source_name=MERGER_LIST.name, first_year=2021,
                                       acting_user=user),
    }


def _state():
    return (list(TownshipCategory.objects.values_list("township", "year", "category")),
            list(AssessmentResult.objects.values_list("township", "rank")),
            CategoryChange.objects.count(), Reclassification.objects.count(),
            list(Township.objects.values_list("code", "last_year")),
            AuditEvent.objects.count())


@pytest.mark.parametrize("write", ["category set", "categories import", "ranking import",
                                   "reclassification", "merger"])
@pytest.mark.parametrize("who", ["finance_user", "nobody"])
def test_a_write_without_the_permission_is_refused_and_writes_nothing(
        write, who, demo, request):
    user = None if who == "nobody" else request.getfixturevalue(who)
    before = _state()
    with pytest.raises(PermissionDenied):
        _writes(demo, user)[write]()
    assert _state() == before


def test_the_merger_names_its_actor(demo, admin_user):
    counts = merger_apply(rows=read_township_list(MERGER_LIST), source_name=MERGER_LIST.name,
                          first_year=2021, acting_user=admin_user)
    event = AuditEvent.objects.get(action=AuditEvent.Action.MERGER_APPLIED)
    assert event.actor == admin_user
    assert event.details == counts
    assert event.summary == (f"{MERGER_LIST.name}：{counts['ended']} 个单位撤销，"
                             f"{counts['opened']} 个新设")


def test_a_command_acts_as_its_user_and_is_refused_without_the_permission(
        demo, finance_user, admin_user):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="'finance1' does not have the permission"):
        call_command("apply_merger", "--user", finance_user.username)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.MERGER_APPLIED).exists()
    call_command("apply_merger", "--user", admin_user.username)
    assert AuditEvent.objects.get(action=AuditEvent.Action.MERGER_APPLIED).actor == admin_user


def test_an_administrator_previews_then_applies_the_merger_from_a_page(client, demo,
                                                                      admin_user):
    from django.urls import reverse

    from tests.conftest import login

    login(client, admin_user)
    url = reverse("township-merger")
    before = _state()
    preview = client.post(url, {"first_year": "2021"})  # no file: the 2020 reform
    assert preview.status_code == 200
    plan = preview.context["plan"]
    assert (len(preview.context["rows"]), len(plan.ended), len(plan.opened)) == (31, 25, 4)
    assert _state() == before  # a preview writes nothing
    assert preview.content.decode().count("→ 并入") == 6  # the known mergers, named
    response = client.post(url, {"first_year": "2021", "confirm": "apply",
                                 "source_name": MERGER_LIST.name})
    assert response.status_code == 302
    assert Township.objects.in_service(2021).count() == 31
    event = AuditEvent.objects.get(action=AuditEvent.Action.MERGER_APPLIED)
    assert (event.actor, event.details) == (admin_user, {"ended": 25, "opened": 4, "mapped": 6})


def test_an_uploaded_list_is_previewed_and_carried_to_the_confirmation(client, demo,
                                                                      admin_user):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from tests.conftest import login

    codes = list(Township.objects.order_by("code").values_list("code", "name", "kind")[:51])
    text = "code,name,kind\n" + "\n".join(f"{c},{n},{k}" for c, n, k in codes) + \
        "\n511781999,新合镇,town\n"
    login(client, admin_user)
    url = reverse("township-merger")
    preview = client.post(url, {"first_year": "2022", "file": SimpleUploadedFile(
        "新名单.csv", text.encode("utf-8"))})
    plan = preview.context["plan"]
    assert ([t.code for t in plan.ended], [r["code"] for r in plan.opened]) == (
        ["511781239"], ["511781999"])
    client.post(url, {"first_year": "2022", "confirm": "apply", "source_name": "新名单.csv",
                      "csv_text": preview.context["csv_text"]})
    assert Township.objects.get(code="511781999").first_year == 2022
    assert Township.objects.get(code="511781239").last_year == 2021


def test_a_bad_list_is_refused_with_its_rows_named(client, demo, admin_user):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from tests.conftest import login

    login(client, admin_user)
    before = _state()
    response = client.post(reverse("township-merger"), {
        "first_year": "2021", "file": SimpleUploadedFile("坏.csv", "code,name,kind\nx,,镇\n"
                                                          .encode())})
    assert response.status_code == 400
    assert response.context["problems"] == ["第2行：需要数字代码、名称和类型"]
    assert _state() == before


def test_the_merger_preview_query_count_does_not_grow_with_the_townships(client, demo,
                                                                         admin_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from tests.conftest import login

    login(client, admin_user)
    url = reverse("township-merger")
    with CaptureQueriesContext(connection) as small:
        assert len(client.post(url, {"first_year": "2021"}).context["plan"].ended) == 25
    Township.objects.bulk_create(
        Township(code=f"9{i:08d}", name=f"测试乡{i}", kind="township") for i in range(448))
    with CaptureQueriesContext(connection) as large:
        assert len(client.post(url, {"first_year": "2021"}).context["plan"].ended) == 25 + 448
    assert len(large) == len(small)
