"""Issue 14 item 5: no one grants themselves power.

Only a superuser grants or removes superuser status, admin-site access, roles other than
乡镇经办 and individual permissions. A 管理员 creates, deactivates and resets the password
of township clerk accounts, and nothing else. Every grant or removal is audited, whatever
door it came through.
"""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse

from tests.admin_form import admin_form_data
from tests.conftest import PASSWORD, login, make_user
from townships import roles
from townships.audit import acting
from townships.models import AuditEvent, Township, TownshipClerk

NEW_PASSWORD = "another-Horse-battery-9"


def group(name):
    return Group.objects.get(name=name)


def approve_permission():
    return Permission.objects.get(content_type__app_label="funds",
                                  codename="approve_expenditure")


def change_url(user):
    return f"/admin/auth/user/{user.pk}/change/"


def role_events(action=None):
    events = AuditEvent.objects.filter(
        action__in=[AuditEvent.Action.ROLE_GRANTED, AuditEvent.Action.ROLE_REMOVED])
    if action:
        events = events.filter(action=action)
    return events


def assert_plain_clerk(user):
    user = User.objects.get(pk=user.pk)
    assert not user.is_superuser
    assert not user.is_staff
    assert set(user.groups.values_list("name", flat=True)) == {roles.CLERKS}
    assert not user.user_permissions.exists()
    assert not user.has_perm("funds.approve_expenditure")


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@example.com", PASSWORD)


# -- the 管理员 through the admin ---------------------------------------------------------


def test_administrator_cannot_raise_a_clerk_by_posting_extra_fields(client, admin_user,
                                                                   clerk_user):
    client.force_login(admin_user)
    data = admin_form_data(client.get(change_url(clerk_user)))
    data.update({
        "is_superuser": "on", "is_staff": "on",
        "groups": [str(group(roles.STAFF).pk), str(group(roles.ADMINISTRATORS).pk)],
        "user_permissions": [str(approve_permission().pk)],
    })
    response = client.post(change_url(clerk_user), data)
    # the clerk's form has no role fields: the extra ones are dropped and the rest saved
    assert response.status_code == 302
    assert_plain_clerk(clerk_user)
    assert not role_events(AuditEvent.Action.ROLE_GRANTED).filter(
        details__user=clerk_user.username).exclude(details__group=roles.CLERKS).exists()


def test_administrator_cannot_edit_their_own_account(client, admin_user):
    client.force_login(admin_user)
    response = client.get(change_url(admin_user))
    assert response.status_code == 200  # seen, read-only
    assert admin_user.password.split("$")[-1] not in response.content.decode()
    data = {"username": admin_user.username, "is_active": "on", "is_staff": "on",
            "is_superuser": "on", "groups": [str(group(roles.STAFF).pk),
                                             str(group(roles.ADMINISTRATORS).pk)],
            "user_permissions": [str(approve_permission().pk)],
            "date_joined_0": "2020-01-01", "date_joined_1": "00:00:00"}
    assert client.post(change_url(admin_user), data).status_code == 403
    admin_user.refresh_from_db()
    assert not admin_user.is_superuser
    assert set(admin_user.groups.values_list("name", flat=True)) == {roles.ADMINISTRATORS}
    assert not admin_user.user_permissions.exists()


@pytest.mark.parametrize("victim", ["staff_user", "finance_user", "other_admin", "superuser"])
def test_administrator_cannot_edit_accounts_that_are_not_clerks(client, admin_user, request,
                                                                victim):
    if victim == "other_admin":
        target = make_user("admin2", roles.ADMINISTRATORS, is_staff=True)
    else:
        target = request.getfixturevalue(victim)
    before = (target.is_active, target.is_staff, target.is_superuser, target.password,
              sorted(target.groups.values_list("name", flat=True)))
    client.force_login(admin_user)
    data = {"username": target.username, "is_staff": "on",
            "groups": [str(group(roles.STAFF).pk)],
            "date_joined_0": "2020-01-01", "date_joined_1": "00:00:00"}  # is_active: off
    assert client.post(change_url(target), data).status_code == 403
    password_url = f"/admin/auth/user/{target.pk}/password/"
    assert client.get(password_url).status_code == 403
    assert client.post(password_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
                                      "usable_password": "true"}).status_code == 403
    target.refresh_from_db()
    assert before == (target.is_active, target.is_staff, target.is_superuser, target.password,
                      sorted(target.groups.values_list("name", flat=True)))


def test_administrator_creates_a_clerk_account(client, admin_user, townships):
    township = Township.objects.get(name="太平镇")
    client.force_login(admin_user)
    assert client.get("/admin/auth/user/add/").status_code == 200
    response = client.post("/admin/auth/user/add/", {
        "username": "newclerk", "usable_password": "true",
        "password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
        "township": str(township.pk),
        # smuggled: all must be ignored or refused
        "is_superuser": "on", "is_staff": "on",
        "groups": [str(group(roles.STAFF).pk)],
        "user_permissions": [str(approve_permission().pk)],
    })
    assert response.status_code == 302, response.context and response.context.get("errors")
    user = User.objects.get(username="newclerk")
    assert_plain_clerk(user)
    assert TownshipClerk.objects.get(user=user).township == township
    assert user.check_password(NEW_PASSWORD)
    event = role_events(AuditEvent.Action.ROLE_GRANTED).get(details__user="newclerk",
                                                             details__group=roles.CLERKS)
    assert event.actor == admin_user
    assert "newclerk" in event.summary and roles.CLERKS in event.summary
    # and the new clerk account can then be edited by the administrator
    assert client.get(change_url(user)).status_code == 200


def test_administrator_resets_a_clerk_password_and_deactivates_the_account(
        client, admin_user, clerk_user):
    client.force_login(admin_user)
    password_url = f"/admin/auth/user/{clerk_user.pk}/password/"
    assert client.get(password_url).status_code == 200
    response = client.post(password_url, {"password1": NEW_PASSWORD,
                                           "password2": NEW_PASSWORD,
                                           "usable_password": "true"})
    assert response.status_code == 302
    clerk_user.refresh_from_db()
    assert clerk_user.check_password(NEW_PASSWORD)

    data = admin_form_data(client.get(change_url(clerk_user)))
    data.pop("is_active", None)
    assert client.post(change_url(clerk_user), data).status_code == 302
    clerk_user.refresh_from_db()
    assert not clerk_user.is_active
    assert_plain_clerk(clerk_user)


def test_administrator_cannot_change_the_role_groups(client, admin_user):
    staff = group(roles.STAFF)
    before = set(staff.permissions.values_list("pk", flat=True))
    client.force_login(admin_user)
    url = f"/admin/auth/group/{staff.pk}/change/"
    everything = [str(pk) for pk in Permission.objects.values_list("pk", flat=True)]
    assert client.post(url, {"name": "工作人员x", "permissions": everything}).status_code == 403
    assert client.post("/admin/auth/group/add/",
                       {"name": "mine", "permissions": everything}).status_code == 403
    staff.refresh_from_db()
    assert staff.name == roles.STAFF
    assert set(staff.permissions.values_list("pk", flat=True)) == before
    assert not Group.objects.filter(name="mine").exists()


def test_administrator_cannot_link_a_non_clerk_to_a_township(client, admin_user, staff_user,
                                                           townships):
    client.force_login(admin_user)
    response = client.post("/admin/townships/townshipclerk/add/", {
        "user": str(staff_user.pk), "township": str(townships[0].pk)})
    assert response.status_code == 403  # links are added by a superuser only
    assert not TownshipClerk.objects.filter(user=staff_user).exists()


def test_the_server_refuses_an_administrator_granting_roles_whatever_the_form(
        admin_user, clerk_user, staff_user):
    """The second line: the save path itself, with the administrator acting."""
    staff, administrators, clerks = (group(roles.STAFF), group(roles.ADMINISTRATORS),
                                     group(roles.CLERKS))
    permission = approve_permission()

    def promote_clerk():
        clerk_user.is_superuser = True
        clerk_user.save()

    def promote_self():
        admin_user.is_superuser = True
        admin_user.save()

    attempts = [
        lambda: clerk_user.groups.add(staff),
        lambda: administrators.user_set.add(clerk_user),
        lambda: clerk_user.user_permissions.add(permission),
        lambda: clerks.permissions.add(permission),
        lambda: staff_user.groups.remove(staff),
        lambda: staff_user.groups.add(clerks),  # 乡镇经办 only for a clerk's account
        lambda: Group.objects.create(name="mine"),
        promote_clerk,
        promote_self,
    ]
    with acting(admin_user):
        for number, attempt in enumerate(attempts):
            with pytest.raises(PermissionDenied), transaction.atomic():
                attempt()
                pytest.fail(f"attempt {number} was allowed")
    assert_plain_clerk(clerk_user)
    assert not User.objects.get(pk=admin_user.pk).is_superuser
    assert set(staff_user.groups.values_list("name", flat=True)) == {roles.STAFF}
    assert not clerks.permissions.filter(pk=permission.pk).exists()
    assert not role_events().filter(actor=admin_user).exists()


# -- the superuser --------------------------------------------------------------------------


def test_superuser_grants_and_removes_roles_through_the_admin_audited(client, superuser,
                                                                     finance_user):
    client.force_login(superuser)
    staff = group(roles.STAFF)
    data = admin_form_data(client.get(change_url(finance_user)))
    data["groups"] = [str(staff.pk)]  # finance removed, staff granted
    data["user_permissions"] = [str(approve_permission().pk)]
    data["is_superuser"] = "on"
    response = client.post(change_url(finance_user), data)
    assert response.status_code == 302, response.context and response.context.get("errors")
    finance_user.refresh_from_db()
    assert finance_user.is_superuser
    assert set(finance_user.groups.values_list("name", flat=True)) == {roles.STAFF}

    granted = role_events(AuditEvent.Action.ROLE_GRANTED).filter(details__user="finance1",
                                                                 actor=superuser)
    assert {(e.details["role"], e.details.get("group") or e.details.get("permission"))
            for e in granted} == {("group", roles.STAFF), ("superuser", None),
                                  ("permission", "funds.approve_expenditure")}
    removed = role_events(AuditEvent.Action.ROLE_REMOVED).get(details__user="finance1")
    assert removed.details["group"] == roles.FINANCE and removed.actor == superuser
    assert roles.FINANCE in removed.summary and "finance1" in removed.summary

    data = admin_form_data(client.get(change_url(finance_user)))
    data.pop("is_superuser")
    data.pop("is_staff")
    assert client.post(change_url(finance_user), data).status_code == 302
    removed = role_events(AuditEvent.Action.ROLE_REMOVED).filter(details__user="finance1",
                                                                 actor=superuser)
    assert {e.details["role"] for e in removed} == {"group", "superuser", "staff"}


def test_role_changes_from_the_shell_are_audited_without_an_actor(db, staff_user):
    user = User.objects.create_user("plain", password=PASSWORD)
    assert not role_events().filter(details__user="plain").exists()
    user.groups.add(group(roles.STAFF))
    group(roles.ADMINISTRATORS).user_set.add(user)
    user.user_permissions.add(approve_permission())
    user.is_superuser = True
    user.is_staff = True
    user.save()
    granted = role_events(AuditEvent.Action.ROLE_GRANTED).filter(details__user="plain")
    assert sorted(e.details["role"] for e in granted) == [
        "group", "group", "permission", "staff", "superuser"]
    assert all(e.actor is None for e in granted)

    user.groups.clear()
    user.user_permissions.remove(approve_permission())
    user.is_superuser = False
    user.save(update_fields=["is_superuser"])
    removed = role_events(AuditEvent.Action.ROLE_REMOVED).filter(details__user="plain")
    assert sorted((e.details["role"], e.details.get("group", "")) for e in removed) == sorted([
        ("group", roles.STAFF), ("group", roles.ADMINISTRATORS), ("permission", ""),
        ("superuser", "")])
    # a save that changes no role is not an event
    count = role_events().count()
    user.first_name = "张"
    user.save()
    user.groups.remove(group(roles.FINANCE))  # not a member: nothing removed
    assert role_events().count() == count


def test_superuser_created_in_the_shell_is_audited(db):
    User.objects.create_superuser("root2", "root2@example.com", PASSWORD)
    assert {e.details["role"] for e in role_events().filter(details__user="root2")} == {
        "superuser", "staff"}


def test_role_events_are_on_the_audit_pages(client, staff_user, finance_user, admin_user):
    with acting(User.objects.create_superuser("root3", "root3@example.com", PASSWORD)):
        finance_user.groups.add(group(roles.STAFF))
    event = role_events().get(details__user="finance1", details__group=roles.STAFF)
    assert event.summary == "授予 finance1 角色“工作人员”"
    client.force_login(staff_user)
    page = client.get(reverse("audit-events")).content.decode()
    assert event.summary in page and "root3" in page
    assert event.get_action_display() in page
    client.force_login(admin_user)
    page = client.get("/admin/townships/auditevent/?action=role_granted").content.decode()
    assert event.summary in page


def test_deleting_a_role_or_an_account_is_audited_as_removals(db, staff_user):
    extra = Group.objects.create(name="临时组")
    extra.user_set.add(staff_user)
    extra.delete()
    assert role_events(AuditEvent.Action.ROLE_REMOVED).filter(
        details__user="staff1", details__group="临时组").exists()

    root = User.objects.create_superuser("root4", "root4@example.com", PASSWORD)
    root.groups.add(group(roles.STAFF))
    root.delete()
    removed = role_events(AuditEvent.Action.ROLE_REMOVED).filter(details__user="root4")
    assert sorted(e.details["role"] for e in removed) == ["group", "staff", "superuser"]


def test_superuser_creates_a_clerk_and_moves_them_to_another_township(client, superuser,
                                                                      townships):
    first, second = Township.objects.get(name="太平镇"), Township.objects.get(name="青花镇")
    client.force_login(superuser)
    response = client.post("/admin/auth/user/add/", {
        "username": "clerk9", "usable_password": "true", "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD, "township": str(first.pk)})
    assert response.status_code == 302
    user = User.objects.get(username="clerk9")
    assert_plain_clerk(user)
    data = admin_form_data(client.get(change_url(user)))
    data["township"] = str(second.pk)
    assert client.post(change_url(user), data).status_code == 302
    assert TownshipClerk.objects.get(user=user).township == second
    events = role_events().filter(details__user="clerk9", details__role="township")
    assert [(e.action, e.details["township"]) for e in events.order_by("id")] == [
        ("role_granted", str(first))]
    # the move is one change of the account, from the one township to the other
    [move] = AuditEvent.objects.filter(action=AuditEvent.Action.ACCOUNT_CHANGED,
                                       details__user="clerk9")
    change = move.details["changes"]["township"]
    assert (change["old"], change["new"]) == (str(first), str(second))
    assert all(e.actor == superuser for e in [*events, move])


@pytest.mark.parametrize("role", ["clerk_user", "staff_user", "finance_user", "admin_user"])
def test_everyone_changes_their_own_password(role, client, request, demo):
    user = request.getfixturevalue(role)
    login(client, user)
    page = client.get(reverse("password_change"))
    assert page.status_code == 200
    assert "修改密码" in page.content.decode()
    new = "a-new-long-password-2026"
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    user.refresh_from_db()
    assert (user.check_password(new), user.check_password(PASSWORD)) == (True, False)


def test_a_wrong_old_password_changes_nothing(client, demo, clerk_user):
    login(client, clerk_user)
    response = client.post(reverse("password_change"), {
        "old_password": "not-my-password", "new_password1": "x" * 14 + "Yz1",
        "new_password2": "x" * 14 + "Yz1"})
    assert response.status_code == 200
    clerk_user.refresh_from_db()
    assert clerk_user.check_password(PASSWORD)


def test_pages_and_histories_show_real_names(client, demo, clerk_user, staff_user):
    """An administrator sets the real name; the header, the expenditure's history, the
    approval queue and the audit lists show it instead of the user name."""
    from datetime import date
    from decimal import Decimal

    from funds.models import SpendingCategory
    from funds.spending import services as spending

    User.objects.filter(pk=clerk_user.pk).update(last_name="王", first_name="小红")
    clerk_user.refresh_from_db()
    expenditure = spending.expenditure_create(
        township=Township.objects.get(name="太平镇"), date=date(2020, 5, 1),
        amount=Decimal("100.00"), category=SpendingCategory.objects.first(), purpose="培训",
        payee="党校", acting_user=clerk_user)
    spending.expenditure_submit(expenditure=expenditure, acting_user=clerk_user)
    login(client, clerk_user)
    assert '>王小红</a>' in client.get(reverse("clerk-home")).content.decode()
    detail = client.get(reverse("expenditure-detail", args=[expenditure.pk])).content.decode()
    # the header, created by, submitted by, and the two rows of the history
    assert detail.count("王小红") == 5
    assert "clerk1" not in detail
    login(client, staff_user)
    queue = client.get(reverse("approval-queue")).context["table"]
    assert [row.get_cell("submitted_by") for row in queue.rows] == ["王小红"]


def test_guessing_the_old_password_locks_like_a_failed_login(client, demo, clerk_user):
    """At a colleague's unlocked screen the old password cannot be guessed without end:
    the failures count towards the login lockout, and then the right one fails too."""
    login(client, clerk_user)
    url = reverse("password_change")
    new = "a-new-long-password-2026"
    for guess in range(5):
        client.post(url, {"old_password": f"guess-{guess}", "new_password1": new,
                          "new_password2": new})
    response = client.post(url, {"old_password": PASSWORD, "new_password1": new,
                                 "new_password2": new})
    assert response.status_code == 429  # the lockout page, as after five failed logins
    clerk_user.refresh_from_db()
    assert clerk_user.check_password(PASSWORD)


def test_a_clerk_account_without_the_role_has_no_home(client, demo, clerk_user):
    clerk_user.groups.clear()  # suspended: the link to the township stays
    login(client, clerk_user)
    assert client.get(reverse("clerk-home")).status_code == 403
