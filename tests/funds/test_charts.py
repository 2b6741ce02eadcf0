"""The server-drawn SVG charts: values labelled, text escaped, moves drawn."""

from xml.etree import ElementTree

from django.urls import reverse

from funds.budget import charts
from funds.yearly import services
from tests.conftest import login
from townships.rules import Decision, Move

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup):
    return ElementTree.fromstring(str(markup))


def test_stacked_bars_label_each_segment_and_total():
    svg = _parse(charts.stacked_bars(
        [charts.Bar("2020", {1: 20, 2: 16, 3: 16}), charts.Bar("2021", {1: 26})],
        title="各类乡镇数", value_format=str))
    assert svg.get("role") == "img" and svg.get("aria-label") == "各类乡镇数"
    segments = [r for r in svg.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(segments) == 4
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    # each segment's count, each bar's total and year, the legend
    assert sorted(texts) == sorted(["20", "16", "16", "26", "52", "26", "2020", "2021",
                                    "一类", "二类", "三类"])

    def height(year):
        return sum(float(r.get("height")) for r in segments
                   if r.find(f"{SVG}title").text.startswith(year))

    assert abs(height("2020") / height("2021") - 2.0) < 0.01  # proportional to 52 : 26


def test_stacked_bars_of_nothing_draw_nothing():
    assert charts.stacked_bars([], title="x", value_format=str) == ""


def _decision(key, rank, old, new, move, label="乡"):
    return Decision(key=key, label=label, rank=rank, old_category=old, new_category=new,
                    move=move, ranked_count=4)


def test_rank_chart_draws_one_arrow_per_move_and_escapes_names():
    decisions = [
        _decision(1, 1, 2, 1, Move.PROMOTED, label="<b>甲</b>"),
        _decision(2, 2, 1, 1, Move.KEPT_AT_TOP),
        _decision(3, 3, 2, 2, Move.KEPT),
        _decision(4, 4, 2, 3, Move.DEMOTED),
        _decision(5, None, 3, 3, Move.UNRANKED),
    ]
    markup = str(charts.rank_against_category(decisions, title="t", promote_count=1,
                                              demote_count=1))
    assert "<b>甲" not in markup and "&lt;b&gt;甲&lt;/b&gt;" in markup
    svg = _parse(markup)
    arrows = [line for line in svg.iter(f"{SVG}line") if "arrow" in line.get("class", "")]
    assert sorted(a.get("class") for a in arrows) == ["arrow demoted", "arrow promoted"]
    promoted = next(a for a in arrows if "promoted" in a.get("class"))
    assert float(promoted.get("y2")) < float(promoted.get("y1"))  # up
    assert len(list(svg.iter(f"{SVG}circle"))) == 4  # the unranked one is not plotted


def test_rank_chart_without_a_ranking_is_empty():
    assert charts.rank_against_category([], title="t", promote_count=5, demote_count=4) == ""


def test_overview_draws_the_charts_from_the_same_figures(client, demo, admin_user):
    login(client, admin_user)
    body = client.get(reverse("overview")).content.decode()
    assert body.count('<svg class="chart') == 3
    preview = services.reclassification_preview(fund_year=demo)
    assert body.count('class="arrow ') == len(preview.result.changes)
    assert "928.00" in body  # the money chart's 2020 total is the grand total in 万元


def test_overview_without_a_ranking_explains_the_missing_chart(client, demo, admin_user):
    from townships.models import AssessmentResult

    AssessmentResult.objects.all().delete()
    login(client, admin_user)
    body = client.get(reverse("overview")).content.decode()
    assert body.count('<svg class="chart') == 2
    assert "导入排名后" in body
