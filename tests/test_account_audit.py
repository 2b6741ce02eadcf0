"""Issue 23 item 7, door 3: an account's life is audited, and who acted stays who acted.

Activation, deactivation and every change of real name, unit or township are audit
events with the old and the new value, whichever door they came through (the admin, a
service, the shell). The audit pages and the expenditures' histories show the actor as
they were named when they acted: a later rename rewrites nothing.
"""

import datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.urls import reverse

from funds.models import ExpenditureTransition, SpendingCategory
from funds.spending import services as spending
from tests.admin_form import admin_form_data
from tests.conftest import login
from townships.audit import acting
from townships.models import AccountUnit, AuditEvent, CategoryChange, Township, TownshipClerk
from townships.services import township_category_set

Action = AuditEvent.Action


def change_url(user):
    return f"/admin/auth/user/{user.pk}/change/"


def account_events(user, *actions):
    return list(AuditEvent.objects.filter(action__in=actions, details__user_id=user.pk)
                .order_by("id"))


def test_an_administrator_deactivating_a_clerk_is_audited(client, admin_user, clerk_user):
    client.force_login(admin_user)
    data = admin_form_data(client.get(change_url(clerk_user)))
    data.pop("is_active", None)
    assert client.post(change_url(clerk_user), data).status_code == 302
    [event] = account_events(clerk_user, Action.ACCOUNT_DEACTIVATED, Action.ACCOUNT_ACTIVATED)
    assert event.action == Action.ACCOUNT_DEACTIVATED
    assert event.actor == admin_user
    assert event.details["changes"] == {"is_active": {"old": True, "new": False}}
    assert "clerk1" in event.summary and "停用" in event.summary


def test_activation_in_the_shell_is_audited_without_an_actor(db, clerk_user):
    User.objects.filter(pk=clerk_user.pk).update(is_active=False)  # no signal: no event
    user = User.objects.get(pk=clerk_user.pk)
    user.is_active = True
    user.save()
    [event] = account_events(user, Action.ACCOUNT_ACTIVATED, Action.ACCOUNT_DEACTIVATED)
    assert (event.action, event.actor) == (Action.ACCOUNT_ACTIVATED, None)
    assert event.details["changes"] == {"is_active": {"old": False, "new": True}}
    # a login writes last_login only: nothing to audit
    user.save(update_fields=["last_login"])
    assert len(account_events(user, Action.ACCOUNT_ACTIVATED, Action.ACCOUNT_DEACTIVATED,
                              Action.ACCOUNT_CHANGED)) == 1


def test_a_rename_in_the_admin_is_audited_with_old_and_new_names(client, admin_user,
                                                                  clerk_user):
    User.objects.filter(pk=clerk_user.pk).update(last_name="王", first_name="小红")
    client.force_login(admin_user)
    data = admin_form_data(client.get(change_url(clerk_user)))
    data["first_name"] = "晓红"
    assert client.post(change_url(clerk_user), data).status_code == 302
    [event] = account_events(clerk_user, Action.ACCOUNT_CHANGED)
    assert event.actor == admin_user
    assert event.details["changes"] == {"name": {"old": "王小红", "new": "王晓红"},
                                        "first_name": {"old": "小红", "new": "晓红"}}
    assert "王小红" in event.summary and "王晓红" in event.summary


def test_a_unit_set_changed_and_cleared_is_audited(client, loader, staff_user):
    client.force_login(loader)
    url = change_url(staff_user)
    for unit in ("组织部", "市委组织部", ""):
        data = admin_form_data(client.get(url))
        data["unit"] = unit
        assert client.post(url, data).status_code == 302
    events = account_events(staff_user, Action.ACCOUNT_CHANGED)
    assert [e.details["changes"]["unit"] for e in events] == [
        {"old": "", "new": "组织部"}, {"old": "组织部", "new": "市委组织部"},
        {"old": "市委组织部", "new": ""}]
    assert all(e.actor == loader for e in events)


def test_a_unit_changed_by_a_service_is_audited_under_its_actor(db, loader, staff_user):
    with acting(loader):
        AccountUnit.objects.create(user=staff_user, unit="财政局")
    unit = AccountUnit.objects.get(user=staff_user)
    unit.unit = "县财政局"
    unit.save()  # the shell: nobody acting
    events = account_events(staff_user, Action.ACCOUNT_CHANGED)
    assert [(e.actor, e.details["changes"]["unit"]) for e in events] == [
        (loader, {"old": "", "new": "财政局"}), (None, {"old": "财政局", "new": "县财政局"})]


def test_a_clerk_moved_to_another_township_is_one_event_with_both(db, loader, clerk_user):
    link = TownshipClerk.objects.get(user=clerk_user)
    link.township = Township.objects.get(name="青花镇")
    with acting(loader):
        link.save()
    [event] = account_events(clerk_user, Action.ACCOUNT_CHANGED)
    change = event.details["changes"]["township"]
    assert (change["old"], change["new"]) == ("太平镇", "青花镇")
    assert event.actor == loader
    assert "太平镇" in event.summary and "青花镇" in event.summary


# -- the actor as recorded then ---------------------------------------------------------


def _rename(user, last, first):
    user.last_name, user.first_name = last, first
    user.save()


def test_the_audit_pages_show_the_actor_as_named_when_they_acted(client, loader, townships,
                                                                   staff_user):
    _rename(loader, "李", "明")
    with acting(loader):
        township_category_set(township=townships[0], year=2020, category=1, reason="初始",
                              acting_user=loader)
        event = AuditEvent.objects.create(action=Action.TOWNSHIPS_LOADED, summary="x",
                                          actor=loader)
    _rename(loader, "赵", "刚")
    assert (event.actor_name, event.actor_username) == ("李明", "loader")
    client.force_login(staff_user)
    events = client.get(reverse("audit-events")).context["table"]
    cells = {row.record.pk: row.get_cell("actor") for row in events.rows}
    assert cells[event.pk] == "李明（loader）"
    # the renames themselves are recorded: under whoever made them (nobody, in a shell)
    renames = AuditEvent.objects.filter(action=Action.ACCOUNT_CHANGED)
    assert [cells[e.pk] for e in renames] == ["—", "—"]
    changes = client.get(reverse("audit-category-changes"))
    assert [row.get_cell("changed_by") for row in changes.context["table"].rows] == [
        "李明（loader）"]
    assert "赵刚" not in changes.content.decode()
    # and the township's own history of its categories
    history = client.get(reverse("township-detail", args=[townships[0].code]))
    assert "李明" in history.content.decode() and "赵刚" not in history.content.decode()
    assert CategoryChange.objects.get().actor_name == "李明"


def test_the_history_shows_the_actor_as_named_and_placed_when_they_acted(client, demo,
                                                                          clerk_user,
                                                                          staff_user):
    _rename(clerk_user, "王", "小红")
    expenditure = spending.expenditure_create(
        township=Township.objects.get(name="太平镇"), date=datetime.date(2020, 5, 1),
        amount=Decimal("100.00"), category=SpendingCategory.objects.first(), purpose="培训",
        payee="党校", acting_user=clerk_user)
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk_user)
    spending.expenditure_return(expenditure=expenditure, acting_user=staff_user, note="补签到表")
    _rename(clerk_user, "王", "晓红")
    AccountUnit.objects.create(user=clerk_user, unit="青花镇党政办")
    _rename(staff_user, "张", "华")
    transition = ExpenditureTransition.objects.filter(expenditure=expenditure).first()
    assert (transition.actor_name, transition.actor_username, transition.actor_unit) == (
        "王小红", "clerk1", "太平镇")

    login(client, clerk_user)
    detail = client.get(reverse("expenditure-detail", args=[expenditure.pk])).content.decode()
    assert detail.count("王小红（太平镇）") == 2  # created and submitted
    assert "staff1" in detail and "张华" not in detail  # returned by: named then
    assert "青花镇党政办" not in detail
    home = client.get(reverse("clerk-home")).content.decode()
    assert "staff1" in home and "张华" not in home  # the notification of the return


def test_the_admins_history_of_an_expenditure_names_the_actor_as_then(client, demo,
                                                                      clerk_user, loader):
    _rename(clerk_user, "王", "小红")
    expenditure = spending.expenditure_create(
        township=Township.objects.get(name="太平镇"), date=datetime.date(2020, 5, 1),
        amount=Decimal("100.00"), category=SpendingCategory.objects.first(), purpose="培训",
        payee="党校", acting_user=clerk_user)
    _rename(clerk_user, "王", "晓红")
    client.force_login(loader)
    page = client.get(f"/admin/funds/expenditure/{expenditure.pk}/change/").content.decode()
    assert "王小红（太平镇） · clerk1" in page and "王晓红" not in page
