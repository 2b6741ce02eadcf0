import csv
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from funds.models import FundYear
from funds.yearly import services
from tests.conftest import login
from townships.models import AuditEvent, CategoryChange, Township, TownshipCategory
from townships.reference import townships_load


def _all_url_names(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            # the admin redirects itself, tested below; the API answers 401 in JSON
            # (tests/funds/test_api.py)
            if pattern.namespace not in ("admin", "api"):
                yield from _all_url_names(pattern)
            continue
        if isinstance(pattern, URLPattern) and pattern.name not in PUBLIC_PAGES:
            yield pattern


PUBLIC_PAGES = {"login", "set_language"}
SAMPLE_KWARGS = {"year": 2020, "month": 6, "code": "511781100", "unit": "511781", "pk": 1,
                 "action": "submit", "kind": "posting", "fmt": "docx"}


@pytest.mark.parametrize("pattern", list(_all_url_names()), ids=lambda p: p.name)
def test_anonymous_visitor_is_sent_to_login_from_every_page(client, demo, pattern):
    kwargs = {k: v for k, v in SAMPLE_KWARGS.items() if k in pattern.pattern.converters}
    url = reverse(pattern.name, kwargs=kwargs)
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_admin_site_needs_login(client, demo):
    response = client.get("/admin/funds/fundyear/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_login_page_is_chinese(client, db):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en")
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
    assert "登录" in response.content.decode()


def test_overview_shows_the_2020_budget_check(client, demo, admin_user):
    login(client, admin_user)
    response = client.get(reverse("overview"))
    page = response.content.decode()
    assert response.status_code == 200
    for figure in ("772.00", "669.00", "103.00", "156.00", "928.00"):
        assert figure in page
    assert response.context["budget"].counts == {1: 20, 2: 16, 3: 16}
    assert "示意" in page  # the illustrative-data banner


def test_overview_with_an_unknown_year_is_404_not_another_year(client, demo, staff_user):
    login(client, staff_user)
    assert client.get(reverse("overview") + "?year=1999").status_code == 404
    assert client.get(reverse("overview") + "?year=abc").status_code == 404


def test_allocation_table_lists_townships_with_totals(client, demo, finance_user):
    login(client, finance_user)
    response = client.get(reverse("allocation-list", args=[2020]))
    assert response.status_code == 200
    table = response.context["table"]
    assert len(table.rows) == 52
    page = response.content.decode()
    assert "太平镇" in page and "928.00" in page


def test_allocation_table_filters_by_category_kind_and_name(client, demo, staff_user):
    login(client, staff_user)
    url = reverse("allocation-list", args=[2020])
    response = client.get(url, {"category": 1})
    assert len(response.context["table"].rows) == 20
    assert response.context["budget"].standards_total == Decimal("3400000.00")
    response = client.get(url, {"kind": "town"})
    assert len(response.context["table"].rows) == 23
    response = client.get(url, {"name": "太平"})
    assert [r.record["name"] for r in response.context["table"].rows] == ["太平镇"]


def test_allocation_table_sorts_by_rank_and_money(client, demo, staff_user):
    login(client, staff_user)
    url = reverse("allocation-list", args=[2020])
    ranks = [r.record["rank"] for r in client.get(url, {"sort": "rank"}).context["table"].rows]
    assert ranks == sorted(ranks)
    totals = [r.record["standard_amount"]
              for r in client.get(url, {"sort": "-total"}).context["table"].rows]
    assert totals == sorted(totals, reverse=True)


def test_the_floor_sorts_by_the_floor_when_it_is_a_minimum(client, demo, staff_user):
    """A minimum floor of 16万 tops up 三类 by 4万, 二类 by 1万 and 一类 by nothing: sorted
    by the floor, the order of the categories is the reverse of the standard's."""
    FundYear.objects.filter(year=2020).update(floor_mode="minimum",
                                              floor_amount=Decimal("160000.00"))
    login(client, staff_user)
    url = reverse("allocation-list", args=[2020])
    rows = client.get(url, {"sort": "floor"}).context["table"].rows
    floors = [(r.record["category"], r.get_cell_value("floor")) for r in rows]
    assert [c for c, _f in floors] == sorted(c for c, _f in floors)  # 一类 first
    assert (floors[0][1], floors[-1][1]) == (Decimal("0.00"), Decimal("40000.00"))


def test_clerk_sees_only_the_own_township(client, demo, clerk_user):
    login(client, clerk_user)
    response = client.get(reverse("overview"))
    assert response.status_code == 302
    assert response["Location"] == reverse("clerk-home")
    assert client.get(reverse("township-detail", args=["511781100"])).status_code == 200
    assert client.get(reverse("township-detail", args=["511781101"])).status_code == 404
    assert client.get(reverse("allocation-list", args=[2020])).status_code == 403
    assert client.get(reverse("allocation-export-csv", args=[2020])).status_code == 403


def test_finance_cannot_change_a_category(client, demo, finance_user):
    login(client, finance_user)
    township = Township.objects.get(code="511781100")
    before = list(TownshipCategory.objects.values_list("township_id", "year", "category"))
    response = client.post(reverse("township-category-change", args=[township.code]),
                           {"year": 2020, "category": 3, "reason": "测试"})
    assert response.status_code == 403
    assert list(TownshipCategory.objects.values_list("township_id", "year", "category")) == before
    # and not through the admin either
    tc = TownshipCategory.objects.get(township=township, year=2020)
    response = client.post(f"/admin/townships/townshipcategory/{tc.pk}/change/",
                           {"category": 3, "reason": "测试"})
    assert response.status_code == 403
    tc.refresh_from_db()
    assert tc.category == 1


def test_category_change_without_reason_is_refused(client, demo, admin_user):
    login(client, admin_user)
    changes = CategoryChange.objects.count()
    response = client.post(reverse("township-category-change", args=["511781100"]),
                           {"year": 2020, "category": 2, "reason": "  "}, follow=True)
    assert "必须填写理由" in response.content.decode()
    assert TownshipCategory.objects.get(township__code="511781100", year=2020).category == 1
    assert CategoryChange.objects.count() == changes


def test_category_change_leaves_an_audit_record(client, demo, admin_user):
    login(client, admin_user)
    earlier = list(CategoryChange.objects.values_list("pk", flat=True))
    start = timezone.now()
    response = client.post(reverse("township-category-change", args=["511781100"]),
                           {"year": 2020, "category": 2, "reason": "复核后调整"})
    assert response.status_code == 302
    change = CategoryChange.objects.exclude(pk__in=earlier).get()  # exactly one new record
    assert change.township.code == "511781100"
    assert (change.old_category, change.new_category) == (1, 2)
    assert change.changed_by == admin_user
    assert start <= change.changed_at <= timezone.now()
    assert change.reason == "复核后调整" and change.source == "manual"
    page = client.get(reverse("township-detail", args=["511781100"])).content.decode()
    assert "复核后调整" in page


def test_admin_changes_a_category_in_the_django_admin_with_a_reason(client, demo, admin_user):
    login(client, admin_user)
    tc = TownshipCategory.objects.get(township__code="511781101", year=2020)
    url = f"/admin/townships/townshipcategory/{tc.pk}/change/"
    response = client.post(url, {"category": 3, "reason": ""})
    assert response.status_code == 200  # the form again, with the error
    tc.refresh_from_db()
    assert tc.category == 1
    response = client.post(url, {"category": 3, "reason": "乡镇合并前调整"})
    assert response.status_code == 302
    tc.refresh_from_db()
    assert tc.category == 3 and tc.changed_by == admin_user
    change = CategoryChange.objects.get(township__code="511781101", source="manual")
    assert (change.old_category, change.new_category, change.reason) == (1, 3, "乡镇合并前调整")


def _csv(response):
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_export_has_52_rows_a_totals_row_and_a_bom(client, demo, finance_user):
    login(client, finance_user)
    response = client.get(reverse("allocation-export-csv", args=[2020]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    rows = _csv(response)
    header, body, total = rows[0], rows[1:-1], rows[-1]
    # the page's columns, amounts in yuan: the same table declares both
    assert header == ["代码", "乡镇", "类型", "类别", "排名", "保底资金（元）", "补助标准（元）",
                      "合计（元）", "已报账（元）", "执行率（%）"]
    assert len(body) == 52
    assert total[5:] == ["1560000.00", "7720000.00", "9280000.00", "0.00", "0.00"]
    assert sum(Decimal(r[7]) for r in body) == Decimal("9280000.00")


def test_csv_export_neutralises_formulas(client, demo, finance_user):
    Township.objects.filter(code="511781100").update(name="=HYPERLINK(\"x\")")
    login(client, finance_user)
    rows = _csv(client.get(reverse("allocation-export-csv", args=[2020])))
    name = next(r[1] for r in rows if r[0] == "511781100")
    assert name == "'=HYPERLINK(\"x\")"


def test_csv_export_of_a_missing_year_is_404(client, demo, finance_user):
    login(client, finance_user)
    assert client.get(reverse("allocation-export-csv", args=[1999])).status_code == 404


def test_csv_export_with_an_invalid_filter_is_refused_not_unfiltered(client, demo, finance_user):
    login(client, finance_user)
    response = client.get(reverse("allocation-export-csv", args=[2020]), {"category": "9"})
    assert response.status_code == 400


def _add_townships(n):
    """n more townships in service, each with a 2020 category, as a bigger county has."""
    from django.utils import timezone

    added = Township.objects.bulk_create(
        Township(code=f"9{i:08d}", name=f"测试乡{i}", kind="township") for i in range(n)
    )
    TownshipCategory.objects.bulk_create(
        TownshipCategory(township=t, year=2020, category=3, source="initial",
                         changed_at=timezone.now()) for t in added)


@pytest.mark.parametrize("url_name", ["allocation-list", "overview"])
def test_list_pages_run_the_same_number_of_queries_for_52_and_500(
        client, demo, staff_user, django_assert_num_queries, url_name):
    login(client, staff_user)
    url = reverse(url_name, args=[2020]) if url_name != "overview" else reverse(url_name)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # the first visit stores the chosen year in the session
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _add_townships(448)
    assert Township.objects.count() == 500
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large) == len(small)


def test_allocation_page_query_count_is_pinned(client, demo, staff_user,
                                               django_assert_num_queries):
    login(client, staff_user)
    url = reverse("allocation-list", args=[2020])
    client.get(url)  # the first visit stores the chosen year in the session
    # session, user, permissions ×2, the fund year, the counts per category, the
    # spending sums, the rows, the paginator's count, the navigation's count of what
    # waits for approval and its list of years (the context processor's, the one list)
    with django_assert_num_queries(11):
        client.get(url)


def test_csv_export_query_count_does_not_grow(client, demo, finance_user):
    login(client, finance_user)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        b"".join(client.get(reverse("allocation-export-csv", args=[2020])).streaming_content)
    _add_townships(448)
    with CaptureQueriesContext(connection) as large:
        b"".join(client.get(reverse("allocation-export-csv", args=[2020])).streaming_content)
    assert len(large) == len(small)


def test_export_command_matches_the_figures(tmp_path, demo):
    from django.core.management import call_command

    out = tmp_path / "a.csv"
    call_command("export_allocation", "--year", "2020", "--output", str(out))
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 1 + 52 + 1
    assert rows[-1][5:] == ["1560000.00", "7720000.00", "9280000.00", "0.00", "0.00"]


def test_loading_the_township_list_twice_changes_nothing(loader, settings):
    assert townships_load(path=settings.TOWNSHIPS_FILE, acting_user=loader) == (52, 0)
    assert townships_load(path=settings.TOWNSHIPS_FILE, acting_user=loader) == (0, 0)
    # one audit event, for the load that changed something, naming who loaded it
    event = AuditEvent.objects.get(action=AuditEvent.Action.TOWNSHIPS_LOADED)
    assert (event.actor, event.details) == (loader, {"created": 52, "updated": 0})
    assert Township.objects.count() == 52
    assert FundYear.objects.count() == 0


def test_loading_the_township_list_needs_the_permission(db, staff_user, settings):
    with pytest.raises(PermissionDenied):
        townships_load(path=settings.TOWNSHIPS_FILE, acting_user=staff_user)
    assert not Township.objects.exists()


@pytest.mark.parametrize("url", [
    "/townships/511781100/",
    "/reclassification/2020/",
    "/rankings/2020/import/",
    "/categories/2020/import/",
])
def test_other_pages_do_not_grow_their_queries_with_the_townships(client, demo, admin_user, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(client, admin_user)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _add_townships(448)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large) == len(small) <= 20


def test_xlsx_export_has_numbers_chinese_headers_and_the_csv_totals(client, demo, finance_user):
    from openpyxl import load_workbook

    login(client, finance_user)
    response = client.get(reverse("allocation-export-xlsx", args=[2020]))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook["2020"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "万源市2020年度乡镇基层党建专项经费分配表（单位：元）"
    assert rows[1][:3] == ("代码", "乡镇", "类型")
    assert len(rows) == 2 + 52 + 1
    assert sheet.freeze_panes == "A3"  # the title and the header stay in view
    assert all(isinstance(r[7], int | float) for r in rows[2:])  # numbers, not text
    assert sheet["H3"].number_format == '#,##0.00"元"'
    # wide enough: 乡镇 names and amounts up to 9,999,999.99元 show, not ###
    assert (sheet.column_dimensions["B"].width, sheet.column_dimensions["H"].width) == (10, 18)
    csv_rows = _csv(client.get(reverse("allocation-export-csv", args=[2020])))
    assert [Decimal(str(v)).quantize(Decimal("0.01")) for v in rows[-1][5:]] == [
        Decimal(v) for v in csv_rows[-1][5:]]
    assert rows[-1][5:] == (1560000.0, 7720000.0, 9280000.0, 0.0, 0.0)


def test_xlsx_export_is_for_finance_staff_and_admins_only(client, demo, clerk_user):
    login(client, clerk_user)
    assert client.get(reverse("allocation-export-xlsx", args=[2020])).status_code == 403


def test_print_view_has_title_date_totals_and_no_navigation(client, demo, staff_user):
    login(client, staff_user)
    response = client.get(reverse("allocation-print", args=[2020]), {"sort": "rank"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "万源市2020年度乡镇基层党建专项经费分配表" in body
    assert "打印时间" in body and "金额单位：万元" in body
    assert "site-header" not in body and 'aria-label="主导航"' not in body
    table = response.context["table"]
    assert not hasattr(table, "page") and len(table.rows) == 52  # the whole table, not one page
    assert [r.record["rank"] for r in table.rows][:2] == [1, 2]  # the sort carries over
    assert "928.00" in body and "156.00" in body


def test_print_view_of_a_filter_says_it_is_filtered(client, demo, staff_user):
    login(client, staff_user)
    response = client.get(reverse("allocation-print", args=[2020]), {"category": "3"})
    assert len(response.context["table"].rows) == 16
    assert "已筛选" in response.content.decode()


def test_an_invalid_export_filter_says_which_field_is_wrong(client, demo, finance_user):
    login(client, finance_user)
    for name in ("allocation-export-csv", "allocation-export-xlsx", "allocation-print"):
        response = client.get(reverse(name, args=[2020]), {"category": "9"})
        assert response.status_code == 400
        body = response.content.decode()
        assert "类别" in body and "9" in body
        assert response["Content-Type"].startswith("text/html")


def test_year_switcher_remembers_the_year_across_pages(client, demo, admin_user):
    services.reclassification_apply(year=2020, acting_user=admin_user)
    login(client, admin_user)
    response = client.get(reverse("year-switch"), {"year": "2021", "page": "allocation-list"})
    assert response.status_code == 302
    assert response["Location"] == reverse("allocation-list", args=[2021])
    assert client.session["fund_year"] == 2021
    overview = client.get(reverse("overview"))
    assert overview.context["fund_year"].year == 2021
    # the navigation of a page without a year in its path links to the chosen year
    township_page = client.get(reverse("township-detail", args=["511781100"])).content.decode()
    assert reverse("allocation-list", args=[2021]) in township_page
    assert reverse("ranking-list", args=[2021]) in township_page


@pytest.mark.parametrize("query", [{"year": "1999"}, {"year": "abc"}, {}])
def test_year_switcher_refuses_a_year_that_does_not_exist(client, demo, staff_user, query):
    login(client, staff_user)
    response = client.get(reverse("year-switch"), {**query, "page": "allocation-list"},
                          follow=True)
    assert response.redirect_chain[-1][0] == reverse("overview")
    assert "请从列表中选择已有的经费年度" in response.content.decode()
    assert "fund_year" not in client.session  # nothing chosen before, nothing chosen now


@pytest.mark.parametrize("page", ["allocation-list", "ranking-list", "reclassification",
                                  "execution", "fund-year-settings"])
def test_year_switcher_shows_the_same_page_for_the_other_year(client, demo, admin_user, page):
    """Every page that shows the switcher comes back as itself for the chosen year."""
    services.reclassification_apply(year=2020, acting_user=admin_user)
    login(client, admin_user)
    page_html = client.get(reverse(page, args=[2020])).content.decode()
    assert f'name="page" value="{page}"' in page_html  # the switcher is on the page
    response = client.get(reverse("year-switch"), {"year": "2021", "page": page})
    assert response["Location"] == reverse(page, args=[2021])


def test_a_clerk_switching_the_year_stays_on_the_own_home(client, demo, clerk_user):
    login(client, clerk_user)
    response = client.get(reverse("year-switch"), {"year": "2020", "page": "clerk-home"})
    assert response["Location"] == reverse("clerk-home")
    assert client.session["fund_year"] == 2020


def test_year_switcher_does_not_redirect_to_arbitrary_pages(client, demo, staff_user):
    login(client, staff_user)
    response = client.get(reverse("year-switch"), {"year": "2020", "page": "admin:index"})
    assert response["Location"] == reverse("overview")


INVALID_FILTER_PAGES = [
    ("/allocations/2020/", "category=9"),
    ("/execution/2020/", "kind=nonsense"),
    ("/townships/", "category=9"),
    ("/rankings/2020/", "category=9"),
    ("/audit/categories/", "year=1"),
    ("/audit/events/", "action=nonsense"),
]


@pytest.mark.parametrize(("url", "query"), INVALID_FILTER_PAGES)
def test_an_invalid_filter_shows_no_rows_and_says_why(url, query, client, demo, staff_user):
    """One rule on every list page: never every row when the filter is not valid."""
    login(client, staff_user)
    response = client.get(f"{url}?{query}")
    assert response.status_code == 200
    assert "筛选条件无效，因此未显示任何记录" in response.content.decode()
    assert len(response.context["table"].rows) == 0
    # and the same page without the filter has rows, so "no rows" is the filter's doing
    assert len(client.get(url).context["table"].rows) > 0


@pytest.mark.parametrize("export", ["allocation-export-csv", "allocation-export-xlsx",
                                    "execution-export-csv", "execution-export-xlsx",
                                    "allocation-print"])
def test_an_invalid_filter_on_an_export_is_a_400(export, client, demo, staff_user):
    login(client, staff_user)
    assert client.get(reverse(export, args=[2020]) + "?category=9").status_code == 400
    assert client.get(reverse(export, args=[2020]) + "?category=1").status_code == 200


def test_the_overview_cards_and_chart_say_the_same_amounts(client, demo, staff_user):
    """20/16/16 townships at 17+3, 15+3 and 12+3万: 400, 288 and 240万 with the floors,
    on the cards and in the chart's 2020 bar alike."""
    login(client, staff_user)
    response = client.get(reverse("overview"), {"year": 2020})
    body = response.content.decode()
    for amount in ("400.00", "288.00", "240.00"):
        assert f"含保底共 {amount} 万元" in body
    money_chart = dict(response.context["history_charts"])["历年各类乡镇经费（含保底，万元）"]
    for amount in ("400.00", "288.00", "240.00"):
        assert f">{amount}<" in str(money_chart)


def test_a_refused_category_change_keeps_what_was_typed(client, admin_user, demo):
    """Issue 17 item 13: the form shows again with the values and why; the year is a
    choice of the years with settings in which the township is in service."""
    client.force_login(admin_user)
    township = Township.objects.get(name="太平镇")
    url = f"/townships/{township.code}/category/"
    page = client.post(url, {"year": 2020, "category": 2, "reason": "  "})
    assert page.status_code == 400
    form = page.context["form"]
    assert form["category"].value() == "2" and "reason" in form.errors
    assert 'value="2" selected' in page.content.decode()
    page = client.post(url, {"year": 2099, "category": 2, "reason": "复核"})
    assert page.status_code == 400 and "year" in page.context["form"].errors
    choices = [y for y, _label in page.context["form"].fields["year"].choices]
    assert choices == sorted(FundYear.objects.values_list("year", flat=True), reverse=True)
    assert client.post(url, {"year": 2020, "category": 2, "reason": "复核"}).status_code == 302
