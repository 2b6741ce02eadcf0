"""Issue 17 item 11: in-app notifications. A clerk hears what happened to the own
township's expenditures since the last "mark read", an approver what was submitted, both
of the findings due within a week."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from funds.models import Finding, Inspection, NotificationsRead, SpendingCategory
from funds.spending import services as spending
from funds.spending.selectors import notifications_get
from tests.conftest import make_user
from townships import roles
from townships.models import Township


def _submitted(township, clerk, purpose="党员培训"):
    expenditure = spending.expenditure_create(
        township=township, date=datetime.date(2020, 5, 1), amount=Decimal("1000.00"),
        category=SpendingCategory.objects.get(name="教育培训"), purpose=purpose,
        payee="党校", acting_user=clerk)
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk)
    return expenditure


@pytest.fixture
def taiping(demo):
    return Township.objects.get(name="太平镇")


def news(user, **kwargs):
    return [(t.expenditure.purpose, t.to_status)
            for t in notifications_get(user=user, **kwargs).transitions]


def test_a_clerk_hears_of_the_return_with_its_reason_and_not_of_others(
        client, taiping, clerk_user, other_clerk_user, staff_user):
    own = _submitted(taiping, clerk_user, "冬训")
    other = _submitted(other_clerk_user.clerk_of.township, other_clerk_user, "别镇的")
    spending.expenditure_return(expenditure=own, acting_user=staff_user, note="缺签到表")
    spending.expenditure_return(expenditure=other, acting_user=staff_user, note="别的")
    assert news(clerk_user, township_id=taiping.pk) == [("冬训", "returned")]
    client.force_login(clerk_user)
    page = client.get("/my/?year=2020")
    assert "缺签到表" in page.text.split('class="notifications"')[1].split("</section>")[0]
    assert "别镇的" not in page.text


def test_an_approver_hears_of_submissions_but_not_of_own_actions(taiping, clerk_user,
                                                                  staff_user):
    _submitted(taiping, clerk_user, "冬训")
    assert news(staff_user, sees_all=True) == [("冬训", "submitted")]
    assert news(clerk_user, township_id=taiping.pk) == []  # the clerk did it


def test_mark_read_hides_what_was_shown_but_not_what_came_after(client, taiping, clerk_user,
                                                                 staff_user):
    first = _submitted(taiping, clerk_user, "第一笔")
    client.force_login(staff_user)
    page = client.get("/approvals/")
    shown_at = page.context["notifications"].made_at
    _submitted(taiping, clerk_user, "第二笔")  # arrives while the approver reads
    response = client.post("/notifications/read/", {"until": shown_at.isoformat(),
                                                    "next": "/approvals/"})
    assert response.status_code == 302 and response.url == "/approvals/"
    assert news(staff_user, sees_all=True) == [("第二笔", "submitted")]
    assert first.pk  # the first is read
    # a stale page cannot move the mark backwards
    client.post("/notifications/read/", {"until": (shown_at - datetime.timedelta(days=1))
                                         .isoformat()})
    assert NotificationsRead.objects.get(user=staff_user).read_until == shown_at


def test_mark_read_refuses_a_bad_time_and_an_outside_next(client, staff_user, demo):
    client.force_login(staff_user)
    assert client.post("/notifications/read/", {"until": "yesterday"}).status_code == 400
    response = client.post("/notifications/read/", {
        "until": timezone.now().isoformat(), "next": "https://evil.example/"})
    assert response.url == "/"


def test_findings_due_within_a_week_are_announced_to_both(taiping, clerk_user, staff_user,
                                                          loader):
    today = timezone.localdate()
    inspection = Inspection.objects.create(date=today, inspectors="检查组", recorded_by=loader)
    soon = Finding.objects.create(inspection=inspection, township=taiping, description="台账缺",
                                  deadline=today + datetime.timedelta(days=6))
    Finding.objects.create(inspection=inspection, township=taiping, description="远期",
                           deadline=today + datetime.timedelta(days=30))
    elsewhere = Township.objects.exclude(pk=taiping.pk).first()
    Finding.objects.create(inspection=inspection, township=elsewhere, description="别镇",
                           deadline=today + datetime.timedelta(days=2))
    assert notifications_get(user=clerk_user, township_id=taiping.pk).findings_due == [soon]
    assert len(notifications_get(user=staff_user, sees_all=True).findings_due) == 2


def test_finance_hears_of_no_submissions(taiping, clerk_user, db):
    finance = make_user("finance9", roles.FINANCE)
    _submitted(taiping, clerk_user)
    assert news(finance, sees_all=True) == []
