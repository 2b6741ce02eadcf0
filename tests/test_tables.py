"""The shared pieces of the list tables (wanyuan/tables.py) and the project's table
template: every django-tables2 table is a ``table.cards`` whose cells name their column,
so that a phone shows each row as a card (tests/browser/test_phone_lists.py)."""

import importlib
from html.parser import HTMLParser
from pathlib import Path

import django_tables2 as tables
from django.conf import settings
from django.template import Context, Template

from wanyuan.tables import OwnColumnsMixin

ROOT = Path(__file__).resolve().parents[1]


class _Cells(HTMLParser):
    """The table's attributes and, per section, the attributes of each cell."""

    def __init__(self):
        super().__init__()
        self.table, self.section, self.cells = None, None, {"thead": [], "tbody": [],
                                                            "tfoot": []}

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.table = dict(attrs)
        elif tag in self.cells:
            self.section = tag
        elif tag in ("td", "th") and self.section:
            self.cells[self.section].append(dict(attrs))


def _render(table, rf):
    request = rf.get("/")
    tables.RequestConfig(request).configure(table)
    html = Template("{% load django_tables2 %}{% render_table table %}").render(
        Context({"table": table, "request": request}))
    parsed = _Cells()
    parsed.feed(html)
    return parsed


class Spending(OwnColumnsMixin, tables.Table):
    pick = tables.CheckBoxColumn(accessor="pk")  # its header is an <input>
    purpose = tables.Column(verbose_name='Purpose & "use"', footer="Total")
    amount = tables.Column(verbose_name="Amount (yuan)", attrs={"td": {"class": "num"}},
                           footer="3.00")

    card_lead = ("purpose", "amount")

    class Meta:
        attrs = {"class": "data-table"}


ROWS = [{"pk": 1, "purpose": "a", "amount": "1.00"}, {"pk": 2, "purpose": "b", "amount": "2.00"}]


def test_a_table_is_a_table_of_cards(rf):
    parsed = _render(Spending(ROWS), rf)
    assert parsed.table["class"].split() == ["data-table", "cards"]


def test_each_cell_names_its_column_in_plain_text(rf):
    parsed = _render(Spending(ROWS), rf)
    labels = [cell["data-label"] for cell in parsed.cells["tbody"]]
    assert labels == ["", 'Purpose & "use"', "Amount (yuan)"] * 2
    assert [cell["data-label"] for cell in parsed.cells["tfoot"]] == labels[:3]
    assert parsed.cells["tbody"][2]["class"] == "num"  # the column's own attributes stay


def test_the_card_lead_columns_are_marked(rf):
    parsed = _render(Spending(ROWS), rf)
    assert ["data-lead" in cell for cell in parsed.cells["tbody"][:3]] == [False, True, True]


def test_every_list_table_of_the_project_renders_as_cards():
    """No table of ours names a template of its own: each one gets the cards."""
    for path in sorted(ROOT.glob("*/**/tables.py")):
        if ".venv" not in path.parts:
            importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
    ours = [cls for cls in _subclasses(tables.Table)
            if cls.__module__.split(".")[0] in ("funds", "townships", "wanyuan")]
    assert len(ours) >= 8
    assert settings.DJANGO_TABLES2_TEMPLATE == "django_tables2/cards.html"
    assert [cls.__name__ for cls in ours
            if cls._meta.template_name not in (None, settings.DJANGO_TABLES2_TEMPLATE)] == []


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_plain_rows_render_the_cells_django_tables2_renders(rf, demo, staff_user):
    """The money tables' rows (plain dicts) go through the project's row template, their
    cells rendered by functions worked out once per column: the same cells, escaped the
    same way, as django-tables2's own pipeline gives, sorted and paginated alike."""
    import re

    from django_tables2 import RequestConfig

    from funds.budget.selectors import allocation_row_list, allocation_summary_get
    from funds.budget.tables import AllocationTable, ExecutionTable
    from townships.models import Township

    Township.objects.filter(code="511781100").update(name="<b>太平&镇</b>")
    check, execution = allocation_summary_get(fund_year=demo)
    def body(table_class, plain, query=(("sort", "-total"),), **kwargs):
        request = rf.get("/", dict(query))
        table = table_class(allocation_row_list(fund_year=demo), fund_year=demo, **kwargs)
        table.plain_rows = plain
        RequestConfig(request, paginate={"per_page": 20}).configure(table)
        html = Template("{% load django_tables2 %}{% render_table table %}").render(
            Context({"table": table, "request": request}))
        tbody = html.split("<tbody", 1)[1].split("</tbody>", 1)[0]
        return [re.sub(r"\s+", " ", row).strip()
                for row in re.findall(r"<tr[^>]*>(.*?)</tr>", tbody, re.S)]

    for table_class, kwargs in ((AllocationTable, {"budget": check, "execution": execution}),
                                (ExecutionTable, {"totals": execution})):
        fast, library = body(table_class, True, **kwargs), body(table_class, False, **kwargs)
        assert len(fast) == 20
        assert fast == library
    # a name is escaped, as the library escapes it: first in code order
    first = body(AllocationTable, True, query=(("sort", "code"),), budget=check,
                 execution=execution)[0]
    assert "&lt;b&gt;太平&amp;镇&lt;/b&gt;</a>" in first and "<b>" not in first
