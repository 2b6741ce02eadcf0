"""Issue 17 item 10: a search across expenditures, scoped to a clerk's own township."""

from datetime import date
from decimal import Decimal

import pytest

from funds.models import Expenditure, SpendingCategory
from townships.models import Township

URL = "/expenditures/"


@pytest.fixture
def spent(demo, loader, clerk_user, other_clerk_user):
    """Three expenditures in two townships."""
    category = SpendingCategory.objects.first()
    own = clerk_user.clerk_of.township
    other = other_clerk_user.clerk_of.township

    def add(township, amount, purpose, payee, status=Expenditure.Status.DRAFT):
        return Expenditure.objects.create(
            township=township, year=2020, date=date(2020, 5, 1), amount=Decimal(amount),
            category=category, purpose=purpose, payee=payee, created_by=loader,
            status=status)

    return {
        "own_training": add(own, "1234.56", "党员冬训教材", "新华书店"),
        "own_visit": add(own, "25000.00", "慰问困难党员", "民政超市",
                         Expenditure.Status.SUBMITTED),
        "other_training": add(other, "800.00", "党员冬训场地", "镇文化站"),
    }


def found(page):
    return {row.record.pk for row in page.context["table"].paginated_rows}


def test_staff_find_by_purpose_or_payee_across_townships(client, staff_user, spent):
    client.force_login(staff_user)
    page = client.get(URL, {"text": "冬训"})
    assert found(page) == {spent["own_training"].pk, spent["other_training"].pk}
    assert found(client.get(URL, {"text": "民政"})) == {spent["own_visit"].pk}
    assert "1,234.56" in page.text  # a single expenditure in yuan with separators


def test_amount_range_status_and_township_narrow(client, staff_user, spent):
    client.force_login(staff_user)
    assert found(client.get(URL, {"amount_min": "1000", "amount_max": "30000"})) == {
        spent["own_training"].pk, spent["own_visit"].pk}
    assert found(client.get(URL, {"status": "submitted"})) == {spent["own_visit"].pk}
    other = spent["other_training"].township
    assert found(client.get(URL, {"township": other.pk, "year": 2020})) == {
        spent["other_training"].pk}


def test_an_invalid_filter_shows_nothing_and_says_why(client, staff_user, spent):
    client.force_login(staff_user)
    page = client.get(URL, {"amount_min": "many"})
    assert found(page) == set()
    assert 'role="alert"' in page.text


def test_a_clerk_finds_only_the_own_township(client, clerk_user, spent):
    client.force_login(clerk_user)
    assert found(client.get(URL, {"text": "冬训"})) == {spent["own_training"].pk}
    other = spent["other_training"].township
    page = client.get(URL, {"township": other.pk})  # not a choice: refused, nothing shown
    assert found(page) == set()
    assert list(page.context["filter"].filters["township"].queryset) == [
        Township.objects.get(pk=clerk_user.clerk_of.township_id)]


def test_query_count_does_not_grow_with_the_expenditures(client, staff_user, spent, loader,
                                                        django_assert_max_num_queries):
    client.force_login(staff_user)
    client.get(URL)  # warm the session
    for _ in range(40):
        spent["own_training"].pk = None
        spent["own_training"].save()
    with django_assert_max_num_queries(11):
        page = client.get(URL, {"text": "冬训"})
    assert len(found(page)) == 42
