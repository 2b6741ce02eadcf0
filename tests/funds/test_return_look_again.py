"""Issue 23 item 4: a return means look again. A return withdraws the approval, the
resubmitted item goes back to the queue, the one who returned it is told, and the clerk
is told what actually happened."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from demo.data import DEMO_PDF
from funds.models import Expenditure, SpendingCategory
from funds.spending import services as spending
from funds.spending.selectors import clerk_todo_get, notifications_get
from tests.conftest import login
from townships.models import Township

S = Expenditure.Status


@pytest.fixture
def taiping(demo):
    return Township.objects.get(name="太平镇")


def _approved(township, clerk, approver):
    expenditure = spending.expenditure_create(
        township=township, date=datetime.date(2020, 5, 1), amount=Decimal("1000.00"),
        category=SpendingCategory.objects.get(name="教育培训"), purpose="党员培训",
        payee="党校", acting_user=clerk)
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk)
    spending.expenditure_approve(expenditure=expenditure, acting_user=approver)
    return Expenditure.objects.get(pk=expenditure.pk)


def test_a_return_withdraws_the_approval(taiping, clerk_user, staff_user):
    expenditure = _approved(taiping, clerk_user, staff_user)
    spending.expenditure_return(expenditure=expenditure, acting_user=staff_user,
                                note="请补充签到表")
    expenditure.refresh_from_db()
    assert (expenditure.status, expenditure.approved_by, expenditure.approved_values) == (
        S.RETURNED, None, None)


def test_an_unchanged_resubmission_goes_back_to_the_queue(taiping, clerk_user, staff_user):
    expenditure = _approved(taiping, clerk_user, staff_user)
    spending.expenditure_return(expenditure=expenditure, acting_user=staff_user,
                                note="请补充签到表")
    spending.voucher_add(expenditure=expenditure, kind="sign_in",
                         upload=SimpleUploadedFile("签到表.pdf", DEMO_PDF),
                         acting_user=clerk_user)
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk_user)
    expenditure.refresh_from_db()
    assert (expenditure.status, expenditure.approved_by) == (S.SUBMITTED, None)
    assert expenditure.transitions.last().to_status == S.SUBMITTED
    # and the one who asked approves again, after looking at the 签到表
    spending.expenditure_approve(expenditure=expenditure, acting_user=staff_user)
    assert Expenditure.objects.get(pk=expenditure.pk).status == S.APPROVED


def test_the_approver_who_returned_it_hears_of_the_resubmission(
        client, taiping, clerk_user, staff_user, admin_user):
    expenditure = _approved(taiping, clerk_user, staff_user)
    spending.expenditure_return(expenditure=expenditure, acting_user=staff_user,
                                note="请补充签到表")
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk_user)
    news = notifications_get(user=staff_user, sees_all=True).transitions
    assert [(t.to_status, t.after_your_return) for t in news] == [
        (S.SUBMITTED, True), (S.SUBMITTED, False)]
    others = notifications_get(user=admin_user, sees_all=True).transitions
    assert [t.after_your_return for t in others] == [False, False]
    login(client, staff_user)
    page = client.get(reverse("approval-queue")).content.decode()
    section = page.split('class="notifications"')[1].split("</section>")[0]
    assert section.count("在您退回后重新提交") == 1
    overview = client.get(reverse("overview") + "?year=2020").content.decode()
    assert "在您退回后重新提交" in overview


def test_the_clerk_is_told_the_item_goes_back_to_approval(client, taiping, clerk_user,
                                                          staff_user):
    expenditure = _approved(taiping, clerk_user, staff_user)
    spending.expenditure_return(expenditure=expenditure, acting_user=staff_user,
                                note="请补充签到表")
    login(client, clerk_user)
    page = client.get(reverse("expenditure-detail", args=[expenditure.pk])).content.decode()
    notice = page.split('return-notice"', 1)[1].split("</", 2)
    assert "请补充签到表" in "".join(notice[:2])
    response = client.post(reverse("expenditure-action", args=[expenditure.pk, "submit"]),
                           follow=True)
    page = response.content.decode()
    assert "已重新提交审批：退回前的审批已撤销，审批人将重新审核" in page
    assert "staff1" in page.split("已重新提交审批")[1].split("</")[0]


def test_the_clerk_is_not_told_of_a_withdrawn_approval_that_never_was(
        client, taiping, clerk_user, staff_user):
    expenditure = _approved(taiping, clerk_user, staff_user)
    Expenditure.objects.filter(pk=expenditure.pk).update(status=S.SUBMITTED,
                                                         approved_by=None)
    spending.expenditure_return(expenditure=expenditure, acting_user=staff_user, note="缺")
    login(client, clerk_user)
    page = client.post(reverse("expenditure-action", args=[expenditure.pk, "submit"]),
                       follow=True).content.decode()
    assert "已重新提交审批" in page and "审批已撤销" not in page


def test_the_returner_is_who_returned_it_even_after_the_clerk_changed_it(
        client, taiping, clerk_user, staff_user):
    """A change or a voucher on a returned item is recorded as a step that stays
    returned; the one who returned it is still the approver, not the clerk who edited."""
    expenditure = _approved(taiping, clerk_user, staff_user)
    spending.expenditure_return(expenditure=expenditure, acting_user=staff_user,
                                note="请补充签到表")
    spending.expenditure_update(
        expenditure=expenditure, acting_user=clerk_user, date=expenditure.date,
        amount=Decimal("900.00"), category=expenditure.category, purpose=expenditure.purpose,
        payee=expenditure.payee)
    assert spending.last_return(expenditure).actor == staff_user
    todo = clerk_todo_get(township=taiping, year=2020)
    assert [e.return_note for e in todo.returned if e.pk == expenditure.pk] == ["请补充签到表"]
    login(client, clerk_user)
    page = client.get(reverse("expenditure-detail", args=[expenditure.pk])).content.decode()
    notice = page.split('return-notice"', 1)[1].split("</", 2)
    assert "请补充签到表" in "".join(notice[:2])
    response = client.post(reverse("expenditure-action", args=[expenditure.pk, "submit"]),
                           follow=True)
    text = response.content.decode()
    assert "staff1" in text and "退回人 clerk1" not in text
    news = notifications_get(user=staff_user)
    resubmitted = [t for t in news.transitions if t.expenditure_id == expenditure.pk
                   and t.to_status == S.SUBMITTED and t.from_status == S.RETURNED]
    assert resubmitted and resubmitted[0].after_your_return
