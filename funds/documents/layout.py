"""The default .docx templates, built by python-docx: run

    python -m funds.documents.layout

to rewrite ``funds/documents/templates/<kind>.docx`` after changing this file (the files
are committed; ``tests/funds/test_documents.py`` checks that they are what this builds).

Page and type of GB/T 9704-2012 (公文格式), as DOCUMENTS.md restates it: A4, margins
37/35/28/26 mm, a document grid of 22 lines × 28 characters, body 仿宋_GB2312 三号, title
方正小标宋简体 二号, headings 黑体 then 楷体_GB2312, page numbers "— 1 —" in 四号 (odd pages
right, even pages left). The fields between ``{{ }}`` are filled by docxtpl; they are
listed in docs/documents.md. The text is Chinese on purpose: these are the county's
documents, not pages of the site, and an administrator may replace any of them.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph

TEMPLATES = Path(__file__).resolve().parent / "templates"

FANGSONG = "仿宋_GB2312"
XIAOBIAOSONG = "方正小标宋简体"
HEITI = "黑体"
KAITI = "楷体_GB2312"
SONGTI = "宋体"
LATIN = "Times New Roman"
RED = RGBColor(0xE6, 0x00, 0x12)

#: 号 → points
ER_HAO, SAN_HAO, SI_HAO, XIAO_SI = Pt(22), Pt(16), Pt(14), Pt(12)

PAGE = {"width": Mm(210), "height": Mm(297), "top": Mm(37), "bottom": Mm(35),
        "left": Mm(28), "right": Mm(26)}
LINES_PER_PAGE, CHARS_PER_LINE = 22, 28
TWIPS_PER_MM = 1440 / 25.4


def grid_pitches() -> tuple[int, int]:
    """(linePitch in twips, charSpace in 1/4096 pt) of the 22 × 28 grid of the type area
    (156 × 225 mm) at 三号 (16 pt): Word's own numbers for the standard's grid."""
    # rounded down: 22 lines of 580 twips (29 pt) are 0.1 mm more than the 225 mm, and
    # LibreOffice then sets 21 lines a page; 579 twips give 22 in every word processor
    line_pitch = int(225 * TWIPS_PER_MM / LINES_PER_PAGE)
    char_pitch_pt = 156 * TWIPS_PER_MM / CHARS_PER_LINE / 20
    return line_pitch, round((char_pitch_pt - 16) * 4096)


def _fonts(target, east_asian: str, size=None, *, bold=False, color=None):
    """Set a style's or a run's fonts: the East Asian name (w:rFonts eastAsia) is the one
    Chinese text uses; Latin digits take Times New Roman."""
    font = target.font
    font.name = LATIN
    if size is not None:
        font.size = size
    font.bold = bold
    if color is not None:
        font.color.rgb = color
    r_pr = target._element.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)
    for attribute in ("w:eastAsia", "w:hint"):
        fonts.attrib.pop(qn(attribute), None)
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:ascii"), LATIN)
    fonts.set(qn("w:hAnsi"), LATIN)


#: The order of a paragraph's properties (w:pPr) in the schema (ECMA-376, CT_PPr).
PPR_ORDER = (
    "w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr",
    "w:widowControl", "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs",
    "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct",
    "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
    "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap",
    "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl",
    "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")


def _put(p_pr, element):
    """Add a paragraph property in the schema's order (an element out of order makes
    LibreOffice drop it, a border or a frame say)."""
    sequence = PPR_ORDER
    tag = next(t for t in sequence if qn(t) == element.tag)
    existing = p_pr.find(element.tag)
    if existing is not None:
        p_pr.remove(existing)
    p_pr.insert_element_before(element, *sequence[sequence.index(tag) + 1:])


def _indent_two_characters(p_pr):
    """首行缩进2字符 as Word and WPS write it (in characters, not points: an indent in
    points throws LibreOffice's character grid off by a line)."""
    indent = OxmlElement("w:ind")
    indent.set(qn("w:firstLineChars"), "200")
    indent.set(qn("w:firstLine"), "640")
    _put(p_pr, indent)


def _no_grid_snap(paragraph_format_element):
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    _put(paragraph_format_element, snap)


class Builder:
    """One document being built, with the standard's page, styles and footer."""

    def __init__(self):
        self.doc = Document()
        self._page()
        self._styles()
        self._footers()

    # --- page -------------------------------------------------------------------------

    def _page(self):
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = PAGE["width"], PAGE["height"]
        section.top_margin, section.bottom_margin = PAGE["top"], PAGE["bottom"]
        section.left_margin, section.right_margin = PAGE["left"], PAGE["right"]
        section.header_distance, section.footer_distance = Mm(15), Mm(20)
        sect_pr = section._sectPr
        for old in sect_pr.findall(qn("w:docGrid")):
            sect_pr.remove(old)
        # 22 lines on the line grid; the 28 characters a line come from the body's
        # advance (16 pt less 0.3 pt, see _styles), not from a character grid: under
        # "linesAndChars" LibreOffice breaks the first line of every indented paragraph
        # half way and spreads it across the line, where Word, WPS and LibreOffice all
        # lay out 28 characters with the line grid and the narrower advance.
        grid = OxmlElement("w:docGrid")
        line_pitch, _char_space = grid_pitches()
        grid.set(qn("w:type"), "lines")
        grid.set(qn("w:linePitch"), str(line_pitch))
        sect_pr.append(grid)

    def _styles(self):
        styles = self.doc.styles
        normal = styles["Normal"]
        _fonts(normal, FANGSONG, SAN_HAO)
        # 28 characters of 16 pt are 448 pt, the type area 442 pt: a 0.3 pt narrower
        # advance (15.7 pt) puts exactly 28 on a line (442.2 / 15.7 = 28.2).
        condensed = OxmlElement("w:spacing")
        condensed.set(qn("w:val"), "-6")
        normal.element.get_or_add_rPr().append(condensed)
        normal.paragraph_format.space_before = Pt(0)
        normal.paragraph_format.space_after = Pt(0)
        normal.paragraph_format.line_spacing = None
        # the document defaults' East Asian font too, for text outside any style
        defaults = self.doc.styles.element.find(qn("w:docDefaults"))
        if defaults is not None:
            fonts = defaults.find(".//" + qn("w:rFonts"))
            if fonts is not None:
                for name in list(fonts.attrib):
                    del fonts.attrib[name]
                fonts.set(qn("w:eastAsia"), FANGSONG)
                fonts.set(qn("w:ascii"), LATIN)
                fonts.set(qn("w:hAnsi"), LATIN)
            # 三号 by default: word processors measure the character grid from it
            for tag in ("w:sz", "w:szCs"):
                size = defaults.find(".//" + qn(tag))
                if size is not None:
                    size.set(qn("w:val"), "32")
            language = defaults.find(".//" + qn("w:lang"))
            if language is not None:
                language.set(qn("w:val"), "en-US")  # Latin text: digits never broken
                language.set(qn("w:eastAsia"), "zh-CN")
            spacing = defaults.find(".//" + qn("w:spacing"))
            if spacing is not None:
                spacing.set(qn("w:after"), "0")
                spacing.set(qn("w:line"), "240")
        from docx.enum.style import WD_STYLE_TYPE

        def paragraph_style(name, font, size, *, bold=False, align=None, indent=None,
                            snap=True):
            style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            style.base_style = normal
            _fonts(style, font, size, bold=bold)
            if align is not None:
                style.paragraph_format.alignment = align
            if indent is not None:
                _indent_two_characters(style.element.get_or_add_pPr())
            if not snap:
                _no_grid_snap(style.element.get_or_add_pPr())
            return style

        # Larger type does not snap to the grid: a 22 pt character would take two cells.
        paragraph_style("公文标题", XIAOBIAOSONG, ER_HAO, align=WD_ALIGN_PARAGRAPH.CENTER,
                        snap=False)
        paragraph_style("正文", FANGSONG, SAN_HAO, indent=Pt(32),
                        align=WD_ALIGN_PARAGRAPH.JUSTIFY)
        # a heading never stands alone at the foot of a page
        for heading in (
                paragraph_style("一级标题", HEITI, SAN_HAO, indent=Pt(32)),
                paragraph_style("二级标题", KAITI, SAN_HAO, indent=Pt(32)),
                paragraph_style("附件标识", HEITI, SAN_HAO),
                paragraph_style("附件标题", XIAOBIAOSONG, Pt(18),
                                align=WD_ALIGN_PARAGRAPH.CENTER, snap=False),
                styles["公文标题"]):
            heading.paragraph_format.keep_with_next = True
        styles["正文"].paragraph_format.widow_control = True
        paragraph_style("表格文字", FANGSONG, XIAO_SI, align=WD_ALIGN_PARAGRAPH.CENTER,
                        snap=False)
        paragraph_style("表头", HEITI, XIAO_SI, align=WD_ALIGN_PARAGRAPH.CENTER, snap=False)
        paragraph_style("版记", FANGSONG, SI_HAO, snap=False)
        paragraph_style("页码", SONGTI, SI_HAO, snap=False)

    def _footers(self):
        """Page numbers as the standard wants them: — 1 —, odd right, even left, one
        character in from the edge of the type area."""
        self.doc.settings.odd_and_even_pages_header_footer = True
        section = self.doc.sections[0]
        for footer, align in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
                              (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
            footer.is_linked_to_previous = False
            paragraph = footer.paragraphs[0]
            paragraph.style = self.doc.styles["页码"]
            paragraph.alignment = align
            if align == WD_ALIGN_PARAGRAPH.RIGHT:
                paragraph.paragraph_format.right_indent = SI_HAO
            else:
                paragraph.paragraph_format.left_indent = SI_HAO
            paragraph.add_run("— ")
            self._field(paragraph, "PAGE")
            paragraph.add_run(" —")

    @staticmethod
    def _field(paragraph, code: str):
        def element(tag, **attributes):
            node = OxmlElement(tag)
            for key, value in attributes.items():
                node.set(qn(key), value)
            return node

        begin = paragraph.add_run()
        begin._r.append(element("w:fldChar", **{"w:fldCharType": "begin"}))
        instruction = paragraph.add_run()
        text = element("w:instrText", **{"xml:space": "preserve"})
        text.text = f" {code} "
        instruction._r.append(text)
        separate = paragraph.add_run()
        separate._r.append(element("w:fldChar", **{"w:fldCharType": "separate"}))
        paragraph.add_run("1")
        end = paragraph.add_run()
        end._r.append(element("w:fldChar", **{"w:fldCharType": "end"}))

    # --- content ----------------------------------------------------------------------

    def p(self, text: str = "", style: str = "Normal", *, align=None, runs=None):
        paragraph = self.doc.add_paragraph(style=self.doc.styles[style])
        if text:
            paragraph.add_run(text)
        for run_text, options in runs or []:
            run = paragraph.add_run(run_text)
            if options:
                _fonts(run, options.get("font", FANGSONG), options.get("size"),
                       bold=options.get("bold", False), color=options.get("color"))
        if align is not None:
            paragraph.alignment = align
        return paragraph

    def tag(self, text: str, style: str = "Normal"):
        """A paragraph holding only a docxtpl paragraph tag ({%p … %}): removed when
        rendered."""
        return self.p(text, style)

    def page_break(self):
        self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def table(self, headers: list[str], row: list[str], *, loop: str,
              totals: list[str] | None = None, widths: list[float] | None = None,
              left: frozenset[int] = frozenset()):
        """A table: the header, one row repeated by docxtpl (``{%tr for … %}``), and a
        totals row. Widths in millimetres, adding up to the 156 mm of the type area."""
        table = self.doc.add_table(rows=0, cols=len(headers))
        table.style = self.doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        self._row(table, headers, "表头", repeat_header=True)
        self._merged_row(table, "{%tr for " + loop + " %}")
        self._row(table, row, "表格文字", left=left)
        self._merged_row(table, "{%tr endfor %}")
        if totals:
            self._row(table, totals, "表头")
        if widths:
            _column_widths(table, widths)
        return table

    def _row(self, table, texts, style, *, repeat_header=False, left=frozenset()):
        cells = table.add_row().cells
        tr_pr = table.rows[-1]._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:cantSplit"))  # a row is never broken across pages
        if repeat_header:
            tr_pr.append(OxmlElement("w:tblHeader"))  # repeated atop every page
        for cell, text in zip(cells, texts, strict=True):
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            paragraph = cell.paragraphs[0]
            paragraph.style = self.doc.styles[style]
            if cells.index(cell) in left:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
            paragraph.add_run(text)

    def _merged_row(self, table, text):
        cells = table.add_row().cells
        cells[0].paragraphs[0].add_run(text)

    def save(self, path: Path):
        buffer = io.BytesIO()
        self.doc.save(buffer)
        path.write_bytes(_reproducible(buffer.getvalue()))


def _reproducible(data: bytes) -> bytes:
    """The same zip for the same content: fixed member dates, members in name order, and
    no creation time in the core properties (so that a rebuild changes nothing)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in sorted(source.namelist()):
            content = source.read(name)
            if name == "docProps/core.xml":
                content = CORE_PROPERTIES
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, content)
    return out.getvalue()


CORE_PROPERTIES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
    b'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    b'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" '
    b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"></cp:coreProperties>')


# --- The documents -----------------------------------------------------------------------


def _masthead(b: Builder):
    """发文机关标志: the organs, one per line, followed by 文件, red 小标宋, centred; then the
    document number and the red line as wide as the type area."""
    table = b.doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _column_widths(table, [116, 40])
    left, right = table.rows[0].cells
    right.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    left.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    first = left.paragraphs[0]
    first.add_run("{%p for organ in organs %}")
    organ = left.add_paragraph()
    organ.alignment = WD_ALIGN_PARAGRAPH.DISTRIBUTE
    _no_grid_snap(organ._p.get_or_add_pPr())
    _fonts(organ.add_run("{{ organ }}"), XIAOBIAOSONG, Pt(26), color=RED)
    left.add_paragraph().add_run("{%p endfor %}")
    word = right.paragraphs[0]
    word.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _no_grid_snap(word._p.get_or_add_pPr())
    _fonts(word.add_run("文件"), XIAOBIAOSONG, Pt(40), color=RED)
    b.p()
    b.p("{{ number }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    line = b.p()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "18"), ("w:space", "1"),
                       ("w:color", "E60012")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    _put(line._p.get_or_add_pPr(), borders)


def _column_widths(table, widths_mm: list[float]):
    """Fixed column widths (the grid and every cell), so that word processors keep them."""
    table.autofit = False
    grid = table._tbl.tblGrid
    for column, width in zip(grid.findall(qn("w:gridCol")), widths_mm, strict=True):
        column.set(qn("w:w"), str(round(width * TWIPS_PER_MM)))
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm, strict=False):
            cell.width = Mm(width)


def _rule(paragraph, *, top: int | None = None, bottom: int | None = None):
    borders = OxmlElement("w:pBdr")
    for side, size in (("w:top", top), ("w:bottom", bottom)):
        if size:
            edge = OxmlElement(side)
            for key, value in (("w:val", "single"), ("w:sz", str(size)), ("w:space", "1"),
                               ("w:color", "000000")):
                edge.set(qn(key), value)
            borders.append(edge)
    _put(paragraph._p.get_or_add_pPr(), borders)


def _keep_last_with_next(b: Builder):
    """The last thing written before (a paragraph that is not a docxtpl tag, or a table's
    last row) stays on the page of what follows: no page holds only a signature."""
    body = b.doc.element.body
    for element in reversed(list(body)):
        if element.tag == qn("w:tbl"):
            rows = element.findall(qn("w:tr"))
            paragraphs = rows[-1].iter(qn("w:p")) if rows else ()
        elif element.tag == qn("w:p"):
            text = "".join(t.text or "" for t in element.iter(qn("w:t")))
            if not text or text.startswith("{%p"):
                continue
            paragraphs = [element]
        else:
            continue
        for paragraph in paragraphs:
            Paragraph(paragraph, None).paragraph_format.keep_with_next = True
        return


#: The height of the 版记 table, for word processors that place it by its offset.
IMPRINT_MM = 13


def _imprint(b: Builder):
    """版记: a table floating at the bottom of the type area of the page it falls on, as
    wide as the type area: a heavy rule above and below, a thin one between 抄送 and
    印发, the text one character in from either side."""
    b.p()  # a table right after another would be merged with it
    table = b.doc.add_table(rows=2, cols=1)
    _column_widths(table, [156])
    tbl_pr = table._tbl.tblPr
    position = OxmlElement("w:tblpPr")
    # Word and WPS take the bottom of the type area (tblpYSpec); LibreOffice reads only
    # the offset, the type area's height less the table's (two lines of 四号, ~13 mm)
    for key, value in (("w:vertAnchor", "margin"), ("w:tblpYSpec", "bottom"),
                       ("w:tblpY", str(round((225 - IMPRINT_MM) * TWIPS_PER_MM))),
                       ("w:horzAnchor", "margin"), ("w:tblpXSpec", "center")):
        position.set(qn(key), value)
    tbl_pr.insert(0, position) if tbl_pr.find(qn("w:tblStyle")) is None else \
        tbl_pr.find(qn("w:tblStyle")).addnext(position)
    borders = OxmlElement("w:tblBorders")
    for side, size in (("w:top", 12), ("w:left", 0), ("w:bottom", 12), ("w:right", 0),
                       ("w:insideH", 4), ("w:insideV", 0)):
        edge = OxmlElement(side)
        edge.set(qn("w:val"), "single" if size else "nil")
        if size:
            edge.set(qn("w:sz"), str(size))
            edge.set(qn("w:space"), "0")
            edge.set(qn("w:color"), "000000")
        borders.append(edge)
    tbl_pr.append(borders)
    margins = OxmlElement("w:tblCellMar")
    for side in ("w:left", "w:right"):
        margin = OxmlElement(side)
        margin.set(qn("w:w"), str(int(SI_HAO.pt * 20)))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    tbl_pr.append(margins)
    for row in table.rows:
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    copy, printed = (row.cells[0].paragraphs[0] for row in table.rows)
    copy.style = printed.style = b.doc.styles["版记"]
    copy.add_run("抄送：{{ copy_to }}。")
    printed.add_run("{{ printing_organ }}\t{{ printed_text }}印发")
    printed.paragraph_format.tab_stops.add_tab_stop(Mm(156) - 2 * SI_HAO,
                                                    WD_TAB_ALIGNMENT.RIGHT)
    # a floating table is anchored to the paragraph after it: the document's last one
    anchor = b.p()
    _fonts(anchor.style and anchor.add_run(""), FANGSONG, Pt(1))


def _at_foot(paragraph):
    """Put a paragraph in a frame at the bottom of the type area, as wide as it; frames
    of consecutive paragraphs with the same properties are one frame."""
    frame = OxmlElement("w:framePr")
    for key, value in (("w:w", str(round(156 * TWIPS_PER_MM))), ("w:wrap", "around"),
                       ("w:vAnchor", "margin"), ("w:hAnchor", "margin"),
                       ("w:xAlign", "center"), ("w:yAlign", "bottom")):
        frame.set(qn(key), value)
    _put(paragraph._p.get_or_add_pPr(), frame)


def _signature(b: Builder):
    """Signing organs and date at the right, kept together and with the text before."""
    _keep_last_with_next(b)
    for _blank in range(2):
        b.p().paragraph_format.keep_with_next = True
    b.tag("{%p for signer in signers %}")
    signer = b.p("{{ signer }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    signer.paragraph_format.right_indent = Pt(64)
    signer.paragraph_format.keep_with_next = True
    b.tag("{%p endfor %}")
    date = b.p("{{ date_text }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    date.paragraph_format.right_indent = Pt(64)


def _illustrative(b: Builder):
    b.tag("{%p if illustrative %}")
    b.p("（本文件所用乡镇类别和排名为示意数据，并非正式数据。）", "正文")
    b.tag("{%p endif %}")


def _basis(b: Builder, numbering: tuple[str, str, str]):
    """The basis of the allocation as a secretary writes it: the method in words, each
    category as paid, the money by source (the special fund never more than it holds),
    each figure once; then how the categories changed from last year."""
    b.p(f"{numbering[0]}分配依据", "一级标题")
    b.p("{{ year }}年度经费{{ method_text }}。", "正文")
    b.p("全市纳入分配的乡镇{{ total.count }}个：{{ paid_text }}。{{ money_text }}", "正文")
    b.tag("{%p if uncategorised %}")
    b.p("另有{{ uncategorised }}个乡镇尚未确定类别，暂不分配，确定类别后另行下达。", "正文")
    b.tag("{%p endif %}")
    b.p(f"{numbering[1]}类别调整情况", "一级标题")
    b.tag("{%p if merger_text %}")
    b.p("{{ merger_text }}", "正文")
    b.tag("{%p endif %}")
    b.p("根据{{ previous_year }}年度基层党建综合考核排名，{{ changes_text }}各类别乡镇数量由"
        "{{ previous_year }}年的{{ counts_before_text }}调整为{{ year }}年的{{ counts_text }}。",
        "正文")


def build_plan(b: Builder):
    b.p()
    b.p("{{ county }}{{ year }}年度乡镇基层党建工作\n专项经费分配方案", "公文标题")
    b.p()
    _illustrative(b)
    b.p("为保障乡镇基层党建工作经费，根据乡镇类别和年度综合考核结果，制定{{ year }}年度乡镇基层党建"
        "工作专项经费分配方案如下。", "正文")
    _basis(b, ("一、", "二、", "三、"))
    b.tag("{%p if changes %}")
    b.table(["乡镇", "代码", "原类别", "新类别", "调整原因"],
            ["{{ c.name }}", "{{ c.code }}", "{{ c.old }}", "{{ c.new }}", "{{ c.reason }}"],
            loop="c in changes", widths=[27, 23, 18, 18, 70], left=frozenset({4}))
    b.tag("{%p endif %}")
    b.p("三、分配结果", "一级标题")
    b.p("各乡镇分配金额如下表（单位：元）。", "正文")
    b.table(["代码", "乡镇", "类别", "保底资金", "补助标准", "合计"],
            ["{{ r.code }}", "{{ r.name }}", "{{ r.category }}", "{{ r.floor }}",
             "{{ r.standard }}", "{{ r.total }}"],
            loop="r in rows",
            totals=["合计", "{{ total.count }}个乡镇", "", "{{ total.floor }}",
                    "{{ total.standard }}", "{{ total.total }}"],
            widths=[23, 26, 15, 30, 30, 32])
    _signature(b)


def build_notice(b: Builder):
    _masthead(b)
    b.p()
    b.p()
    b.p("关于下达{{ year }}年度乡镇基层党建工作\n专项经费的通知", "公文标题")
    b.p()
    b.p("{{ recipients }}：")
    b.p("为加强基层党组织建设，保障乡镇基层党建工作经费，根据乡镇类别和{{ previous_year }}年度"
        "基层党建综合考核结果，经研究，现将{{ year }}年度乡镇基层党建工作经费下达你们（各乡镇金额"
        "见附件1，类别调整情况见附件2），并就有关事项通知如下。", "正文")
    _illustrative(b)
    _basis(b, ("一、", "二、", "三、"))
    b.p("三、使用和管理要求", "一级标题")
    b.p("（一）专款专用。", "二级标题")
    b.p("专项经费用于乡镇基层党建工作，不得挤占、挪用，不得用于与基层党建无关的支出。", "正文")
    b.p("（二）闭环管理。", "二级标题")
    b.p("严格执行预算—使用—管理—检查制度，做到用前有预算、用中有监管、用后有报账。", "正文")
    b.p("（三）大额支出集体研究。", "二级标题")
    b.p("单笔支出{{ large_threshold_wan }}万元及以上的，须经乡镇党委集体研究决定并留存会议记录。",
        "正文")
    b.p("（四）按时报告。", "二级标题")
    b.p("各乡镇于{{ year }}年7月10日前报送上半年经费使用情况，于{{ next_year }}年1月15日前报送"
        "全年经费使用情况。", "正文")
    b.p()
    b.p("附件：1. {{ year }}年度乡镇基层党建工作专项经费分配表", "正文")
    attachment = b.p("2. {{ year }}年度乡镇类别调整情况表", "正文")
    attachment.paragraph_format.first_line_indent = Pt(80)
    _signature(b)
    b.page_break()
    b.p("附件1", "附件标识")
    b.p()
    b.p("{{ year }}年度乡镇基层党建工作专项经费分配表", "附件标题")
    b.p()
    b.table(["代码", "乡镇", "类别", "金额（元）", "大写金额"],
            ["{{ r.code }}", "{{ r.name }}", "{{ r.category }}", "{{ r.total_yuan }}",
             "{{ r.capitals }}"],
            loop="r in rows",
            totals=["合计", "{{ total.count }}个乡镇", "", "{{ total.total_yuan }}",
                    "{{ total.capitals }}"],
            widths=[23, 26, 15, 28, 64])
    b.page_break()
    b.p("附件2", "附件标识")
    b.p()
    b.p("{{ year }}年度乡镇类别调整情况表", "附件标题")
    b.p()
    b.tag("{%p if changes %}")
    b.table(["乡镇", "代码", "原类别", "新类别", "调整原因"],
            ["{{ c.name }}", "{{ c.code }}", "{{ c.old }}", "{{ c.new }}", "{{ c.reason }}"],
            loop="c in changes", widths=[27, 23, 18, 18, 70], left=frozenset({4}))
    b.tag("{%p else %}")
    b.p("本年度无乡镇类别调整。", "正文")
    b.tag("{%p endif %}")
    _imprint(b)


def build_posting(b: Builder):
    b.p("{{ county }}{{ year }}年度乡镇基层党建工作\n专项经费公示", "公文标题")
    b.p()
    _illustrative(b)
    b.p("根据{{ county }}乡镇基层党建工作专项经费管理有关规定，现将{{ scope }}{{ year }}年度乡镇"
        "类别、分配金额和{{ period_text }}经费使用情况予以公示。公示期：{{ posting_period }}。"
        "如有异议，请在公示期内向{{ objections_to }}反映。", "正文")
    b.p("一、类别和分配金额", "一级标题")
    b.table(["代码", "乡镇", "类别", "分配金额（元）"],
            ["{{ r.code }}", "{{ r.name }}", "{{ r.category }}", "{{ r.total }}"],
            loop="r in rows",
            totals=["合计", "{{ total.count }}个乡镇", "", "{{ total.total }}"],
            widths=[36, 48, 28, 44])
    b.p("二、{{ period_text }}经费使用明细", "一级标题")
    b.tag("{%p for t in townships %}")
    b.p("{{ t.name }}（{{ t.category }}，分配{{ t.total }}元，本年已使用{{ t.spent }}元）",
        "二级标题")
    b.table(["日期", "用途", "收款方", "金额（元）", "集体研究"],
            ["{{ e.date }}", "{{ e.purpose }}", "{{ e.payee }}", "{{ e.amount }}",
             "{{ e.decision }}"],
            loop="e in t.expenditures", widths=[24, 42, 28, 26, 36],
            left=frozenset({1, 4}))
    b.tag("{%p endfor %}")
    b.tag("{%p if idle_count %}")
    b.p("本期无经费支出的乡镇{{ idle_count }}个：{{ idle_text }}。", "正文")
    b.tag("{%p endif %}")
    _signature(b)


def build_execution(b: Builder):
    b.p("{{ county }}{{ year }}年度乡镇基层党建工作\n专项经费执行情况报告", "公文标题")
    b.p()
    _illustrative(b)
    b.p("截至{{ date_text }}，全市{{ total.count }}个乡镇分配经费{{ total.allocation }}元"
        "（{{ source_text }}），已审批未报账{{ total.approved }}元，"
        "已报账{{ total.reimbursed }}元，执行率{{ total.rate }}。", "正文")
    b.p("一、各乡镇执行情况", "一级标题")
    b.table(["乡镇", "类别", "分配（元）", "已审批（元）", "已报账（元）", "执行率"],
            ["{{ r.name }}", "{{ r.category }}", "{{ r.allocation }}", "{{ r.approved }}",
             "{{ r.reimbursed }}", "{{ r.rate }}"],
            loop="r in rows",
            totals=["合计", "", "{{ total.allocation }}", "{{ total.approved }}",
                    "{{ total.reimbursed }}", "{{ total.rate }}"],
            widths=[28, 16, 30, 30, 30, 22])
    b.p("二、按开支类别", "一级标题")
    b.table(["开支类别", "笔数", "金额（元）"],
            ["{{ c.name }}", "{{ c.count }}", "{{ c.amount }}"],
            loop="c in by_category", widths=[76, 30, 50])
    b.p("三、大额支出及集体研究", "一级标题")
    b.p("单笔{{ large_threshold }}元及以上的支出共{{ large|length }}笔。", "正文")
    b.tag("{%p if large %}")
    b.table(["乡镇", "日期", "用途", "金额（元）", "集体研究"],
            ["{{ e.township }}", "{{ e.date }}", "{{ e.purpose }}", "{{ e.amount }}",
             "{{ e.decision }}"],
            loop="e in large", widths=[25, 24, 41, 26, 40], left=frozenset({2, 4}))
    b.tag("{%p endif %}")
    b.p("四、执行率低于{{ low_rate }}的乡镇", "一级标题")
    b.tag("{%p if below_rows and below_rows|length == total.count %}")
    b.p("全部{{ total.count }}个乡镇的执行率均低于{{ low_rate }}（见上表）。", "正文")
    b.tag("{%p elif below_rows %}")
    b.p("共{{ below_rows|length }}个乡镇。", "正文")
    b.table(["乡镇", "类别", "分配（元）", "已报账（元）", "执行率"],
            ["{{ r.name }}", "{{ r.category }}", "{{ r.allocation }}", "{{ r.reimbursed }}",
             "{{ r.rate }}"],
            loop="r in below_rows", widths=[34, 18, 38, 38, 28])
    b.tag("{%p else %}")
    b.p("无。", "正文")
    b.tag("{%p endif %}")
    b.p("五、本年度检查情况", "一级标题")
    b.tag("{%p if inspections %}")
    b.table(["日期", "检查人员", "乡镇数", "发现问题", "未整改"],
            ["{{ i.date }}", "{{ i.inspectors }}", "{{ i.townships }}", "{{ i.findings }}",
             "{{ i.open }}"],
            loop="i in inspections", widths=[30, 52, 24, 25, 25])
    b.tag("{%p else %}")
    b.p("本年度未开展检查。", "正文")
    b.tag("{%p endif %}")
    _signature(b)


def build_rectification(b: Builder):
    b.p("关于{{ scope }}{{ year }}年度基层党建工作专项经费\n检查发现问题整改情况的报告", "公文标题")
    b.p()
    _illustrative(b)
    b.p("{{ year }}年共开展检查{{ inspection_count }}次，发现问题{{ finding_count }}个，涉及"
        "{{ township_count }}个乡镇，涉及金额{{ involved_total }}元。"
        "{% if carried_count %}以前年度检查发现、本年初尚未整改完成的问题{{ carried_count }}个"
        "一并列入本报告。{% endif %}"
        "截至{{ date_text }}，上述问题已整改{{ rectified }}个，整改中{{ in_progress }}个（其中逾期"
        "{{ overdue }}个），已追回或纠正资金{{ restored_total }}元。", "正文")
    b.p("一、问题及整改情况", "一级标题")
    b.tag("{%p if findings %}")
    b.table(["乡镇", "年度", "问题", "涉及金额\n（元）", "整改期限", "状态", "整改情况"],
            ["{{ f.township }}", "{{ f.found }}", "{{ f.problem }}", "{{ f.involved }}",
             "{{ f.deadline }}", "{{ f.status }}", "{{ f.note }}"],
            loop="f in findings", widths=[25, 15, 26, 22, 24, 26, 18],
            left=frozenset({2, 6}))
    b.tag("{%p else %}")
    b.p("本年度检查未发现问题。", "正文")
    b.tag("{%p endif %}")
    b.p("二、下一步工作", "一级标题")
    b.p("对尚未完成整改的问题，督促相关乡镇按期整改到位，整改完成后及时报送整改情况；对逾期未整改的，"
        "予以通报。", "正文")
    _signature(b)


BUILDERS = {
    "plan": build_plan,
    "notice": build_notice,
    "posting": build_posting,
    "execution": build_execution,
    "rectification": build_rectification,
}


def build(kind: str) -> Builder:
    builder = Builder()
    BUILDERS[kind](builder)
    return builder


def build_all(directory: Path = TEMPLATES) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in BUILDERS:
        path = directory / f"{kind}.docx"
        build(kind).save(path)
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in build_all():
        print(written_path)


#: The kinds of paragraph of a short document: (East Asian font, size, alignment, indent).
SHORT_KINDS = {
    "title": (XIAOBIAOSONG, ER_HAO, WD_ALIGN_PARAGRAPH.CENTER, False),
    "heading": (HEITI, SAN_HAO, None, True),
    "text": (FANGSONG, SAN_HAO, None, True),
    "line": (FANGSONG, SAN_HAO, None, False),  # a line to fill in, not indented
    "right": (FANGSONG, SAN_HAO, WD_ALIGN_PARAGRAPH.RIGHT, False),
}


def short_document(paragraphs) -> bytes:
    """A short document in the house fonts and 公文 margins, from (kind, text) pairs of
    ``SHORT_KINDS``: a 方正小标宋 title, 黑体 headings, 仿宋 text at 三号, 28 pt lines,
    text indented two characters. The 自评报告, the monitoring report, the 承诺书."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = PAGE["width"], PAGE["height"]
    section.top_margin, section.bottom_margin = PAGE["top"], PAGE["bottom"]
    section.left_margin, section.right_margin = PAGE["left"], PAGE["right"]
    for kind, text in paragraphs:
        east_asian, size, alignment, indent = SHORT_KINDS[kind]
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.line_spacing = Pt(28)
        if indent:
            paragraph.paragraph_format.first_line_indent = size * 2
        if alignment is not None:
            paragraph.alignment = alignment
        _fonts(paragraph.add_run(text), east_asian, size)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
