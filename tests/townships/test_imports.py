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
    call_command("import_rankings", str(path), "--year", "2020")
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
        call_command("import_rankings", str(path), "--year", "2020")
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
    call_command("import_categories", str(path), "--year", "2020")
    assert TownshipCategory.objects.get(township__name="太平镇", year=2020).category == 3
    assert TownshipCategory.objects.get(township__code="511781101", year=2020).category == 2
    change = CategoryChange.objects.filter(township__name="太平镇").first()
    assert (change.old_category, change.new_category, change.source) == (1, 3, "import")


def test_import_categories_refuses_an_unknown_category(tmp_path, demo):
    before = table_snapshot()
    path = tmp_path / "cats.csv"
    path.write_text("乡镇,类别\n太平镇,三类\n青花镇,四类\n", encoding="utf-8")
    with pytest.raises(CommandError, match="第3行 类别"):
        call_command("import_categories", str(path), "--year", "2020")
    assert table_snapshot() == before
