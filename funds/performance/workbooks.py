"""The files of the 绩效 cycle: the 项目支出绩效自评表 (XLSX, A4, the standard layout of
财预〔2020〕10号), the 自评报告 and the monitoring report (DOCX), the monitoring table
(XLSX). Every figure is the page's (funds.performance.selectors)."""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils.translation import gettext as _

from funds.documents.layout import short_document
from funds.models import DocumentSettings
from funds.performance.selectors import LIGHTS, actual_text, target_text, value_text
from wanyuan.money import format_percent

WAN = Decimal(10000)


def _wan(value: Decimal) -> Decimal:
    return (Decimal(value) / WAN).quantize(Decimal("0.0001"))


def _height(*texts) -> float:
    """A row tall enough for its wrapped texts: (text, column width) pairs; a Chinese
    character takes two widths, a line 14 points."""
    from funds.budget.exports import display_width

    lines = max([1] + [-(-display_width(text or "") // max(int(width) - 1, 1))
                       for text, width in texts])
    return 14.0 * lines + 4


def _scope(view) -> str:
    sheet = view.sheet
    return sheet.township.name if sheet.township_id else DocumentSettings.get().county_name


def targets_xlsx(view) -> bytes:
    """The 绩效目标表 set with the budget: the same layout, without what the year did."""
    return self_evaluation_xlsx(view, targets_only=True)


def self_evaluation_xlsx(view, *, targets_only: bool = False) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.worksheet.worksheet import Worksheet

    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    left = Alignment(horizontal="left", vertical="center", wrap_text=True)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(view.sheet.fund_year.year)
    widths = [12, 13, 22, 13, 13, 8, 8, 26]
    for i, width in enumerate(widths):
        sheet.column_dimensions[chr(65 + i)].width = width

    def put(row, col, value, *, bold=False, align=center, number=None):
        cell = sheet.cell(row=row, column=col, value=value)
        if isinstance(value, str) and value.startswith("="):
            cell.data_type = "s"  # "=52个" is a target, not a formula
        cell.border, cell.alignment = border, align
        cell.font = Font(name="宋体", size=10, bold=bold)
        if number:
            cell.number_format = number
        return cell

    def merge(row, first, last, value, **kwargs):
        put(row, first, value, **kwargs)
        for col in range(first + 1, last + 1):
            put(row, col, None)
        if last > first:
            sheet.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)

    year = view.sheet.fund_year.year
    title = sheet.cell(row=1, column=1,
                       value="项目支出绩效目标表" if targets_only else "项目支出绩效自评表")
    title.font, title.alignment = Font(name="宋体", size=16, bold=True), center
    sheet.merge_cells("A1:H1")
    sub = sheet.cell(row=2, column=1, value=f"（{year}年度）")
    sub.font, sub.alignment = Font(name="宋体", size=11), center
    sheet.merge_cells("A2:H2")
    merge(3, 1, 2, "项目名称", bold=True)
    merge(3, 3, 8, f"{_scope(view)}基层党建专项经费")
    merge(4, 1, 2, "主管部门", bold=True)
    merge(4, 3, 4, "中共" + DocumentSettings.get().county_name + "委组织部")
    merge(4, 5, 6, "实施单位", bold=True)
    merge(4, 7, 8, _scope(view))
    heads = ["项目资金（万元）", "", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率",
             "得分"]
    merge(5, 1, 2, heads[0], bold=True)
    for col, text in enumerate(heads[2:], start=3):
        put(5, col, text, bold=True)
    score = view.score
    rate = view.execution_rate
    merge(6, 1, 2, "年度资金总额")
    put(6, 3, float(_wan(view.initial_budget)), number="0.0000")
    put(6, 4, float(_wan(view.budget)), number="0.0000")
    put(6, 5, "" if targets_only else float(_wan(view.executed)), number="0.0000")
    put(6, 6, float(score.execution_weight), number="0.00")
    put(6, 7, "" if targets_only else float(rate) if rate is not None else "—",
        number="0.00%")
    put(6, 8, "" if targets_only else float(score.execution_score), number="0.00")
    for offset, (label, a, b, c) in enumerate((
            ("其中：本年财政拨款", view.initial_budget, view.budget, view.executed),
            ("上年结转资金", 0, 0, 0), ("其他资金", 0, 0, 0)), start=7):
        merge(offset, 1, 2, label)
        for col, value in zip((3, 4, 5), (a, b, c), strict=True):
            put(offset, col, float(_wan(Decimal(value))), number="0.0000")
        for col in (6, 7, 8):
            put(offset, col, "—")
    merge(10, 1, 1, "年度总体目标", bold=True)
    merge(10, 2, 5, "预期目标", bold=True)
    merge(10, 6, 8, "实际完成情况", bold=True)
    put(11, 1, "")
    merge(11, 2, 5, view.sheet.goal, align=left)
    merge(11, 6, 8, "" if targets_only else view.sheet.achieved, align=left)
    sheet.row_dimensions[11].height = _height((view.sheet.goal, sum(widths[1:5])),
                                              (view.sheet.achieved, sum(widths[5:8])))
    for col, text in enumerate(["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值",
                                "分值", "得分", "偏差原因分析及改进措施"], start=1):
        put(12, col, text, bold=True)
    row = 13
    starts = {}
    for line in view.lines:
        indicator, scored = line.indicator, line.scored
        put(row, 1, str(indicator.get_level1_display()))
        put(row, 2, str(indicator.get_level2_display()))
        put(row, 3, indicator.name, align=left)
        put(row, 4, target_text(indicator))
        put(row, 5, "" if targets_only else actual_text(indicator))
        put(row, 6, float(indicator.weight if targets_only else scored.weight)
            if scored or targets_only else "—", number="0.00")
        put(row, 7, "" if targets_only else float(scored.score) if scored else "—",
            number="0.00")
        put(row, 8, "" if targets_only else indicator.deviation_reason, align=left)
        sheet.row_dimensions[row].height = _height(
            (indicator.name, widths[2]), (indicator.deviation_reason, widths[7]),
            (actual_text(indicator), widths[4]), (str(indicator.get_level2_display()), widths[1]))
        starts.setdefault(("l1", indicator.level1), []).append(row)
        starts.setdefault(("l2", indicator.level1, indicator.level2), []).append(row)
        row += 1
    for key, rows in starts.items():  # one cell per level, as the form has it
        column = 1 if key[0] == "l1" else 2
        if len(rows) > 1 and rows[-1] - rows[0] == len(rows) - 1:
            sheet.merge_cells(start_row=rows[0], start_column=column, end_row=rows[-1],
                              end_column=column)
    merge(row, 1, 5, "总分", bold=True)
    put(row, 6, 100, number="0")
    put(row, 7, "" if targets_only else float(score.total), bold=True, number="0.00")
    put(row, 8, "" if targets_only else f"{score.grade}", bold=True)
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "portrait"
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.print_options.horizontalCentered = True
    sheet.print_title_rows = "12:12"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def self_evaluation_docx(view) -> bytes:
    year = view.sheet.fund_year.year
    rate = format_percent(view.execution_rate) if view.execution_rate is not None else "—"
    paragraphs = [("title", f"{_scope(view)}{year}年度基层党建专项经费绩效自评报告"),
                  ("heading", "一、项目基本情况"),
                  ("text", f"{year}年度年初预算数{_wan(view.initial_budget)}万元，全年预算数"
                           f"{_wan(view.budget)}万元，全年执行数{_wan(view.executed)}万元，"
                           f"执行率{rate}。"),
                  ("text", f"年度总体目标：{view.sheet.goal}"),
                  ("heading", "二、绩效目标完成情况"),
                  ("text", view.sheet.achieved or "（未填写实际完成情况）")]
    for line in view.lines:
        indicator = line.indicator
        if not line.scored:
            paragraphs.append(("text", f"{indicator.name}：不适用，不计分。"))
            continue
        paragraphs.append(("text", f"{indicator.name}：年度指标值{target_text(indicator)}，"
                                   f"实际完成值{actual_text(indicator)}，分值{line.scored.weight}，"
                                   f"得分{line.scored.score}。"))
    paragraphs += [("heading", "三、自评结论"),
                   ("text", f"自评总分{view.score.total}分，等级为“{view.score.grade}”。")]
    reasons = [line for line in view.lines if line.scored and line.scored.needs_reason]
    paragraphs.append(("heading", "四、偏差原因分析及改进措施"))
    paragraphs += ([("text", f"{line.indicator.name}：{line.indicator.deviation_reason}")
                    for line in reasons] or [("text", "各项指标均已达成。")])
    return short_document(paragraphs)


def monitoring_xlsx(view, monitoring: dict) -> bytes:
    """绩效运行监控表: each indicator's target, progress, expected year-end value and
    light, then execution against time progress; A4, names wrapped in their column."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.worksheet.worksheet import Worksheet

    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(view.sheet.fund_year.year)
    widths = [30, 16, 16, 16, 10]
    for i, width in enumerate(widths):
        sheet.column_dimensions[chr(65 + i)].width = width
    title = _("Performance monitoring %(year)s, as of %(date)s") % {
        "year": view.sheet.fund_year.year, "date": f"{monitoring['as_of']:%Y-%m-%d}"}
    cell = sheet.cell(row=1, column=1, value=title)
    cell.font, cell.alignment = Font(name="宋体", size=14, bold=True), Alignment(
        horizontal="center")
    sheet.merge_cells("A1:E1")
    rate = monitoring["rate"]
    rows = [[_("Indicator"), _("Target"), _("Progress"), _("Expected at year's end"),
             _("Light")]]
    rows += [[line.indicator.name, target_text(line.indicator), line.progress_text,
              line.expected_text, line.light_label] for line in monitoring["lines"]]
    rows.append([_("Execution rate against time progress"),
                 format_percent(monitoring["time"]),
                 format_percent(rate) if rate is not None else "—", "",
                 LIGHTS[monitoring["light"]]])
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            cell = sheet.cell(row=r, column=c, value=value)
            cell.data_type = "s"
            cell.border = border
            cell.font = Font(name="宋体", size=10, bold=r == 2)
            cell.alignment = Alignment(wrap_text=True, vertical="center",
                                       horizontal="left" if c == 1 else "center")
        sheet.row_dimensions[r].height = _height((values[0], widths[0]))
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.print_title_rows = "2:2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def monitoring_docx(view, monitoring: dict) -> bytes:
    year, as_of = view.sheet.fund_year.year, monitoring["as_of"]
    rate = monitoring["rate"]
    paragraphs = [("title", f"{_scope(view)}{year}年度基层党建专项经费绩效运行监控报告"),
                  ("heading", "一、预算执行情况"),
                  ("text", f"截至{as_of.year}年{as_of.month}月{as_of.day}日，全年预算数"
                           f"{_wan(monitoring['budget'])}万元，已执行{_wan(monitoring['executed'])}"
                           f"万元，执行率{format_percent(rate) if rate is not None else '—'}，"
                           f"时间进度{format_percent(monitoring['time'])}，"
                           f"监控结果为{LIGHTS[monitoring['light']]}灯。"),
                  ("heading", "二、绩效目标实现情况")]
    for line in monitoring["lines"]:
        if line.progress is None:
            state = "待年终评价"
        else:
            state = f"目前{value_text(line.progress, line.indicator.unit)}"
            if line.light:
                state += f"，{LIGHTS[line.light]}灯"
        paragraphs.append(("text", f"{line.indicator.name}：年度指标值"
                                   f"{target_text(line.indicator)}，{state}。"))
    paragraphs += [("heading", "三、纠偏措施"),
                   ("text", view.sheet.monitoring_measures or "（未填写）")]
    return short_document(paragraphs)

