"""Issue 17 item 10: A4 print views of a township's ledger, the execution and the
inspections: the page's content without navigation, every row, a way back."""

import pytest

from townships.models import Township


@pytest.fixture
def staff(client, staff_user, demo):
    client.force_login(staff_user)
    return client


def test_the_ledger_prints_without_navigation_with_a_way_back(staff):
    taiping = Township.objects.get(name="太平镇")
    page = staff.get(f"/ledger/{taiping.code}/2020/print/")
    assert page.status_code == 200
    assert 'class="print-page"' in page.text
    assert 'class="site-header' not in page.text
    assert f'href="/ledger/{taiping.code}/2020/"' in page.text
    screen = staff.get(f"/ledger/{taiping.code}/2020/")
    # the same rows as the screen page
    assert page.context["lines"] == screen.context["lines"]
    assert f'href="/ledger/{taiping.code}/2020/print/"' in screen.text


def test_the_execution_prints_every_row_and_keeps_the_filter(staff):
    page = staff.get("/execution/2020/print/", {"category": "1"})
    table = page.context["table"]
    assert not hasattr(table, "page")  # not paginated on paper
    assert len(table.rows) == 20  # the demo's category-1 townships of 2020
    assert 'href="/execution/2020/?category=1"' in page.text


def test_the_inspections_print(staff):
    page = staff.get("/inspections/print/")
    assert page.status_code == 200 and 'class="print-page"' in page.text


def test_a_clerk_prints_only_the_own_ledger(client, clerk_user, other_clerk_user, demo):
    client.force_login(clerk_user)
    own = clerk_user.clerk_of.township.code
    other = other_clerk_user.clerk_of.township.code
    assert client.get(f"/ledger/{own}/2020/print/").status_code == 200
    assert client.get(f"/ledger/{other}/2020/print/").status_code == 404
    assert client.get("/execution/2020/print/").status_code == 403
