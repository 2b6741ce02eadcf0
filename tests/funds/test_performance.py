"""The 绩效 cycle from the database: a sheet from the library or last year's, actual
values computed from hand-built ledgers, scoring as the page shows it, filing (locked)
and reopening with a reason, all audited; the page, its files and the command."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from docx import Document
from openpyxl import load_workbook

from demo.data import DEMO_PDF
from funds.budget.selectors import execution_total_get
from funds.models import FundYear, Indicator, PerformanceSettings, SpendingCategory, TargetSheet
from funds.performance import actuals, services
from funds.performance.selectors import monitoring_get, sheet_view
from funds.spending import services as spending
from tests.conftest import login
from townships.models import AuditEvent, Township

pytestmark = pytest.mark.django_db
D = Decimal


def _spend(township, clerk, staff, finance, amount, *, pay=True, decision=None,
           date=datetime.date(2020, 5, 11), invoice=True):
    expenditure = spending.expenditure_create(
        township=township, date=date, amount=D(amount),
        category=SpendingCategory.objects.get(name="教育培训"), purpose="党员培训",
        payee="党校", acting_user=clerk)
    if decision is not None:
        spending.decision_record(expenditure=expenditure, meeting_type="party_committee",
                                 meeting_date=decision, attendance="7人应到7人实到",
                                 minutes_reference="会议纪要〔2020〕3号", acting_user=clerk)
    if invoice:
        from tests.funds.test_invoices import qr_png
        number = f"{2344200000001420000 + expenditure.pk:020d}"
        spending.voucher_add(
            expenditure=expenditure, kind="invoice", acting_user=clerk,
            upload=SimpleUploadedFile("发票.png", qr_png(f"01,32,,{number},{amount},20200511,,74AE")))
    else:
        spending.voucher_add(expenditure=expenditure, kind="invoice", acting_user=clerk,
                             upload=SimpleUploadedFile("发票.pdf", DEMO_PDF))
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk)
    spending.expenditure_approve(expenditure=expenditure, acting_user=staff)
    if pay:
        spending.expenditure_reimburse(expenditure=expenditure, acting_user=finance,
                                       reimbursed_on=datetime.date.today(),
                                       accounting_voucher="记-1")
    return expenditure


@pytest.fixture
def ledger(demo, taiping, clerk_user, staff_user, finance_user):
    """太平镇 2020: 3,000 paid with an invoice, 2,000 paid without one, 15,000 paid with a
    decision, 1,000 approved not paid; one finding closed of two."""
    _spend(taiping, clerk_user, staff_user, finance_user, "3000.00")
    _spend(taiping, clerk_user, staff_user, finance_user, "2000.00", invoice=False)
    _spend(taiping, clerk_user, staff_user, finance_user, "15000.00",
           decision=datetime.date(2020, 5, 1))
    _spend(taiping, clerk_user, staff_user, finance_user, "1000.00", pay=False)
    inspection = spending.inspection_record(date=datetime.date(2020, 9, 1), inspectors="检查组",
                                            townships=[taiping], acting_user=staff_user)
    first = spending.finding_add(inspection=inspection, township=taiping, description="缺签字",
                                 deadline=datetime.date(2020, 10, 1), acting_user=staff_user)
    spending.finding_add(inspection=inspection, township=taiping, description="台账不全",
                         deadline=datetime.date(2020, 10, 1), acting_user=staff_user)
    spending.finding_close(finding=first, closure_note="已补签", acting_user=staff_user)
    return demo


def test_every_computed_actual_against_the_hand_built_ledger(ledger, taiping):
    county = actuals.Scope(ledger)
    town = actuals.Scope(ledger, taiping)
    assert actuals.actual_of("townships_covered", county) == Township.objects.in_service(
        2020).count()
    assert actuals.actual_of("townships_covered", town) == 1
    # 20,000 reimbursed of 太平镇's 200,000: 10.00 %; the county's is the execution page's
    assert actuals.actual_of("execution_rate", town) == D("10.00")
    page = execution_total_get(fund_year=ledger)
    assert actuals.actual_of("execution_rate", county) == (
        page.reimbursed * 100 / page.allocation).quantize(D("0.01"))
    assert actuals.actual_of("total_cost", town) == D("2.10")       # 21,000 元 spent
    assert actuals.actual_of("decision_share", town) == D("100.00")  # the one large item
    assert actuals.actual_of("rectification_rate", town) == D("50.00")
    assert actuals.actual_of("invoice_share", town) == D("66.67")   # 2 of 3 paid
    assert actuals.actual_of("funds_in_place", town) == D("100.00")
    # As of 30 June nothing was reimbursed yet (reimbursed today): monitoring counts by date
    assert actuals.Scope(ledger, taiping, datetime.date(2020, 6, 30)).executed() == 0


def test_days_to_issue_from_the_notice(ledger, staff_user):
    from funds.documents import services as documents
    sheet = services.sheet_start(fund_year=ledger, acting_user=staff_user)
    assert actuals.actual_of("days_to_issue", actuals.Scope(ledger), sheet) is None
    sheet.budget_date = datetime.date(2020, 3, 1)
    documents.document_generate(kind="notice", fmt="docx", year=2020,
                                dated=datetime.date(2020, 3, 20),
                                excess_source="市级财政统筹资金", acting_user=staff_user)
    assert actuals.actual_of("days_to_issue", actuals.Scope(ledger), sheet) == 19


def _answer_everything(sheet, staff_user) -> list[dict]:
    """Answer, enter the survey, give the reasons the page asks for: ready to file."""
    values = []
    for row in sheet.indicators.order_by("position"):
        data = {f: getattr(row, f) for f in services.INDICATOR_FIELDS}
        data["id"] = row.pk
        if row.direction == Indicator.Direction.QUALITATIVE:
            data["answer"] = "achieved"
        if row.name == "服务对象满意度":
            data["actual"] = D("93.50")
        if row.name == "资金下达及时性":  # no notice issued in this ledger: entered
            data["actual"], data["source"] = D(12), ""
        values.append(data)
    services.sheet_update(sheet=sheet, values={"achieved": "全年保障52个乡镇党组织运转。"},
                          indicators=values, acting_user=staff_user)
    for line in sheet_view(sheet=sheet).lines:
        if line.scored and line.scored.needs_reason:
            Indicator.objects.filter(pk=line.indicator.pk).update(
                deviation_reason="执行进度慢：下半年加快报账")
    return values


def test_the_library_sheet_scores_and_files(ledger, staff_user, clerk_user, admin_user):
    with pytest.raises(PermissionDenied):
        services.sheet_start(fund_year=ledger, acting_user=clerk_user)
    sheet = services.sheet_start(fund_year=ledger, acting_user=staff_user)
    rows = list(sheet.indicators.all())
    assert sum(r.weight for r in rows) == 90  # + the execution rate's 10
    services.actuals_compute(sheet=sheet, acting_user=staff_user)
    view = sheet_view(sheet=sheet)
    assert view.score.execution_weight + sum(
        line.scored.weight for line in view.lines if line.scored) == D("100.00")
    problems = services.filing_problems(sheet)
    assert any("经费审批流程规范性" in p for p in problems)  # unanswered
    with pytest.raises(services.PerformanceError):
        services.sheet_file(sheet=sheet, acting_user=staff_user)
    values = _answer_everything(sheet, staff_user)
    services.sheet_file(sheet=sheet, acting_user=staff_user)
    sheet.refresh_from_db()
    assert sheet.is_filed
    with pytest.raises(services.PerformanceError, match="已提交"):
        services.sheet_update(sheet=sheet, values={}, indicators=values, acting_user=staff_user)
    with pytest.raises(services.PerformanceError, match="须说明理由"):
        services.sheet_reopen(sheet=sheet, reason=" ", acting_user=staff_user)
    services.sheet_reopen(sheet=sheet, reason="财政局要求补充满意度调查", acting_user=staff_user)
    actions = list(AuditEvent.objects.filter(year=2020, action__startswith="performance")
                   .values_list("action", flat=True))
    assert actions.count("performance_changed") >= 3
    assert "performance_filed" in actions and "performance_reopened" in actions
    changed = AuditEvent.objects.filter(action="performance_changed",
                                        details__before__isnull=False).last()
    assert changed.details["before"] != changed.details["after"]


def test_a_filed_self_evaluation_keeps_the_figures_it_was_filed_with(
        ledger, taiping, staff_user, clerk_user, finance_user):
    """Filed, the sheet is what was signed: money paid afterwards and scoring settings
    changed afterwards do not move its score; reopened, it is scored from today's."""
    sheet = services.sheet_start(fund_year=ledger, acting_user=staff_user)
    services.actuals_compute(sheet=sheet, acting_user=staff_user)
    _answer_everything(sheet, staff_user)
    services.sheet_file(sheet=sheet, acting_user=staff_user)
    filed = sheet_view(sheet=TargetSheet.objects.get(pk=sheet.pk))
    event = AuditEvent.objects.get(action="performance_filed")
    assert event.details["total"] == str(filed.score.total)
    _spend(taiping, clerk_user, staff_user, finance_user, "5000.00")
    settings = PerformanceSettings.get()
    settings.partial_low, settings.partial_high = D("0"), D("10")
    settings.save()
    later = sheet_view(sheet=TargetSheet.objects.get(pk=sheet.pk))
    assert later.executed == filed.executed and later.budget == filed.budget
    assert later.score.total == filed.score.total and later.score.grade == filed.score.grade
    assert [line.scored for line in later.lines] == [line.scored for line in filed.lines]
    services.sheet_reopen(sheet=sheet, reason="补充", acting_user=staff_user)
    reopened = sheet_view(sheet=TargetSheet.objects.get(pk=sheet.pk))
    assert reopened.executed != filed.executed


def test_weights_must_total_100(ledger, staff_user):
    sheet = services.sheet_start(fund_year=ledger, acting_user=staff_user)
    values = [{**{f: getattr(r, f) for f in services.INDICATOR_FIELDS}, "id": r.pk}
              for r in sheet.indicators.all()]
    values[0]["weight"] = D("16.00")
    with pytest.raises(services.PerformanceError, match="分值合计 101.00"):
        services.sheet_update(sheet=sheet, values={}, indicators=values, acting_user=staff_user)


def test_copying_last_year(ledger, staff_user):
    last = FundYear.objects.create(year=2019, special_fund=D("6690000.00"))
    sheet = services.sheet_start(fund_year=last, acting_user=staff_user)
    Indicator.objects.filter(sheet=sheet, name="发现问题整改率").update(target=D(95),
                                                                      actual=D(80))
    new = services.sheet_start(fund_year=ledger, acting_user=staff_user, copy_last_year=True)
    copied = new.indicators.get(name="发现问题整改率")
    assert copied.target == D(95) and copied.actual is None
    with pytest.raises(services.PerformanceError, match="已存在"):
        services.sheet_start(fund_year=ledger, acting_user=staff_user)


def test_the_files_read_back_as_the_page_shows(client, ledger, staff_user, clerk_user):
    login(client, clerk_user)
    assert client.get("/performance/2020/").status_code == 403
    login(client, staff_user)
    assert client.get("/performance/2020/").status_code == 200
    assert client.post("/performance/2020/start/", {"copy": "0"}).status_code == 302
    client.post("/performance/2020/compute/")
    page = client.get("/performance/2020/")
    view = page.context["view"]
    workbook = load_workbook(io.BytesIO(client.get("/performance/2020/self.xlsx").content))
    sheet = workbook.active
    cells = {(c.row, c.column): c.value for row in sheet.iter_rows() for c in row}
    assert D(str(cells[(6, 4)])) == (view.budget / 10000).quantize(D("0.0001"))
    assert D(str(cells[(6, 5)])) == (view.executed / 10000).quantize(D("0.0001"))
    assert D(str(cells[(6, 8)])) == view.score.execution_score
    names = [cells.get((r, 3)) for r in range(13, 13 + len(view.lines))]
    assert names == [line.indicator.name for line in view.lines]
    scores = [cells.get((r, 7)) for r in range(13, 13 + len(view.lines))]
    assert [D(str(s)).quantize(D("0.01")) for s in scores] == [
        line.scored.score for line in view.lines]
    total_row = 13 + len(view.lines)
    assert D(str(cells[(total_row, 7)])).quantize(D("0.01")) == view.score.total
    targets = load_workbook(io.BytesIO(client.get("/performance/2020/targets.xlsx").content))
    rows = {(c.row, c.column): c.value for row in targets.active.iter_rows() for c in row}
    assert rows[(1, 1)] == "项目支出绩效目标表"
    assert rows[(13, 4)] == view.lines[0].target_text == f"＝{Township.objects.in_service(2020).count()}个"
    assert rows[(13, 3)] == view.lines[0].indicator.name and rows.get((13, 7)) in (None, "")
    report = Document(io.BytesIO(client.get("/performance/2020/self.docx").content))
    text = "\n".join(p.text for p in report.paragraphs)
    assert f"自评总分{view.score.total}分" in text and view.score.grade in text
    monitoring = client.get("/performance/2020/monitoring/?as_of=2020-06-30")
    assert monitoring.status_code == 200
    assert monitoring.context["monitoring"]["as_of"] == datetime.date(2020, 6, 30)
    table = load_workbook(io.BytesIO(
        client.get("/performance/2020/monitoring.xlsx?as_of=2020-06-30").content)).active
    assert table.cell(row=3, column=1).value == view.lines[0].indicator.name
    assert "绩效运行监控报告" in Document(io.BytesIO(client.get(
        "/performance/2020/monitoring.docx?as_of=2020-06-30").content)).paragraphs[0].text


def test_monitoring_lights_and_expected_values(ledger, staff_user):
    sheet = services.sheet_start(fund_year=ledger, acting_user=staff_user)
    result = monitoring_get(sheet=sheet, as_of=datetime.date(2020, 6, 30))
    cost = next(line for line in result["lines"] if line.indicator.source == "total_cost")
    # 21,000 spent by 30 June (182 days of 366): expected 4.22 万元 at the year's end
    assert cost.progress == D("2.10") and cost.expected == (D("2.10") * 366 / 182).quantize(
        D("0.01"))
    assert cost.light == "green"  # far under the ≤ 669 万元 target


def test_the_command_writes_the_files(ledger, staff_user, tmp_path, capsys):
    services.sheet_start(fund_year=ledger, acting_user=staff_user)
    call_command("evaluation", "--year", "2020", "--kind", "self", "--out", str(tmp_path),
                 "--user", staff_user.username)
    written = sorted(p.name for p in tmp_path.iterdir())
    assert any(n.endswith("自评表.xlsx") for n in written)
    assert any(n.endswith("自评报告.docx") for n in written)
    with pytest.raises(Exception, match="no target sheet"):
        call_command("evaluation", "--year", "2019", "--kind", "self", "--out", str(tmp_path),
                     "--user", staff_user.username)
    assert TargetSheet.objects.count() == 1


def test_the_page_saves_the_rows_and_their_evidence(client, ledger, staff_user):
    sheet = services.sheet_start(fund_year=ledger, acting_user=staff_user)
    login(client, staff_user)
    page = client.get("/performance/2020/")
    formset = page.context["formset"]
    data = {"goal": sheet.goal, "achieved": "保障了运转", "budget_date": "2020-03-01",
            "initial_budget": str(sheet.initial_budget), "monitoring_measures": "",
            "rows-TOTAL_FORMS": str(formset.initial_form_count()),
            "rows-INITIAL_FORMS": str(formset.initial_form_count()),
            "rows-MIN_NUM_FORMS": "0", "rows-MAX_NUM_FORMS": "1000"}
    for row_form in formset.forms:
        if row_form.instance.pk is None:
            continue
        for name in ("level1", "level2", "name", "direction", "target", "unit", "weight",
                     "source", "actual", "answer", "percent", "deviation_reason"):
            value = row_form.initial.get(name)
            data[f"{row_form.prefix}-{name}"] = "" if value is None else str(value)
        data[f"{row_form.prefix}-applicable"] = "on"
        data[f"{row_form.prefix}-id"] = str(row_form.instance.pk)
    survey = next(f for f in formset.forms if f.instance.name == "服务对象满意度")
    data[f"{survey.prefix}-actual"] = "91.20"
    data[f"{survey.prefix}-evidence"] = SimpleUploadedFile("满意度调查.pdf", DEMO_PDF,
                                                           content_type="application/pdf")
    response = client.post("/performance/2020/", data)
    assert response.status_code == 302, [str(m) for m in response.context["messages"]] + [f.errors for f in response.context["formset"].forms if f.errors] + [response.context["form"].errors, response.context["formset"].non_form_errors()]
    row = Indicator.objects.get(sheet=sheet, name="服务对象满意度")
    assert row.actual == D("91.20") and row.evidence
    sheet.refresh_from_db()
    assert sheet.achieved == "保障了运转"
    download = client.get(f"/performance/evidence/{row.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == DEMO_PDF
    # weights that do not total 100 are refused, and nothing changes
    data[f"{survey.prefix}-weight"] = "11"
    data.pop(f"{survey.prefix}-evidence")
    refused = client.post("/performance/2020/", data)
    assert refused.status_code == 400 and "须为100" in refused.content.decode()
    assert Indicator.objects.get(pk=row.pk).weight == D("10.00")
    # a row deleted while a file is chosen for it: the row goes, the file with it
    data[f"{survey.prefix}-weight"] = "10"
    deleted = next(f for f in formset.forms if f.instance.pk and f.instance.name != survey
                   .instance.name and f.instance.weight == D("10.00"))
    keeper = next(f for f in formset.forms if f.instance.pk and f.instance.pk not in (
        deleted.instance.pk, survey.instance.pk))
    data[f"{keeper.prefix}-weight"] = str(keeper.instance.weight + 10)
    data[f"{deleted.prefix}-DELETE"] = "on"
    data[f"{deleted.prefix}-evidence"] = SimpleUploadedFile("x.pdf", DEMO_PDF,
                                                            content_type="application/pdf")
    response = client.post("/performance/2020/", data)
    assert response.status_code == 302
    assert not Indicator.objects.filter(pk=deleted.instance.pk).exists()
