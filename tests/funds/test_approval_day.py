"""Issue 23 item 3: the approver's day. An approval records its opinion (审批意见,
default 同意); several items are approved at once from the queue with one opinion, each
checked on its own by the same service, the result listed item by item; the queue shows
the year and filters by it."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from funds.models import Expenditure, FundYear, SpendingCategory
from funds.spending import services as spending
from tests.conftest import login
from townships.models import Township

S = Expenditure.Status


@pytest.fixture
def taiping(demo):
    return Township.objects.get(name="太平镇")


def _submitted(township, user, amount="1000.00", day=datetime.date(2020, 5, 1),
               purpose="党员培训"):
    expenditure = spending.expenditure_create(
        township=township, date=day, amount=Decimal(amount),
        category=SpendingCategory.objects.get(name="教育培训"), purpose=purpose,
        payee="党校", acting_user=user)
    spending.expenditure_submit(expenditure=expenditure, acting_user=user)
    return Expenditure.objects.get(pk=expenditure.pk)


def _approval_note(expenditure):
    return expenditure.transitions.filter(to_status=S.APPROVED).last().note


def test_an_approval_records_its_opinion(taiping, clerk_user, staff_user):
    expenditure = _submitted(taiping, clerk_user)
    spending.expenditure_approve(expenditure=expenditure, acting_user=staff_user,
                                 opinion="同意，按标准执行")
    assert _approval_note(expenditure) == "同意，按标准执行"


def test_an_approval_without_an_opinion_records_agreed(taiping, clerk_user, staff_user):
    expenditure = _submitted(taiping, clerk_user)
    spending.expenditure_approve(expenditure=expenditure, acting_user=staff_user)
    assert _approval_note(expenditure) == "同意"


def test_the_page_offers_the_opinion_prefilled_and_records_it(client, taiping, clerk_user,
                                                              staff_user):
    expenditure = _submitted(taiping, clerk_user)
    login(client, staff_user)
    page = client.get(reverse("expenditure-detail", args=[expenditure.pk]))
    assert page.context["approve_form"]["opinion"].value() == "同意"
    assert 'id="approve_id_opinion"' in page.content.decode() or \
        'id="approve_opinion"' in page.content.decode()
    client.post(reverse("expenditure-action", args=[expenditure.pk, "approve"]),
                {"opinion": "同意。请补交签到表后报账"})
    assert _approval_note(expenditure) == "同意。请补交签到表后报账"
    history = client.get(reverse("expenditure-detail", args=[expenditure.pk])).content.decode()
    assert "同意。请补交签到表后报账" in history


def test_a_batch_approves_each_item_on_its_own_and_says_why_others_were_refused(
        taiping, clerk_user, admin_user):
    fine = _submitted(taiping, clerk_user, purpose="冬训")
    large = _submitted(taiping, clerk_user, amount="25000.00", purpose="大额")  # no decision
    own = _submitted(taiping, admin_user, purpose="自己提交")
    results = spending.expenditure_approve_batch(
        expenditures=[fine, large, own], acting_user=admin_user, opinion="同意（批量）")
    assert [(r.expenditure.pk, r.approved) for r in results] == [
        (fine.pk, True), (large.pk, False), (own.pk, False)]
    assert "集体决策" in results[1].message and "他人审批" in results[2].message
    statuses = dict(Expenditure.objects.values_list("pk", "status"))
    assert (statuses[fine.pk], statuses[large.pk], statuses[own.pk]) == (
        S.APPROVED, S.SUBMITTED, S.SUBMITTED)
    assert _approval_note(fine) == "同意（批量）"


def test_the_queue_approves_the_selected_items_and_lists_the_result(
        client, taiping, clerk_user, staff_user):
    fine = _submitted(taiping, clerk_user, purpose="冬训")
    large = _submitted(taiping, clerk_user, amount="25000.00", purpose="大额")
    untouched = _submitted(taiping, clerk_user, purpose="未选")
    login(client, staff_user)
    queue = client.get(reverse("approval-queue")).content.decode()
    box = next(tag for tag in queue.split("<input")[1:]
               if f'value="{fine.pk}"' in tag.split(">")[0]).split(">")[0]
    assert 'name="selected"' in box and 'form="batch-approval"' in box  # the form's field
    assert 'id="batch-approval"' in queue
    assert f'action="{reverse("approval-batch")}"' in queue
    response = client.post(reverse("approval-batch"), {
        "selected": [fine.pk, large.pk], "opinion": "同意"})
    assert response.status_code == 200
    page = response.content.decode()
    rows = page.split('batch-results')[1].split("</table>")[0]
    assert rows.index("冬训") < rows.index("大额")
    assert "已审批" in rows.split("冬训")[1].split("</tr>")[0]
    assert "未审批" in rows.split("大额")[1].split("</tr>")[0]
    assert "集体决策" in rows.split("大额")[1].split("</tr>")[0]
    assert Expenditure.objects.get(pk=untouched.pk).status == S.SUBMITTED
    assert Expenditure.objects.get(pk=fine.pk).status == S.APPROVED


def test_a_batch_without_a_selection_is_refused(client, taiping, staff_user):
    login(client, staff_user)
    response = client.post(reverse("approval-batch"), {"opinion": "同意"})
    assert response.status_code == 400
    assert "请至少选择一笔支出" in response.content.decode()


def test_a_batch_ignores_what_is_not_waiting_and_clerks_cannot_post_it(
        client, taiping, clerk_user, staff_user):
    expenditure = _submitted(taiping, clerk_user)
    login(client, clerk_user)
    assert client.post(reverse("approval-batch"), {"selected": [expenditure.pk]}
                       ).status_code == 403
    assert Expenditure.objects.get(pk=expenditure.pk).status == S.SUBMITTED


def test_the_queue_shows_the_year_and_filters_by_it(client, taiping, clerk_user, staff_user):
    FundYear.objects.create(year=2021, special_fund=Decimal("6690000.00"))
    _submitted(taiping, clerk_user, purpose="二〇年的")
    _submitted(taiping, clerk_user, day=datetime.date(2021, 3, 1), purpose="二一年的")
    login(client, staff_user)
    page = client.get(reverse("approval-queue"))
    table = page.context["table"]
    assert "year" in [column.name for column in table.columns]
    assert {row.get_cell_value("year") for row in table.rows} == {2020, 2021}
    filtered = client.get(reverse("approval-queue") + "?year=2021")
    assert [row.record.purpose for row in filtered.context["table"].rows] == ["二一年的"]
    assert 'name="year"' in filtered.content.decode()


def test_the_queue_query_count_does_not_grow_with_the_items(client, taiping, clerk_user,
                                                            staff_user):
    login(client, staff_user)
    _submitted(taiping, clerk_user)
    client.get(reverse("approval-queue"))
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("approval-queue") + "?year=2020").status_code == 200
    for _ in range(10):
        _submitted(taiping, clerk_user)
    with CaptureQueriesContext(connection) as large:
        assert client.get(reverse("approval-queue") + "?year=2020").status_code == 200
    assert len(large) == len(small)
