"""Issue 16: the yearly documents, read back with python-docx and openpyxl.

The figures must be those of the allocation selector and of the CSV export to the yuan,
the notice must have the GB/T 9704-2012 page, grid and fonts, every category change must
be in its 附件2 with its reason, and nothing visible may be an English word.
"""

import csv
import datetime
import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm
from openpyxl import load_workbook

from demo.data import DEMO_PDF
from funds.budget.selectors import allocation_list, budget_check_get, execution_total_get
from funds.documents import layout, rendering, services
from funds.documents.figures import FIELDS
from funds.models import DocumentSettings, DocumentTemplate, SpendingCategory
from funds.spending import services as spending
from tests.conftest import login
from townships.models import AuditEvent, Township
from townships.services import township_category_set
from wanyuan.money import amount_in_capitals, format_yuan

ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")


#: The 成文日期 the tests issue the demo year's documents under (a past year is not
#: dated today), and the source they state for the demo's money beyond the fund.
ISSUED = datetime.date(2020, 3, 20)
EXCESS_SOURCE = "市级财政统筹资金"
#: the same, as the documents page sends them with a download
ISSUE_QUERY = {"dated": "2020-03-20", "excess_source": EXCESS_SOURCE}


def generate(kind, fmt, user, **options):
    options.setdefault("dated", ISSUED)
    if kind in services.MONEY_DOCUMENTS:
        options.setdefault("excess_source", EXCESS_SOURCE)
    return services.document_generate(kind=kind, fmt=fmt, year=2020, acting_user=user,
                                      **options)


def read_docx(document):
    return Document(io.BytesIO(document.content))


def visible_text(doc) -> list[str]:
    """Every paragraph a reader sees: the body, its tables (nested too), headers, footers."""
    texts = []

    def walk(container):
        for paragraph in container.paragraphs:
            texts.append(paragraph.text)
        for table in container.tables:
            for row in table.rows:
                for cell in row.cells:
                    walk(cell)

    walk(doc)
    for section in doc.sections:
        for part in (section.header, section.footer, section.even_page_footer,
                     section.even_page_header, section.first_page_footer):
            walk(part)
    return texts


def table_rows(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def csv_totals(client, user) -> dict[str, Decimal]:
    """The allocation CSV export's total per township code."""
    login(client, user)
    response = client.get(reverse("allocation-export-csv", args=[2020]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))[1:]
    return {row[0]: Decimal(row[7]) for row in rows}


@pytest.fixture
def changed(demo, admin_user):
    """Two category changes of 2020, each with its reason, as the administrator makes."""
    taiping = Township.objects.get(name="太平镇")
    qinghua = Township.objects.get(name="青花镇")
    township_category_set(township=taiping, year=2020, category=2,
                          reason="第50名/共52名 → 一类降二类", acting_user=admin_user)
    township_category_set(township=qinghua, year=2020, category=3,
                          reason="经复核调整为三类", acting_user=admin_user)
    return demo


# --- The templates ------------------------------------------------------------------------


def test_the_committed_templates_are_what_the_layout_builds(tmp_path):
    for path in layout.build_all(tmp_path):
        assert path.read_bytes() == (layout.TEMPLATES / path.name).read_bytes(), (
            f"{path.name}: run python -m funds.documents.layout")


@pytest.mark.parametrize("kind", sorted(FIELDS))
def test_the_default_templates_use_only_their_documented_fields(kind):
    data = rendering.default_template(kind).read_bytes()
    assert rendering.template_problems(kind, data) == []
    documented = (layout.TEMPLATES.parents[2] / "docs" / "documents.md").read_text()
    missing = [name for name in FIELDS[kind] if f"`{name}`" not in documented]
    assert missing == []


# --- The notice: layout, amounts, 大写, changes -------------------------------------------


def test_the_notice_has_the_standard_page_grid_and_fonts(demo, admin_user):
    doc = read_docx(generate("notice", "docx", admin_user))
    section = doc.sections[0]

    def mm(length):
        return round(length / Mm(1), 1)

    assert (mm(section.page_width), mm(section.page_height)) == (210, 297)
    assert (mm(section.top_margin), mm(section.bottom_margin), mm(section.left_margin),
            mm(section.right_margin)) == (37, 35, 28, 26)
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "lines"
    # 22 lines in the 225 mm of the type area; 28 characters of 16 pt less the body's
    # condensed spacing (in twentieths of a point) in its 156 mm
    line_pitch_twips = int(grid.get(qn("w:linePitch")))
    type_area_twips = 225 / 25.4 * 1440
    # 22 fit, 23 do not (LibreOffice sets 21 when 22 lines are a hair taller than 225 mm)
    assert 22 * line_pitch_twips <= type_area_twips < 23 * line_pitch_twips
    spacing = doc.styles["Normal"].element.rPr.find(qn("w:spacing"))
    char_pitch_pt = 16 + int(spacing.get(qn("w:val"))) / 20
    assert int(156 / 25.4 * 72 / char_pitch_pt) == 28

    def east_asian(style):
        return style.element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))

    styles = doc.styles
    assert (east_asian(styles["Normal"]), styles["Normal"].font.size.pt) == ("仿宋_GB2312", 16)
    assert (east_asian(styles["公文标题"]), styles["公文标题"].font.size.pt) == ("方正小标宋简体", 22)
    assert (east_asian(styles["一级标题"]), styles["一级标题"].font.size.pt) == ("黑体", 16)
    assert (east_asian(styles["二级标题"]), styles["二级标题"].font.size.pt) == ("楷体_GB2312", 16)
    assert east_asian(styles["附件标识"]) == "黑体"
    # the paragraphs use them: the title, the first-level and second-level headings
    used = {p.style.name: p.text for p in doc.paragraphs}
    # the title broken by hand at a word, 20 characters of 二号 a line at most
    assert used["公文标题"] == "关于下达2020年度乡镇基层党建工作\n专项经费的通知"
    assert used["一级标题"].startswith(("一、", "二、", "三、"))
    assert used["二级标题"].startswith("（")
    # page numbers: — PAGE — in 四号, odd pages right, even pages left
    assert doc.settings.odd_and_even_pages_header_footer
    for footer, align in ((section.footer, "right"), (section.even_page_footer, "left")):
        paragraph = footer.paragraphs[0]
        assert paragraph.text == "— 1 —"
        assert paragraph.alignment.name.lower() == align
        assert "PAGE" in paragraph._p.xml and "fldChar" in paragraph._p.xml
        assert paragraph.style.font.size.pt == 14


@pytest.mark.parametrize("kind", ["plan", "notice", "posting", "execution", "rectification"])
def test_the_layout_keeps_together_what_belongs_together(demo, admin_user, kind):
    """GB/T 9704 as it renders: headings with the next paragraph, table rows whole and
    the header repeated, the signature with the text before it, numbers not broken (the
    Latin language is not Chinese, whose rules break between any two characters)."""
    doc = read_docx(generate(kind, "docx", admin_user, **({"period": "year"}
                                                          if kind == "posting" else {})))
    for name in ("公文标题", "一级标题", "二级标题", "附件标识", "附件标题"):
        assert doc.styles[name].paragraph_format.keep_with_next, name
    tables = doc.tables
    if kind == "notice":
        tables = tables[1:]  # the masthead's layout table
    for table in tables:
        rows = table._tbl.findall(qn("w:tr"))
        assert all(row.find(qn("w:trPr")) is not None
                   and row.find(qn("w:trPr")).find(qn("w:cantSplit")) is not None
                   for row in rows)
    data_tables = [t for t in tables if not t.rows[0].cells[0].text.startswith("抄送")]
    assert all(t.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None for t in data_tables)
    paragraphs = doc.paragraphs
    date = max(i for i, p in enumerate(paragraphs) if p.text == "2020年3月20日")
    block = paragraphs[date - 4:date]  # two blank lines, the two signing organs
    assert [p.text for p in block[2:]] == ["中共万源市委组织部", "万源市财政局"]
    assert all(p.paragraph_format.keep_with_next for p in block)
    before = next(p for p in reversed(paragraphs[:date - 4]) if p.text.strip())
    last_row_kept = doc.tables and any(
        cell.paragraphs[-1].paragraph_format.keep_with_next
        for cell in doc.tables[-1].rows[-1].cells)
    assert before.paragraph_format.keep_with_next or last_row_kept
    language = doc.styles.element.find(qn("w:docDefaults")).find(".//" + qn("w:lang"))
    assert (language.get(qn("w:val")), language.get(qn("w:eastAsia"))) == ("en-US", "zh-CN")


def test_the_imprint_spans_the_type_area_at_the_foot_of_the_page(demo, admin_user):
    doc = read_docx(generate("notice", "docx", admin_user))
    imprint = doc.tables[-1]
    assert imprint.rows[0].cells[0].text.startswith("抄送：")
    assert imprint.rows[1].cells[0].text.endswith("印发")
    assert round(imprint.columns[0].width / Mm(1)) == 156  # rules as wide as the type area
    position = imprint._tbl.tblPr.find(qn("w:tblpPr"))
    assert (position.get(qn("w:vertAnchor")), position.get(qn("w:tblpYSpec"))) == (
        "margin", "bottom")


def test_the_notice_has_masthead_number_recipients_signature_and_closing_block(
        demo, admin_user):
    DocumentSettings.objects.create(pk=1, number_prefix="万组发", copy_to="市审计局")
    doc = read_docx(generate("notice", "docx", admin_user, number="万组发〔2020〕7号"))
    text = "\n".join(visible_text(doc))
    masthead = table_rows(doc.tables[0])[0]
    assert "中共万源市委组织部" in masthead[0] and "万源市财政局" in masthead[0]
    assert masthead[1] == "文件"
    assert "万组发〔2020〕7号" in text
    assert "各乡镇党委：" in text
    assert "附件：1. 2020年度乡镇基层党建工作专项经费分配表" in text
    assert "抄送：市审计局。" in text
    assert re.search(r"中共万源市委组织部办公室\s*\d{4}年\d{1,2}月\d{1,2}日印发", text)


def test_the_notice_amounts_equal_the_selector_and_the_csv_export_to_the_yuan(
        client, demo, admin_user, finance_user):
    doc = read_docx(generate("notice", "docx", admin_user))
    attachment = next(t for t in doc.tables if t.rows[0].cells[-1].text == "大写金额")
    rows = table_rows(attachment)
    body, total = rows[1:-1], rows[-1]
    selector = {t.code: t.total_amount for t in allocation_list(fund_year=demo)}
    exported = csv_totals(client, finance_user)
    shown = {code: Decimal(amount.replace(",", "")) for code, _n, _c, amount, _w in body}
    assert shown == selector == {c: a for c, a in exported.items() if c != "合计"}
    for code, _name, _category, _amount, words in body:
        assert words == amount_in_capitals(selector[code])
    grand = budget_check_get(fund_year=demo).grand_total
    assert total[0] == "合计" and total[1] == "52个乡镇"
    assert Decimal(total[3].replace(",", "")) == grand == exported["合计"]
    assert total[4] == amount_in_capitals(grand) == "玖佰贰拾捌万元整"


def test_the_plan_lists_every_township_in_yuan_and_states_the_money_by_source(
        demo, admin_user):
    doc = read_docx(generate("plan", "docx", admin_user))
    text = "\n".join(visible_text(doc))
    # never more 专项经费 than the fund; the floors and the excess named with their source
    assert ("分配总额928万元，其中专项经费669万元，保底资金156万元由其他资金保障，"
            "超出专项经费的103万元由市级财政统筹资金解决。") in text
    assert "一类20个，每个20万元；二类16个，每个18万元；三类16个，每个15万元" in text
    assert len(re.findall(r"(?<![\d.])3万元", text)) == 1  # the floor stated once
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "代码")
    rows = table_rows(table)
    selector = {t.code: t for t in allocation_list(fund_year=demo)}
    assert len(rows) == 1 + 52 + 1
    labels = {1: "一类", 2: "二类", 3: "三类"}
    for code, _name, category, floor, standard, total in rows[1:-1]:
        township = selector[code]
        assert category == labels[township.category]
        assert Decimal(total.replace(",", "")) == township.total_amount
        assert Decimal(floor.replace(",", "")) == township.floor_amount
        assert Decimal(standard.replace(",", "")) == township.standard_amount
    assert rows[-1][3:] == ["1,560,000.00", "7,720,000.00", "9,280,000.00"]


def test_every_category_change_is_in_attachment_2_with_its_reason(changed, admin_user):
    doc = read_docx(generate("notice", "docx", admin_user))
    table = next(t for t in doc.tables if t.rows[0].cells[-1].text == "调整原因")
    rows = table_rows(table)[1:]
    assert rows == [
        ["太平镇", "511781100", "一类", "二类", "第50名/共52名 → 一类降二类"],
        ["青花镇", "511781101", "一类", "三类", "经复核调整为三类"],
    ]
    text = "\n".join(visible_text(doc))
    assert "2个乡镇类别有调整（升类0个、降类2个）" in text


def test_without_changes_attachment_2_says_so(demo, admin_user):
    text = "\n".join(visible_text(read_docx(generate("notice", "docx", admin_user))))
    assert "本年度无乡镇类别调整。" in text


@pytest.mark.parametrize(("kind", "fmt"), [k for k in services.DOCUMENTS if k[1] == "docx"])
def test_no_document_shows_an_english_word(changed, admin_user, kind, fmt):
    taiping = Township.objects.get(name="太平镇")
    _spend_and_inspect(taiping, admin_user)
    texts = visible_text(read_docx(generate(kind, fmt, admin_user)))
    assert [t for t in texts if ENGLISH_WORD.search(t)] == []
    assert any(t.strip() for t in texts)


def test_an_invalid_document_number_is_refused(demo, admin_user):
    for number in ("万组发〔2021〕1号", "万组发〔2020〕01号", "万组发[2020]1号", "第1号"):
        with pytest.raises(services.DocumentError):
            generate("notice", "docx", admin_user, number=number)


# --- Posting, execution, rectification --------------------------------------------------


def _spend_and_inspect(township, admin_user):
    """One reimbursed expenditure of 12,000.50 with its decision, and an inspection with
    a finding of 3,000 involved, closed with 1,000 restored."""
    from django.contrib.auth.models import Group

    from tests.conftest import make_user
    from townships import roles

    clerk = make_user(f"c{township.pk}", roles.CLERKS, township=township)
    staff = make_user(f"s{township.pk}", roles.STAFF, is_staff=True)
    finance = make_user(f"f{township.pk}", roles.FINANCE, is_staff=True)
    assert Group.objects.filter(name=roles.STAFF).exists()
    expenditure = spending.expenditure_create(
        township=township, date=datetime.date(2020, 5, 1), amount=Decimal("12000.50"),
        category=SpendingCategory.objects.first(), purpose="党员培训", payee="市委党校",
        acting_user=clerk)
    spending.decision_record(
        expenditure=expenditure, meeting_type="party_committee",
        meeting_date=datetime.date(2020, 4, 20), attendance="全体委员",
        minutes_reference="党委会纪要第3号", acting_user=clerk)
    spending.voucher_add(expenditure=expenditure, kind="invoice", acting_user=clerk,
                         upload=SimpleUploadedFile("发票.pdf", DEMO_PDF))
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk)
    spending.expenditure_approve(expenditure=expenditure, acting_user=staff)
    spending.expenditure_reimburse(expenditure=expenditure, reimbursed_on=timezone.localdate(),
                                   accounting_voucher="记-12", acting_user=finance)
    inspection = spending.inspection_record(date=datetime.date(2020, 10, 1),
                                            inspectors="市委组织部检查组",
                                            townships=[township], acting_user=staff)
    finding = spending.finding_add(inspection=inspection, township=township,
                                   description="签到表缺签名", deadline=datetime.date(2020, 11, 1),
                                   amount_involved=Decimal("3000.00"), acting_user=staff)
    spending.finding_close(finding=finding, closure_note="已补签并退回多报金额",
                           amount_restored=Decimal("1000.00"), acting_user=staff)
    spending.finding_add(inspection=inspection, township=township, description="发票抬头有误",
                         deadline=datetime.date(2021, 1, 1), acting_user=staff)
    return expenditure


def test_the_posting_lists_categories_amounts_and_itemised_spending(demo, admin_user):
    taiping = Township.objects.get(name="太平镇")
    _spend_and_inspect(taiping, admin_user)
    doc = read_docx(generate("posting", "docx", admin_user, period="q2"))
    text = "\n".join(visible_text(doc))
    assert "公示期：自发布之日起5个工作日" in text
    assert "二、2020年第二季度（4月1日至6月30日）经费使用明细" in text
    # one line for the 51 townships without spending in the quarter, no page each
    assert re.search(r"本期无经费支出的乡镇51个：青花镇、.*曹家乡。", text)
    assert "暂无经费支出" not in text and text.count("本年已使用") == 1
    # dated in March, by default the first quarter: no spending in it
    march = "\n".join(visible_text(read_docx(generate("posting", "docx", admin_user))))
    assert "2020年第一季度" in march and "本期无经费支出的乡镇52个" in march
    assert "中共万源市委组织部组织科" in text
    spending_table = next(t for t in doc.tables if t.rows[0].cells[0].text == "日期"
                          and any("党员培训" in c.text for c in t.rows[-1].cells))
    assert table_rows(spending_table)[-1] == [
        "2020-05-01", "党员培训", "市委党校", "12,000.50", "党委会议（2020-04-20）党委会纪要第3号"]


def test_the_execution_report_and_workbook_give_the_selectors_totals(demo, admin_user):
    taiping = Township.objects.get(name="太平镇")
    _spend_and_inspect(taiping, admin_user)
    total = execution_total_get(fund_year=demo)
    assert total.reimbursed == Decimal("12000.50")
    book = load_workbook(io.BytesIO(generate("execution", "xlsx", admin_user).content))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert "2020" in rows[0][0] and rows[1][0] == "代码"
    assert sheet.freeze_panes == "A3"
    body, totals = rows[2:-1], rows[-1]
    assert len(body) == 52
    by_code = {r[0]: r for r in body}
    assert Decimal(str(by_code["511781100"][5])) == Decimal("12000.50")
    assert Decimal(str(totals[3])) == total.allocation == Decimal("9280000.00")
    assert Decimal(str(totals[5])) == total.reimbursed
    assert sheet.cell(row=3, column=4).number_format == '#,##0.00"元"'
    assert sheet.cell(row=3, column=8).number_format == "0.00%"
    categories = list(book.worksheets[1].iter_rows(values_only=True))
    assert categories[-1][1:] == (1, 12000.5)
    doc = read_docx(generate("execution", "docx", admin_user))
    text = "\n".join(visible_text(doc))
    assert "已报账12,000.50元" in text
    assert "单笔10,000.00元及以上的支出共1笔" in text
    assert "执行率低于50.00%的乡镇" in text and "支付率" not in text
    assert "分配经费9,280,000.00元（其中专项经费6,690,000.00元，保底资金1,560,000.00元由其他" \
        "资金保障，超出专项经费1,030,000.00元由其他资金解决）" in text


def test_the_rectification_ledger_and_report_add_up_the_findings(demo, admin_user):
    taiping = Township.objects.get(name="太平镇")
    _spend_and_inspect(taiping, admin_user)
    book = load_workbook(io.BytesIO(generate("rectification", "xlsx", admin_user).content))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[1] == ("乡镇", "检查日期", "问题", "涉及金额（元）", "整改期限", "状态",
                       "整改情况", "追回或纠正金额（元）")
    assert [r[5] for r in rows[2:-1]] == ["已整改", "逾期未整改"]
    assert rows[-1][3] == 3000 and rows[-1][7] == 1000
    text = "\n".join(visible_text(read_docx(generate("rectification", "docx", admin_user))))
    assert "发现问题2个，涉及1个乡镇，涉及金额3,000.00元" in text
    assert "已整改1个，整改中1个（其中逾期1个），已追回或纠正资金1,000.00元" in text


def test_the_next_years_rectification_report_carries_over_open_findings(demo, admin_user):
    """2021 had no inspection yet; 2020's findings that were open when 2021 began are
    carried over, the overdue one said so, not "no problems found"."""
    from funds.yearly import services as yearly

    _spend_and_inspect(Township.objects.get(name="太平镇"), admin_user)
    yearly.reclassification_apply(year=2020, acting_user=admin_user)
    document = services.document_generate(kind="rectification", fmt="docx", year=2021,
                                           dated=datetime.date(2021, 6, 30),
                                           acting_user=admin_user)
    doc = read_docx(document)
    text = "\n".join(visible_text(doc))
    assert "未发现问题" not in text
    assert "以前年度检查发现、本年初尚未整改完成的问题2个一并列入本报告" in text
    assert "整改中1个（其中逾期1个）" in text
    table = next(t for t in doc.tables if t.rows[0].cells[1].text == "年度")
    assert [row[1:3] for row in table_rows(table)[1:]] == [["2020", "签到表缺签名"],
                                                          ["2020", "发票抬头有误"]]


# --- Who, and the audit trail -------------------------------------------------------------


def test_each_generation_is_audited_with_template_version_and_figures_hash(demo, admin_user):
    document = generate("plan", "docx", admin_user)
    event = AuditEvent.objects.get(action=AuditEvent.Action.DOCUMENT_GENERATED)
    assert (event.actor, event.year) == (admin_user, 2020)
    assert event.details == {"kind": "plan", "format": "docx", "township": None,
                             "template_version": 0, "number": None,
                             "figures_sha256": document.figures_sha256,
                             "dated": "2020-03-20", "excess_source": EXCESS_SOURCE}
    assert len(document.figures_sha256) == 64
    assert "资金分配方案" in event.summary
    # the same figures give the same hash; a changed allocation another
    assert generate("plan", "docx", admin_user).figures_sha256 == document.figures_sha256
    township_category_set(township=Township.objects.get(name="太平镇"), year=2020, category=3,
                          reason="复核", acting_user=admin_user)
    assert generate("plan", "docx", admin_user).figures_sha256 != document.figures_sha256


def test_clerks_cannot_generate_the_county_documents(demo, clerk_user):
    with pytest.raises(PermissionDenied):
        generate("plan", "docx", clerk_user)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DOCUMENT_GENERATED).exists()


def test_finance_opens_and_downloads_the_documents_it_co_issues(client, demo, finance_user):
    """Issue 23: finance co-issues the notice and the reports; opening one is audited."""
    login(client, finance_user)
    page = client.get("/documents/2020/")
    assert page.status_code == 200
    assert "/documents/2020/notice.docx" in page.content.decode()
    response = client.get("/documents/2020/notice.docx", ISSUE_QUERY)
    assert response.status_code == 200 and response.content[:2] == b"PK"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DOCUMENT_GENERATED,
                                     actor=finance_user).count() == 1
    assert client.post("/documents/2020/templates/").status_code == 403  # not the shape


def test_a_clerk_gets_the_own_townships_posting_and_ledger_and_404_for_another(
        client, demo, clerk_user):
    login(client, clerk_user)
    own, other = "511781100", "511781101"  # 太平镇, 青花镇
    for kind in ("posting.docx", "rectification.xlsx"):
        response = client.get(f"/documents/2020/{own}/{kind}", ISSUE_QUERY)
        assert response.status_code == 200
        assert "太平镇" in response["Content-Disposition"] or "%E5%A4%AA" in \
            response["Content-Disposition"]
        assert client.get(f"/documents/2020/{other}/{kind}").status_code == 404
    assert client.get(f"/documents/2020/{own}/plan.docx").status_code == 404
    assert client.get("/documents/2020/posting.docx").status_code == 403
    assert client.get(f"/documents/2020/{own}/posting/").status_code == 200
    assert client.get(f"/documents/2020/{other}/posting/").status_code == 404
    doc = Document(io.BytesIO(client.get(f"/documents/2020/{own}/posting.docx",
                                         ISSUE_QUERY).content))
    amounts = table_rows(doc.tables[0])
    assert [r[1] for r in amounts[1:-1]] == ["太平镇"]
    page = client.get("/documents/2020/").content.decode()
    assert "资金分配方案" not in page and "公示" in page and "整改台账" in page


def test_the_documents_page_lists_every_document_for_staff(client, demo, staff_user):
    login(client, staff_user)
    page = client.get("/documents/2020/").content.decode()
    for (kind, fmt), name in services.DOCUMENTS.items():
        assert name in page
        # a download is a button of the issue form: it sends the date, number and source
        assert f'form="issue-form" class="link" formaction="/documents/2020/{kind}.{fmt}"' \
            in page
    assert 'value="万组发〔2020〕1号"' in page
    assert 'name="dated"' in page and 'name="excess_source"' in page  # 2020 exceeds the fund
    assert "模板" not in page  # uploading templates is the administrators'


def test_the_notice_number_and_date_are_taken_from_the_page_and_checked(
        client, demo, staff_user):
    login(client, staff_user)
    query = {**ISSUE_QUERY, "number": "万组发〔2020〕12号", "dated": "2020-03-02"}
    response = client.get("/documents/2020/notice.docx", query)
    assert response.status_code == 200
    text = "\n".join(visible_text(Document(io.BytesIO(response.content))))
    assert "万组发〔2020〕12号" in text and "2020年3月2日" in text
    assert "2026年" not in text
    # a wrong number goes back to the page, the choices kept, the reason said
    response = client.get("/documents/2020/notice.docx", {**query, "number": "万组发〔2019〕12号"},
                          follow=True)
    assert response.redirect_chain[0][0].startswith("/documents/2020/?")
    assert "年份不是 2020" in response.content.decode()
    assert 'value="万组发〔2019〕12号"' in response.content.decode()


def test_a_past_years_document_needs_its_date(client, demo, staff_user):
    login(client, staff_user)
    response = client.get("/documents/2020/posting.docx", follow=True)
    assert response.redirect_chain  # not a download
    assert "2020年的文件不以今天为成文日期" in response.content.decode()
    with pytest.raises(services.DocumentError):
        services.document_generate(kind="posting", fmt="docx", year=2020, acting_user=staff_user)
    with pytest.raises(services.DocumentError):  # dated years away from its year
        generate("posting", "docx", staff_user, dated=datetime.date(2026, 12, 5))


def test_a_number_is_not_issued_twice_for_different_documents(demo, admin_user):
    first = generate("notice", "docx", admin_user, number="万组发〔2020〕7号")
    again = generate("notice", "docx", admin_user, number="万组发〔2020〕7号")  # the same again
    assert again.figures_sha256 == first.figures_sha256
    with pytest.raises(services.DocumentError, match="已用于"):
        generate("notice", "docx", admin_user, number="万组发〔2020〕7号",
                 dated=datetime.date(2020, 4, 1))
    DocumentSettings.objects.update_or_create(pk=1, defaults={"next_number": 7})
    assert services.default_number(2020) == "万组发〔2020〕8号"  # the used one is skipped


def test_money_beyond_the_fund_stops_the_plan_and_the_notice_until_its_source_is_stated(
        client, demo, staff_user, admin_user):
    for kind in services.MONEY_DOCUMENTS:
        with pytest.raises(services.DocumentError, match="采用与专项经费相符的分配方案"):
            generate(kind, "docx", admin_user, excess_source="")
    login(client, staff_user)
    response = client.get("/documents/2020/notice.docx", {"dated": "2020-03-20"}, follow=True)
    page = response.content.decode()
    assert "拟下达金额超出专项经费可用额103.00万元" in page
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DOCUMENT_GENERATED).exists()
    # stated, it is issued, the source printed and recorded with the generation
    document = generate("notice", "docx", admin_user)
    assert f"由{EXCESS_SOURCE}解决" in "\n".join(visible_text(read_docx(document)))
    event = AuditEvent.objects.get(action=AuditEvent.Action.DOCUMENT_GENERATED)
    assert event.details["excess_source"] == EXCESS_SOURCE


@pytest.mark.parametrize("kind", sorted(services.MONEY_DOCUMENTS))
def test_no_document_issues_more_special_fund_than_the_fund_less_the_reserve(
        demo, admin_user, kind):
    """Every amount called 专项经费 in a money document is at most the fund less the
    reserve, with or without an adopted plan, with or without a reserve."""
    from funds.models import FundYear
    from funds.planning import services as planning

    fund_year = FundYear.objects.get(year=2020)
    available = (fund_year.special_fund - fund_year.reserve) / 10000

    def stated():
        text = "\n".join(visible_text(read_docx(generate(kind, "docx", admin_user))))
        return [Decimal(v) for v in re.findall(r"专项经费(\d+(?:\.\d+)?)万元", text)]

    assert stated() and max(stated()) <= available
    FundYear.objects.filter(pk=fund_year.pk).update(reserve=Decimal("90000.00"))
    fund_year.refresh_from_db()
    available = (fund_year.special_fund - fund_year.reserve) / 10000
    assert max(stated()) <= available
    scenario = planning.scenario_create(fund_year=fund_year, name="等比例", method="scale",
                                        acting_user=admin_user)
    planning.scenario_adopt(scenario=scenario, acting_user=admin_user)
    text = "\n".join(visible_text(read_docx(generate(kind, "docx", admin_user,
                                                     excess_source=""))))
    assert "等比例" not in text and "scale" not in text  # no scenario name, no English
    assert max(stated()) <= available


@pytest.mark.parametrize("url", ["/documents/2020/", "/documents/2020/posting/"])
def test_the_documents_pages_do_not_grow_their_queries_with_the_townships(
        client, demo, admin_user, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.funds.test_views import _add_townships

    login(client, admin_user)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _add_townships(448)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large) == len(small) <= 12


def test_generating_a_document_runs_a_fixed_number_of_queries(demo, admin_user,
                                                             django_assert_max_num_queries):
    from tests.funds.test_views import _add_townships

    for kind, fmt in services.DOCUMENTS:
        generate(kind, fmt, admin_user)
    _add_townships(448)
    with django_assert_max_num_queries(14):
        generate("notice", "docx", admin_user)
    with django_assert_max_num_queries(14):
        generate("posting", "docx", admin_user)
    with django_assert_max_num_queries(14):
        generate("execution", "xlsx", admin_user)


# --- Replacement templates ----------------------------------------------------------------


def _template_with(text: str) -> bytes:
    """A .docx whose body is one paragraph of ``text``."""
    document = Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _upload(client, kind, data, name="模板.docx"):
    return client.post("/documents/2020/templates/",
                       {"kind": kind, "file": SimpleUploadedFile(name, data)}, follow=True)


@pytest.mark.parametrize(("text", "message"), [
    ("{{ year }}年{{ secret_key }}", "未知字段：secret_key"),
    ("{{ ''.__class__ }}", "访问系统内部对象（__class__）"),
    ("{{ rows.__class__.__mro__ }}", "访问系统内部对象"),
    ("{{ county|attr('__class__') }}", "访问系统内部对象"),
    ("{{ county['__class__'] }}", "访问系统内部对象"),
    ("{% for r in rows %}{{ r.code }}", "字段写法有误"),
])
def test_a_bad_template_is_refused_with_a_message_and_nothing_is_saved(
        client, demo, admin_user, text, message):
    login(client, admin_user)
    response = _upload(client, "plan", _template_with(text))
    shown = [str(m) for m in response.context["messages"]]
    assert any("模板未保存" in m and message in m for m in shown), shown
    assert not DocumentTemplate.objects.exists()
    assert not AuditEvent.objects.filter(
        action=AuditEvent.Action.DOCUMENT_TEMPLATE_UPLOADED).exists()
    # the default stays in use
    assert generate("plan", "docx", admin_user).template_version == 0


def test_a_file_that_is_not_a_docx_is_refused(client, demo, admin_user):
    login(client, admin_user)
    response = _upload(client, "plan", b"%PDF-1.4 not a word file")
    assert any("不是 Word" in str(m) for m in response.context["messages"])
    assert not DocumentTemplate.objects.exists()


def test_the_sandbox_refuses_internals_when_rendering_too():
    """Jinja's sandbox refuses (a SecurityError in the process that fills the template),
    reported as the rendering's error with the reason."""
    with pytest.raises(rendering.RenderError, match="不允许.*__class__"):
        rendering.render_docx(_template_with("{{ ''.__class__ }}"), {})
    with pytest.raises(rendering.RenderError, match="不允许"):
        rendering.render_docx(_template_with("{{ rows.append(1) }}"), {"rows": []})


def test_an_uploaded_template_is_used_and_reset_to_the_default(client, demo, admin_user):
    login(client, admin_user)
    response = _upload(client, "plan", _template_with("{{ county }}{{ year }}年合计"
                                                      "{{ total.total }}元"))
    assert any("第1版" in str(m) for m in response.context["messages"])
    document = generate("plan", "docx", admin_user)
    assert document.template_version == 1
    assert visible_text(read_docx(document))[0] == "万源市2020年合计9,280,000.00元"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DOCUMENT_GENERATED).order_by(
        "id").last().details["template_version"] == 1
    _upload(client, "plan", _template_with("{{ year }}"))
    assert list(DocumentTemplate.objects.values_list("version", "active")) == [
        (2, True), (1, False)]
    client.post("/documents/2020/templates/plan/reset/")
    assert not DocumentTemplate.objects.filter(active=True).exists()
    assert generate("plan", "docx", admin_user).template_version == 0
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DOCUMENT_TEMPLATE_RESET).count() == 1


def test_only_administrators_upload_templates(client, demo, staff_user):
    login(client, staff_user)
    response = client.post("/documents/2020/templates/",
                           {"kind": "plan", "file": SimpleUploadedFile(
                               "a.docx", _template_with("{{ year }}"))})
    assert response.status_code == 403
    assert not DocumentTemplate.objects.exists()


# --- The command and the settings ---------------------------------------------------------


def test_the_command_writes_the_documents_as_the_user(tmp_path, demo, admin_user):
    call_command("documents", "--year", "2020", "--kind", "execution", "--date", "2021-01-10",
                 "--out", str(tmp_path),
                 "--user", admin_user.username)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["万源市2020年度执行情况报告.docx", "万源市2020年度执行情况表.xlsx"]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DOCUMENT_GENERATED,
                                     actor=admin_user).count() == 2
    for path in tmp_path.iterdir():
        assert zipfile.is_zipfile(path)


def test_the_command_refuses_a_user_without_the_permission(tmp_path, demo, clerk_user):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("documents", "--year", "2020", "--kind", "plan", "--out",
                     str(tmp_path), "--user", clerk_user.username)
    assert list(tmp_path.iterdir()) == []


def test_the_command_refuses_a_folder_it_cannot_write_before_generating(
        tmp_path, demo, admin_user):
    from django.core.management.base import CommandError

    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    with pytest.raises(CommandError, match="cannot write to the folder"):
        call_command("documents", "--year", "2020", "--kind", "plan", "--out",
                     str(blocked / "out"), "--user", admin_user.username)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DOCUMENT_GENERATED).exists()


def test_the_county_words_are_settings_and_their_changes_are_audited(demo, admin_user):
    from townships.audit import acting

    with acting(admin_user):
        settings = DocumentSettings.objects.create(pk=1)
        settings.issuing_organs = "中共万源市委组织部"
        settings.county_name = "万源市"
        settings.save()
    event = AuditEvent.objects.filter(
        action=AuditEvent.Action.DOCUMENT_SETTINGS_CHANGED).order_by("id").last()
    assert event.actor == admin_user
    assert event.details["changes"]["issuing_organs"]["new"] == "中共万源市委组织部"
    doc = read_docx(generate("notice", "docx", admin_user))
    masthead = table_rows(doc.tables[0])[0][0]
    assert "中共万源市委组织部" in masthead and "财政局" not in masthead


def test_format_of_amounts_matches_the_yuan_helper():
    assert format_yuan(Decimal("1234.5")) == "1,234.50"


def test_the_2021_notice_describes_the_merger_in_the_countys_words(db):
    """After the 2020 merger (52 → 31): which units ended and began, that the county set
    the new units' categories, and the ranking credited only with its moves."""
    from django.contrib.auth import get_user_model

    from demo.data import demo_accounts_create, demo_history_load, reference_load

    reference_load()
    demo_accounts_create("a-long-demo-password-1")
    demo_history_load()
    document = services.document_generate(
        kind="notice", fmt="docx", year=2021, dated=datetime.date(2021, 3, 5),
        acting_user=get_user_model().objects.get(username="admin"))
    text = "\n".join(visible_text(read_docx(document)))
    ended = Township.objects.filter(last_year=2020).count()
    began = list(Township.objects.filter(first_year=2021).order_by("code")
                 .values_list("name", flat=True))
    assert "根据2020年乡镇行政区划调整，撤并" in text
    assert f"{ended}个乡镇，新设{'、'.join(began)}{len(began)}个乡镇，全市纳入分配的乡镇由52个调整为31个" \
        in text
    assert "新设乡镇2021年的类别由中共万源市委组织部研究确定" in text
    assert "管理员" not in text and "新定类" not in text
    assert "2021年3月5日" in text


def test_no_document_of_any_demo_year_states_more_special_fund_than_it_has(db):
    """Every demo year (2019–2021, across the merger), every document that states the
    专项经费 it issues or spends: never more than the fund less the reserve."""
    from django.contrib.auth import get_user_model

    from demo.data import demo_accounts_create, demo_history_load, reference_load
    from funds.models import FundYear

    reference_load()
    demo_accounts_create("a-long-demo-password-1")
    demo_history_load()
    admin = get_user_model().objects.get(username="admin")
    for fund_year in FundYear.objects.order_by("year"):
        available = (fund_year.special_fund - fund_year.reserve) / 10000
        for kind in ("plan", "notice", "execution"):
            document = services.document_generate(
                kind=kind, fmt="docx", year=fund_year.year,
                dated=datetime.date(fund_year.year, 12, 1), excess_source=EXCESS_SOURCE,
                acting_user=admin)
            text = "\n".join(visible_text(read_docx(document)))
            in_wan = [Decimal(v) for v in re.findall(r"专项经费(\d+(?:\.\d+)?)万元", text)]
            in_yuan = [Decimal(v.replace(",", "")) / 10000
                       for v in re.findall(r"专项经费([\d,]+\.\d\d)元", text)]
            stated = in_wan + in_yuan
            assert stated, (fund_year.year, kind)
            assert max(stated) <= available, (fund_year.year, kind, stated)
