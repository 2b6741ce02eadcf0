"""FastRowsMixin renders exactly the body django-tables2 itself would render."""

import re

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from funds.yearly import services
from tests.conftest import login


def _tbody(html):
    """The rows, whitespace normalised; without the even/odd class, which django-tables2
    counts across every iteration of a table, not per rendering (no style uses it)."""
    body = re.search(r"<tbody[^>]*>(.*?)</tbody>", html, re.S).group(1)
    body = re.sub(r'<tr class="(even|odd)">', "<tr>", body)
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", body)).strip()


@pytest.mark.parametrize("url", [
    "/allocations/2020/?sort=-rank", "/execution/2020/", "/townships/", "/rankings/2020/",
    "/audit/events/", "/audit/categories/", "/approvals/",
])
def test_fast_rows_equal_django_tables2s_own_rendering(client, demo, admin_user, url):
    services.reclassification_apply(year=2020, acting_user=admin_user)
    login(client, admin_user)
    response = client.get(url)
    table = response.context["table"]
    request = RequestFactory().get(url)
    request.user = admin_user
    own = render_to_string("django_tables2/table.html", {"table": table, "request": request})
    fast = render_to_string("_fast_table.html", {"table": table, "request": request})
    assert _tbody(fast) == _tbody(own)
    assert _tbody(fast) == _tbody(response.content.decode())


def test_the_page_uses_the_fast_template(client, demo, staff_user):
    login(client, staff_user)
    response = client.get(reverse("allocation-list", args=[2020]))
    assert "_fast_table.html" in [t.name for t in response.templates]
