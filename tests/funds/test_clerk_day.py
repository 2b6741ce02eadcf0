"""Issue 23 item 5: the clerk's day — withdraw a submission not yet decided, several
files in one upload and already with a new expenditure, the printable 报账审批单."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from demo.data import DEMO_PDF
from funds.models import Expenditure, SpendingCategory, Voucher
from funds.spending import services as spending
from tests.conftest import login
from townships.models import Township

S = Expenditure.Status
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 32


@pytest.fixture
def taiping(demo):
    return Township.objects.get(name="太平镇")


def _submitted(township, clerk, amount="1200.00"):
    expenditure = spending.expenditure_create(
        township=township, date=datetime.date(2020, 5, 1), amount=Decimal(amount),
        category=SpendingCategory.objects.get(name="教育培训"), purpose="党员培训",
        payee="党校", acting_user=clerk)
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk)
    return Expenditure.objects.get(pk=expenditure.pk)


# --- Withdraw (撤回) ---------------------------------------------------------------------


def test_a_clerk_withdraws_a_submission_not_yet_decided(taiping, clerk_user, staff_user):
    expenditure = _submitted(taiping, clerk_user)
    spending.expenditure_withdraw(expenditure=expenditure, acting_user=clerk_user)
    expenditure.refresh_from_db()
    assert expenditure.status == S.DRAFT
    step = expenditure.transitions.last()
    assert (step.from_status, step.to_status, step.actor) == (S.SUBMITTED, S.DRAFT, clerk_user)
    assert "撤回" in step.note
    # no longer in the approver's hands
    with pytest.raises(spending.SpendingError):
        spending.expenditure_approve(expenditure=expenditure, acting_user=staff_user)


def test_a_decided_submission_cannot_be_withdrawn(taiping, clerk_user, staff_user):
    expenditure = _submitted(taiping, clerk_user)
    spending.expenditure_approve(expenditure=expenditure, acting_user=staff_user)
    with pytest.raises(spending.SpendingError):
        spending.expenditure_withdraw(expenditure=Expenditure.objects.get(pk=expenditure.pk),
                                      acting_user=clerk_user)
    assert Expenditure.objects.get(pk=expenditure.pk).status == S.APPROVED


def test_the_page_offers_withdraw_to_the_clerk_and_says_what_happened(
        client, taiping, clerk_user, other_clerk_user, staff_user):
    expenditure = _submitted(taiping, clerk_user)
    url = reverse("expenditure-action", args=[expenditure.pk, "withdraw"])
    login(client, staff_user)
    assert f'"{url}"' not in client.get(
        reverse("expenditure-detail", args=[expenditure.pk])).content.decode()
    login(client, other_clerk_user)
    assert client.post(url).status_code == 404
    login(client, clerk_user)
    page = client.get(reverse("expenditure-detail", args=[expenditure.pk])).content.decode()
    assert f'"{url}"' in page and "撤回" in page
    response = client.post(url, follow=True)
    assert "已撤回" in response.content.decode()
    assert Expenditure.objects.get(pk=expenditure.pk).status == S.DRAFT


# --- Several files in one upload -------------------------------------------------------


def test_several_files_are_attached_in_one_upload(client, taiping, clerk_user):
    expenditure = _submitted(taiping, clerk_user)
    login(client, clerk_user)
    response = client.post(reverse("voucher-upload", args=[expenditure.pk]), {
        "kind": "photo",
        "file": [SimpleUploadedFile("现场1.png", PNG), SimpleUploadedFile("现场2.png", PNG),
                 SimpleUploadedFile("签到.pdf", DEMO_PDF)]}, follow=True)
    assert response.status_code == 200
    assert sorted(expenditure.vouchers.values_list("original_name", flat=True)) == [
        "现场1.png", "现场2.png", "签到.pdf"]


def test_one_bad_file_refuses_the_whole_upload_and_names_it(client, taiping, clerk_user):
    expenditure = _submitted(taiping, clerk_user)
    login(client, clerk_user)
    response = client.post(reverse("voucher-upload", args=[expenditure.pk]), {
        "kind": "photo",
        "file": [SimpleUploadedFile("现场1.png", PNG),
                 SimpleUploadedFile("假发票.pdf", b"<html>not a pdf</html>")]}, follow=True)
    assert "假发票.pdf" in response.content.decode()
    assert not expenditure.vouchers.exists()
    assert not expenditure.transitions.filter(note__contains="现场1.png").exists()


def test_a_new_expenditure_is_recorded_with_its_files(client, taiping, clerk_user):
    login(client, clerk_user)
    url = reverse("expenditure-create", args=[taiping.code, 2020])
    page = client.get(url).content.decode()
    assert 'accept="image/*,application/pdf' in page and "multiple" in page
    response = client.post(url, {
        "date": "2020-06-01", "amount": "800.00",
        "category": SpendingCategory.objects.get(name="教育培训").pk,
        "purpose": "主题党日", "payee": "供销社", "voucher_kind": "invoice",
        "vouchers": [SimpleUploadedFile("发票.jpg", b"\xff\xd8\xff" + b"0" * 32),
                     SimpleUploadedFile("照片.png", PNG)]})
    assert response.status_code == 302
    expenditure = Expenditure.objects.get(purpose="主题党日")
    assert sorted(expenditure.vouchers.values_list("kind", "original_name")) == [
        (Voucher.Kind.INVOICE, "发票.jpg"), (Voucher.Kind.INVOICE, "照片.png")]


def test_a_new_expenditure_with_a_bad_file_is_not_recorded(client, taiping, clerk_user):
    login(client, clerk_user)
    response = client.post(reverse("expenditure-create", args=[taiping.code, 2020]), {
        "date": "2020-06-01", "amount": "800.00",
        "category": SpendingCategory.objects.get(name="教育培训").pk,
        "purpose": "主题党日", "payee": "供销社", "voucher_kind": "invoice",
        "vouchers": [SimpleUploadedFile("发票.exe", b"MZ" + b"0" * 32)]})
    assert response.status_code == 400
    assert "发票.exe" in response.content.decode()
    assert not Expenditure.objects.filter(purpose="主题党日").exists()


# --- The printable 报账审批单 -------------------------------------------------------------


def test_the_approval_form_prints_what_a_secretary_signs(client, taiping, clerk_user,
                                                         staff_user, finance_user):
    expenditure = _submitted(taiping, clerk_user)
    spending.voucher_add(expenditure=expenditure, kind="invoice",
                         upload=SimpleUploadedFile("发票.pdf", DEMO_PDF), acting_user=clerk_user)
    spending.expenditure_approve(expenditure=Expenditure.objects.get(pk=expenditure.pk),
                                 acting_user=staff_user, opinion="同意，按标准报销")
    login(client, clerk_user)
    response = client.get(reverse("expenditure-print", args=[expenditure.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("报账审批单", "太平镇", "党员培训", "党校", "教育培训", "1,200.00",
                 "壹仟贰佰元整", "同意，按标准报销", "经办人", "审核人", "审批人", "财政",
                 staff_user.username, "发票"):
        assert text in page, text
    assert "无需：低于大额支出标准" in page  # 1,200 元 needs no collective decision
    assert 'class="site-header' not in page  # the print layout, not the page's


def test_the_approval_form_is_scoped_like_the_expenditure(client, taiping, clerk_user,
                                                          other_clerk_user):
    expenditure = _submitted(taiping, clerk_user)
    login(client, other_clerk_user)
    assert client.get(reverse("expenditure-print", args=[expenditure.pk])).status_code == 404


def test_the_approval_forms_queries_do_not_grow_with_its_history(
        client, taiping, clerk_user, staff_user, django_assert_max_num_queries):
    expenditure = _submitted(taiping, clerk_user)
    login(client, clerk_user)
    url = reverse("expenditure-print", args=[expenditure.pk])
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(5):
        spending.voucher_add(expenditure=Expenditure.objects.get(pk=expenditure.pk),
                             kind="photo", upload=SimpleUploadedFile("照片.png", PNG),
                             acting_user=clerk_user)
    spending.expenditure_return(expenditure=Expenditure.objects.get(pk=expenditure.pk),
                                acting_user=staff_user, note="补签到表")
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


# --- Correcting a collective decision ----------------------------------------------------

MEETING = datetime.date(2020, 4, 20)


def _large_with_decision(township, clerk):
    expenditure = spending.expenditure_create(
        township=township, date=datetime.date(2020, 5, 1), amount=Decimal("38000.00"),
        category=SpendingCategory.objects.get(name="阵地建设"), purpose="党群服务中心改造",
        payee="建筑公司", acting_user=clerk)
    decision = spending.decision_record(
        expenditure=expenditure, meeting_type="party_committee", meeting_date=MEETING,
        attendance="应到9人，实到8人", minutes_reference="纪〔2020〕1号", acting_user=clerk)
    return Expenditure.objects.get(pk=expenditure.pk), decision


def _correct(decision, clerk, **changes):
    values = {"meeting_type": decision.meeting_type, "meeting_date": decision.meeting_date,
              "attendance": decision.attendance,
              "minutes_reference": decision.minutes_reference} | changes
    return spending.decision_update(decision=decision, acting_user=clerk, **values)


def test_a_decision_is_corrected_before_an_approval_relies_on_it(taiping, clerk_user):
    expenditure, decision = _large_with_decision(taiping, clerk_user)
    _correct(decision, clerk_user, attendance="应到9人，实到9人")
    decision.refresh_from_db()
    assert decision.attendance == "应到9人，实到9人"
    step = expenditure.transitions.last()
    assert "应到9人，实到8人" in step.note and "应到9人，实到9人" in step.note
    assert Expenditure.objects.get(pk=expenditure.pk).status == S.DRAFT


def test_minutes_attached_later_leave_the_approval_standing(taiping, clerk_user, staff_user):
    expenditure, decision = _large_with_decision(taiping, clerk_user)
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk_user)
    spending.expenditure_approve(expenditure=Expenditure.objects.get(pk=expenditure.pk),
                                 acting_user=staff_user)
    _correct(decision, clerk_user, minutes_file=SimpleUploadedFile("纪要.pdf", DEMO_PDF))
    decision.refresh_from_db()
    assert decision.minutes_file
    expenditure.refresh_from_db()
    assert (expenditure.status, expenditure.approved_by) == (S.APPROVED, staff_user)
    assert "纪要.pdf" in expenditure.transitions.last().note


def test_a_correction_after_the_approval_voids_it(taiping, clerk_user, staff_user):
    expenditure, decision = _large_with_decision(taiping, clerk_user)
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk_user)
    spending.expenditure_approve(expenditure=Expenditure.objects.get(pk=expenditure.pk),
                                 acting_user=staff_user)
    _correct(decision, clerk_user, meeting_date=datetime.date(2020, 4, 22))
    expenditure.refresh_from_db()
    assert (expenditure.status, expenditure.approved_by, expenditure.approved_values) == (
        S.SUBMITTED, None, None)
    step = expenditure.transitions.last()
    assert (step.from_status, step.to_status) == (S.APPROVED, S.SUBMITTED)
    assert "2020-04-20" in step.note and "2020-04-22" in step.note
    # looked at again, approved again on the corrected decision
    spending.expenditure_approve(expenditure=expenditure, acting_user=staff_user)
    assert Expenditure.objects.get(pk=expenditure.pk).status == S.APPROVED


def test_a_decision_behind_a_payment_is_not_corrected(taiping, clerk_user, staff_user,
                                                      finance_user):
    expenditure, decision = _large_with_decision(taiping, clerk_user)
    spending.voucher_add(expenditure=expenditure, kind="invoice",
                         upload=SimpleUploadedFile("发票.pdf", DEMO_PDF), acting_user=clerk_user)
    spending.expenditure_submit(expenditure=Expenditure.objects.get(pk=expenditure.pk),
                                acting_user=clerk_user)
    spending.expenditure_approve(expenditure=Expenditure.objects.get(pk=expenditure.pk),
                                 acting_user=staff_user)
    spending.expenditure_reimburse(expenditure=Expenditure.objects.get(pk=expenditure.pk),
                                   acting_user=finance_user, reimbursed_on=datetime.date.today(),
                                   accounting_voucher="记-9")
    with pytest.raises(spending.SpendingError):
        _correct(decision, clerk_user, meeting_date=datetime.date(2020, 4, 22))
    decision.refresh_from_db()
    assert decision.meeting_date == MEETING


def test_the_page_offers_the_correction_to_the_township_only(
        client, taiping, clerk_user, other_clerk_user):
    expenditure, decision = _large_with_decision(taiping, clerk_user)
    url = reverse("decision-update", args=[expenditure.pk])
    login(client, clerk_user)
    page = client.get(reverse("expenditure-detail", args=[expenditure.pk])).content.decode()
    assert f'"{url}"' in page
    response = client.post(url, {"meeting_type": "party_committee",
                                 "meeting_date": "2020-04-21", "attendance": "应到9人，实到9人",
                                 "minutes_reference": "纪〔2020〕1号"}, follow=True)
    assert response.status_code == 200
    decision.refresh_from_db()
    assert decision.meeting_date == datetime.date(2020, 4, 21)
    login(client, other_clerk_user)
    assert client.post(url, {"meeting_type": "party_committee"}).status_code == 404
