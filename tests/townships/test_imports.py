"""Ranking and category imports: every malformed file is refused and changes nothing."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from tests.conftest import login
from townships.imports import ImportFileError, parse_rankings
from townships.models import AssessmentResult, AuditEvent, CategoryChange, TownshipCategory


def table_snapshot():
    return (
        sorted(AssessmentResult.objects.values_list("township_id", "year", "rank", "score")),
        sorted(TownshipCategory.objects.values_list("township_id", "year", "category")),
        CategoryChange.objects.count(),
        AuditEvent.objects.count(),
    )


def full_ranking(townships, *, header="乡镇,排名,得分", ties=()):
    lines = [header]
    rank = 0
    for position, township in enumerate(townships, start=1):
        rank = rank if position in ties else position
        lines.append(f"{township.name},{rank},{100 - rank}")
    return "\r\n".join(lines) + "\r\n"


def test_gb18030_csv_as_excel_saves_it_imports(tmp_path, townships, fund_year):
    path = tmp_path / "排名.csv"
    path.write_bytes(full_ranking(townships, ties={3}).encode("gb18030"))
    call_command("import_rankings", str(path), "--year", "2020", "--user", "loader")
    assert AssessmentResult.objects.filter(year=2020).count() == 52
    assert sorted(AssessmentResult.objects.filter(year=2020, rank=2)
                  .values_list("township__name", flat=True)) == sorted(
        [townships[1].name, townships[2].name])
    assert AuditEvent.objects.filter(action="rankings_imported", year=2020).exists()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "utf-16"])
def test_csv_encodings(townships, encoding):
    rows = parse_rankings(full_ranking(townships).encode(encoding), "r.csv", year=2020)
    assert len(rows) == 52


def test_xlsx_with_english_headers_and_codes(townships):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["township", "rank", "score"])
    for position, township in enumerate(townships, start=1):
        sheet.append([township.code, position, 100.0 - position])  # numbers as Excel stores them
    buffer = io.BytesIO()
    workbook.save(buffer)
    rows = parse_rankings(buffer.getvalue(), "r.xlsx", year=2020)
    assert [r.rank for r in rows] == list(range(1, 53))


def _problems(data: str, townships, **kwargs):
    with pytest.raises(ImportFileError) as caught:
        parse_rankings(data.encode("utf-8"), kwargs.get("name", "r.csv"), year=2020)
    return [str(p) for p in caught.value.problems]


def test_unknown_township_suggests_the_closest_name(townships):
    text = full_ranking(townships).replace("太平镇", "太平乡", 1)
    problems = _problems(text, townships)
    assert problems == ["第2行 乡镇：找不到乡镇“太平乡”，是否为“太平镇”？"]


MALFORMED = {
    "unknown township": (lambda t: full_ranking(t).replace("太平镇", "太平乡", 1),
                         "第2行 乡镇：找不到乡镇“太平乡”，是否为“太平镇”？"),
    "encoding guessed wrong": (lambda t: full_ranking(t).encode("gbk").decode("latin-1"),
                               "编码"),
    "duplicate township": (lambda t: full_ranking(t).replace(t[1].name, t[0].name, 1),
                           "重复出现（另见第2行）"),
    "rank not a whole number": (lambda t: full_ranking(t).replace(f"{t[4].name},5,", f"{t[4].name},5.5,"),
                                "第6行 排名：“5.5”不是整数"),
    "rank not a number": (lambda t: full_ranking(t).replace(f"{t[4].name},5,", f"{t[4].name},五,"),
                          "第6行 排名：“五”不是整数"),
    "rank out of range": (lambda t: full_ranking(t).replace(f"{t[4].name},5,", f"{t[4].name},99,"),
                          "第6行 排名：99 超出范围 1–52"),
    "rank sequence broken": (lambda t: full_ranking(t).replace(f"{t[4].name},5,", f"{t[4].name},6,"),
                             "第6行 排名：名次 6 不连续，应为 5"),
    "tie with different scores": (lambda t: full_ranking(t).replace(f"{t[4].name},5,", f"{t[4].name},4,"),
                                  "名次 4 并列但得分不同"),
    "scores contradict ranks": (lambda t: full_ranking(t).replace(f"{t[4].name},5,95", f"{t[4].name},5,99"),
                                "矛盾"),
    "missing column": (lambda t: "乡镇,得分\n太平镇,90\n", "缺少列：排名"),
    "unknown column": (lambda t: full_ranking(t, header="乡镇,排名,得分,负责人").replace("\r\n", ",x\r\n").replace("负责人,x", "负责人"),
                       "第1行 负责人：无法识别的列"),
    "empty file": (lambda t: "", "文件为空"),
    "header only": (lambda t: "乡镇,排名\n", "只有表头"),
}


@pytest.mark.parametrize("case", list(MALFORMED), ids=list(MALFORMED))
def test_malformed_rankings_are_refused_with_row_and_column(case, townships):
    make, expected = MALFORMED[case]
    problems = _problems(make(townships), townships)
    assert any(expected in p for p in problems), problems


def test_wrongly_decoded_header_is_explained(townships):
    data = full_ranking(townships).encode("gbk").decode("latin-1").encode("utf-8")
    with pytest.raises(ImportFileError) as caught:
        parse_rankings(data, "r.csv", year=2020)
    assert "编码" in str(caught.value)


def test_file_over_the_size_limit_is_refused(townships, settings):
    settings.IMPORT_MAX_BYTES = 100
    problems = _problems(full_ranking(townships), townships)
    assert "超过上限" in problems[0]


def test_township_out_of_service_cannot_be_ranked(townships):
    townships[0].last_year = 2019
    townships[0].save()
    problems = _problems(full_ranking(townships), townships)
    assert any("2020 年度不在册" in p for p in problems)


@pytest.mark.parametrize("case", list(MALFORMED), ids=list(MALFORMED))
def test_malformed_file_leaves_the_database_unchanged(case, tmp_path, demo):
    from townships.models import Township

    townships = list(Township.objects.order_by("code"))
    before = table_snapshot()
    path = tmp_path / "bad.csv"
    path.write_text(MALFORMED[case][0](townships), encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_rankings", str(path), "--year", "2020", "--user", "demo-data")
    assert table_snapshot() == before


def test_web_upload_refuses_a_bad_file_and_lists_problems(client, demo, staff_user):
    login(client, staff_user)
    before = table_snapshot()
    upload = io.BytesIO("乡镇,排名\n太平乡,1\n".encode())
    upload.name = "bad.csv"
    response = client.post(reverse("rankings-import", args=[2020]), {"file": upload})
    assert response.status_code == 400
    assert "第2行 乡镇" in response.content.decode()
    assert table_snapshot() == before


def test_web_upload_replaces_the_ranking_with_an_audit_record(client, demo, staff_user):
    from townships.models import Township

    login(client, staff_user)
    townships = list(Township.objects.order_by("-code"))
    upload = io.BytesIO(full_ranking(townships).encode("gb18030"))
    upload.name = "2020排名.csv"
    response = client.post(reverse("rankings-import", args=[2020]), {"file": upload})
    assert response.status_code == 302
    assert AssessmentResult.objects.get(year=2020, rank=1).township == townships[0]
    event = AuditEvent.objects.get(action="rankings_replaced")
    assert event.actor == staff_user and len(event.details["previous"]) == 52


def test_finance_cannot_import(client, demo, finance_user):
    login(client, finance_user)
    assert client.get(reverse("rankings-import", args=[2020])).status_code == 403


def test_import_categories_sets_a_year_with_audit(tmp_path, demo):
    path = tmp_path / "cats.csv"
    path.write_text("乡镇,类别\n太平镇,三类\n511781101,2\n", encoding="utf-8")
    call_command("import_categories", str(path), "--year", "2020", "--user", "demo-data")
    assert TownshipCategory.objects.get(township__name="太平镇", year=2020).category == 3
    assert TownshipCategory.objects.get(township__code="511781101", year=2020).category == 2
    change = CategoryChange.objects.filter(township__name="太平镇").first()
    assert (change.old_category, change.new_category, change.source) == (1, 3, "import")


def test_import_categories_refuses_an_unknown_category(tmp_path, demo):
    before = table_snapshot()
    path = tmp_path / "cats.csv"
    path.write_text("乡镇,类别\n太平镇,三类\n青花镇,四类\n", encoding="utf-8")
    with pytest.raises(CommandError, match="第3行 类别"):
        call_command("import_categories", str(path), "--year", "2020", "--user", "demo-data")
    assert table_snapshot() == before


# --- Hostile files: bounded work, bounded answers (issue 14, item 8) ------------------

def _xlsx_rows(rows, *, write_only=True) -> bytes:
    workbook = Workbook(write_only=write_only)
    sheet = workbook.create_sheet() if write_only else workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _zip_replace(data: bytes, name: str, content: bytes) -> bytes:
    """The XLSX ``data`` with the member ``name`` replaced by ``content``."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename,
                            content if info.filename == name else source.read(info.filename))
    return out.getvalue()


def _xlsx_repeating(rows: int) -> bytes:
    """An XLSX of a header and ``rows`` equal rows: it zips to almost nothing."""
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    row = '<row><c t="inlineStr"><is><t>太平镇</t></is></c><c><v>1</v></c></row>'
    sheet = (f'<worksheet xmlns="{ns}"><sheetData><row><c t="inlineStr"><is><t>乡镇</t>'
             f'</is></c><c t="inlineStr"><is><t>排名</t></is></c></row>{row * rows}'
             '</sheetData></worksheet>')
    return _zip_replace(_xlsx_rows([["乡镇", "排名"]]), "xl/worksheets/sheet1.xml",
                        sheet.encode())


@pytest.fixture(scope="module")
def xlsx_200000_rows():
    """An XLSX of about 40 KB that inflates to 200,000 rows, as the issue describes."""
    return _xlsx_repeating(200_000)


def _upload(client, url, data: bytes, name: str):
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(url, {"file": upload})


def _refusal(data: bytes, name: str, *, categories=False) -> list[str]:
    from townships.imports import parse_categories

    parse = parse_categories if categories else parse_rankings
    with pytest.raises(ImportFileError) as caught:
        parse(data, name, year=2020)
    return [str(p) for p in caught.value.problems]


def test_an_xlsx_of_200000_rows_is_refused_with_a_short_answer(client, demo, admin_user,
                                                                xlsx_200000_rows):
    assert len(xlsx_200000_rows) < 100_000
    problems = _refusal(xlsx_200000_rows, "r.xlsx")
    assert len(problems) == 1 and "解压后" in problems[0], problems
    # as many rows as fit under the limit of the inflated size: read up to the row limit
    problems = _refusal(_xlsx_repeating(50_000), "r.xlsx")
    assert len(problems) == 1 and "行数过多" in problems[0], problems
    login(client, admin_user)
    before = table_snapshot()
    for url in (reverse("rankings-import", args=[2020]),
                reverse("categories-import", args=[2020])):
        response = _upload(client, url, xlsx_200000_rows, "r.xlsx")
        assert response.status_code == 400
        assert len(response.content) < 50_000
    assert table_snapshot() == before


def test_a_zip_bomb_sheet_is_refused_before_it_is_inflated(townships, settings):
    sheet = _xlsx_rows([["乡镇", "排名"], ["太平镇", 1]])
    # 64 MB of spaces after the worksheet's root element: valid XML, about 64 KB zipped
    import zipfile

    original = zipfile.ZipFile(io.BytesIO(sheet)).read("xl/worksheets/sheet1.xml")
    bomb = _zip_replace(sheet, "xl/worksheets/sheet1.xml", original + b" " * (64 << 20))
    assert len(bomb) < 200_000
    problems = _refusal(bomb, "r.xlsx")
    assert len(problems) == 1 and "解压后" in problems[0], problems


def test_the_uncompressed_limit_is_a_setting(townships, settings):
    data = _xlsx_rows([["乡镇", "排名"]] + [[t.name, i] for i, t in enumerate(townships, 1)])
    assert len(parse_rankings(data, "r.xlsx", year=2020)) == 52
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 4096
    assert "解压后" in _refusal(data, "r.xlsx")[0]


def test_a_file_with_more_rows_than_townships_plus_a_margin_is_refused(townships):
    rows = [["乡镇", "排名"]] + [[f"乡镇{i}", i] for i in range(1, 2001)]
    for data, name in ((_xlsx_rows(rows), "r.xlsx"),
                       ("\n".join(f"{a},{b}" for a, b in rows).encode(), "r.csv")):
        problems = _refusal(data, name)
        assert len(problems) == 1 and "行数过多" in problems[0], problems
        assert "102" in problems[0]  # 52 townships in service and 50 more
    categories = "乡镇,类别\n" + "".join(f"乡镇{i},一类\n" for i in range(1, 2001))
    problems = _refusal(categories.encode(), "c.csv", categories=True)
    assert len(problems) == 1 and "行数过多" in problems[0], problems


def test_a_ranking_of_every_township_plus_blank_rows_is_not_too_long(townships):
    text = full_ranking(townships) + "\r\n" * 500 + ",,\r\n" * 100
    assert len(parse_rankings(text.encode(), "r.csv", year=2020)) == 52
    rows = ([["乡镇", "排名"]] + [[t.name, i] for i, t in enumerate(townships, 1)]
            + [[None, None]] * 300)
    assert len(parse_rankings(_xlsx_rows(rows, write_only=False), "r.xlsx", year=2020)) == 52


def test_at_most_50_problems_are_listed_then_how_many_more(client, demo, staff_user):
    text = "乡镇,排名\n" + "".join(f"不存在的乡镇{i},{i}\n" for i in range(1, 101))
    problems = _refusal(text.encode(), "r.csv")
    assert len(problems) == 51
    assert problems[-1] == "还有 51 处问题"  # 100 unknown townships and the row count
    login(client, staff_user)
    response = _upload(client, reverse("rankings-import", args=[2020]), text.encode(), "r.csv")
    assert response.status_code == 400
    assert "还有 51 处问题" in response.content.decode()


def test_long_cells_are_shortened_in_the_answer(client, demo, staff_user):
    text = "乡镇,排名\n" + "".join(f"{'乡' * 120_000}{i},{i}\n" for i in range(1, 6))
    problems = _refusal(text.encode(), "r.csv")
    assert problems and all(len(p) < 300 for p in problems)
    login(client, staff_user)
    response = _upload(client, reverse("rankings-import", args=[2020]), text.encode(), "r.csv")
    assert response.status_code == 400 and len(response.content) < 50_000


def test_a_csv_cell_over_the_field_limit_is_a_400(client, demo, admin_user):
    import csv

    big = "x" * (csv.field_size_limit() + 10)
    text = f'乡镇,排名\n太平镇,1\n"{big}",2\n'
    problems = _refusal(text.encode(), "r.csv")
    assert any("第3行" in p and "字符" in p for p in problems), problems
    login(client, admin_user)
    for name, header in (("rankings-import", "乡镇,排名"), ("categories-import", "乡镇,类别")):
        text = f'{header}\n太平镇,1\n"{big}",2\n'
        response = _upload(client, reverse(name, args=[2020]), text.encode(), "r.csv")
        assert response.status_code == 400
        assert "字符" in response.content.decode()


@pytest.mark.parametrize("rank", ["sNaN", "Infinity", "-Infinity", "1e999999999", "NaN",
                                  "9" * 5000, "1e-999999999"])
def test_a_rank_that_is_no_small_whole_number_is_a_problem(townships, rank):
    text = full_ranking(townships).replace(f"{townships[4].name},5,", f"{townships[4].name},{rank},")
    problems = _refusal(text.encode(), "r.csv")
    assert any(p.startswith("第6行 排名") for p in problems), problems


def test_an_entity_bomb_in_a_sheet_is_refused(townships):
    sheet = _xlsx_rows([["乡镇", "排名"], ["太平镇", 1]])
    entities = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 10))
    bomb = (f'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY e0 "lollollollol">{entities}]>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&e9;</t></is></c></row>'
            '</sheetData></worksheet>').encode()
    problems = _refusal(_zip_replace(sheet, "xl/worksheets/sheet1.xml", bomb), "r.xlsx")
    assert len(problems) == 1 and "XLSX" in problems[0], problems


@pytest.mark.parametrize("member", ["xl/worksheets/sheet1.xml", "xl/workbook.xml",
                                    "xl/_rels/workbook.xml.rels", "_rels/.rels"])
def test_a_broken_xlsx_is_refused_not_an_error(townships, member):
    sheet = _xlsx_rows([["乡镇", "排名"], ["太平镇", 1]])
    for content in (b"<not xml", b"", b"\x00\xff" * 100):
        problems = _refusal(_zip_replace(sheet, member, content), "r.xlsx")
        assert len(problems) == 1, problems


def test_a_sheet_with_wide_rows_and_distant_cells_is_bounded(townships):
    import zipfile

    sheet = _xlsx_rows([["乡镇", "排名"], ["太平镇", 1]])
    far = ('<?xml version="1.0"?>'
           '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           '<dimension ref="A1:XFD1048576"/><sheetData>'
           '<row r="1"><c r="A1" t="inlineStr"><is><t>乡镇</t></is></c>'
           '<c r="B1" t="inlineStr"><is><t>排名</t></is></c><c r="XFD1"/></row>'
           '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>太平镇</t></is></c>'
           '<c r="B1048576"><v>1</v></c><c r="XFD1048576"/></row>'
           '</sheetData></worksheet>').encode()
    data = _zip_replace(sheet, "xl/worksheets/sheet1.xml", far)
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    rows = parse_rankings(data, "r.xlsx", year=2020)
    assert [(r.township.name, r.rank) for r in rows] == [("太平镇", 1)]


def test_xlsx_cells_are_read_as_the_spreadsheet_shows_them(townships):
    rows = [["乡镇", "排名", "得分"]] + [
        [t.code if i % 2 else t.name, i, 100 - i + 0.5] for i, t in enumerate(townships, 1)]
    parsed = parse_rankings(_xlsx_rows(rows, write_only=False), "r.xlsx", year=2020)
    assert [r.rank for r in parsed] == list(range(1, 53))
    assert str(parsed[0].score) == "99.50"
    assert [r.township for r in parsed] == townships
