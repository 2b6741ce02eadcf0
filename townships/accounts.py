"""Who may give whom which role, and the audit trail of every grant and removal.

DOMAIN.md, "Who uses it": granting the administrator or approver role is for the
system's superuser, never for the role holders themselves. A 管理员 manages township
clerk accounts only: accounts in the 乡镇经办 group and no other, without admin-site
access, superuser status or permissions of their own.

Two lines of defence. The admin (``townships.accounts_admin``) shows a non-superuser only
the fields of a clerk account and only lets them change clerk accounts. Below it, the
signals here refuse any role change made while a non-superuser is acting
(``townships.audit.acting``), whatever form or code path led to it. And every grant or
removal, through any door (admin, service, shell), is an audit event; where nobody is
acting, in a shell, the event has no actor.

Roles: superuser status, staff status (access to the admin site), membership of a group,
a permission given directly to a user, a permission given to a group, and the link of a
clerk to their township.

The account itself is audited the same way, through every door: its activation and
deactivation, and every change of its real name, its unit (``AccountUnit``) or a
clerk's township (a move from one township to another), each with the old and the new
value.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db.models.signals import (
    m2m_changed,
    post_delete,
    post_save,
    pre_delete,
    pre_save,
)
from django.utils.translation import gettext as _

from townships import roles
from townships.audit import current_actor, stored_text
from townships.models import (  # noqa: F401 (display_name, display_unit: read from here)
    AccountUnit,
    AuditEvent,
    TownshipClerk,
    display_name,
    display_unit,
)

User = get_user_model()

#: The user flags that are roles, with how each is named in the audit trail.
FLAGS = ("is_superuser", "is_staff")


def _flag_role(flag: str) -> str:
    return {"is_superuser": "superuser", "is_staff": "staff"}[flag]


def is_clerk_account(user) -> bool:
    """A township clerk's account as stored: in 乡镇经办 and no other group, no admin-site
    access, not a superuser, no permissions of its own."""
    if user is None or user.pk is None:
        return False
    stored = User.objects.filter(pk=user.pk).values("is_superuser", "is_staff").first()
    if stored is None or stored["is_superuser"] or stored["is_staff"]:
        return False
    groups = set(Group.objects.filter(user__pk=user.pk).values_list("name", flat=True))
    return groups == {roles.CLERKS} and not Permission.objects.filter(user__pk=user.pk).exists()


def _restricted_actor():
    """The acting user when it is not a superuser, or None (nobody, or a superuser)."""
    actor = current_actor()
    if actor is None:
        return None
    # as stored: the acting user's own object may be the one being made a superuser
    if User.objects.filter(pk=actor.pk, is_superuser=True, is_active=True).exists():
        return None
    return actor


def _refuse(message: str):
    raise PermissionDenied(message)


# -- naming and recording --------------------------------------------------------------------


def _role_label(details: dict) -> str:
    role = details["role"]
    if role == "superuser":
        return _("superuser status")
    if role == "staff":
        return _("access to the admin site")
    if role == "group":
        return _("role “%(group)s”") % {"group": details["group"]}
    if role == "permission":
        return _("permission “%(permission)s”") % {
            "permission": permission_label(details["permission"])}
    if role == "township":
        return _("clerk of %(township)s") % {"township": details["township"]}
    return role


def _summary(granted: bool, details: dict) -> str:
    if details["role"] == "group_permissions":
        values = {"group": details["group"],
                  "permissions": "、".join(permission_label(p) for p in details["permissions"])}
        if granted:
            return _("Permissions granted to role “%(group)s”: %(permissions)s") % values
        return _("Permissions removed from role “%(group)s”: %(permissions)s") % values
    values = {"role": _role_label(details), "user": details["user"]}
    if granted:
        return _("%(role)s granted to %(user)s") % values
    return _("%(role)s removed from %(user)s") % values


def _record(granted: bool, details: dict) -> None:
    """One audit event: who (the acting user), to whom, which role; the time is the row's."""
    AuditEvent.objects.create(
        action=AuditEvent.Action.ROLE_GRANTED if granted else AuditEvent.Action.ROLE_REMOVED,
        summary=stored_text(_summary, granted, details), details=details,
        actor=current_actor(),
    )


def permission_label(name: str) -> str:
    """A permission (``app_label.codename``, as the details keep it) as a person reads
    it: Django's own add/change/delete/view permissions by the model's Chinese name, the
    project's by their translated names; a permission no longer there by its code."""
    app_label, _dot, codename = name.partition(".")
    permission = Permission.objects.select_related("content_type").filter(
        content_type__app_label=app_label, codename=codename).first()
    if permission is None:
        return name
    model = permission.content_type.model_class()
    action, _sep, model_name = codename.partition("_")
    defaults = {"add": _("Can add %(model)s"), "change": _("Can change %(model)s"),
                "delete": _("Can delete %(model)s"), "view": _("Can view %(model)s")}
    if model is not None and action in defaults and model_name == model._meta.model_name:
        return defaults[action] % {"model": model._meta.verbose_name}
    return _(permission.name)


def _user_details(user, role: str, **more) -> dict:
    return {"user": user.get_username(), "user_id": user.pk, "role": role, **more}


def _permission_name(permission: Permission) -> str:
    return f"{permission.content_type.app_label}.{permission.codename}"


# -- superuser and staff status ------------------------------------------------------------


def user_pre_save(sender, instance, raw=False, update_fields=None, **kwargs):
    account_fields = tuple(f for f in ACCOUNT_FIELDS
                           if update_fields is None or f in update_fields)
    instance._account_before = None
    if instance.pk is not None and account_fields:
        stored = sender.objects.filter(pk=instance.pk).values(*account_fields).first()
        instance._account_before = stored  # None: a new account, nothing changed
    if update_fields is not None and not set(update_fields) & set(FLAGS):
        instance._roles_before = None  # a login's last_login, say: no role can change
        return
    before = dict.fromkeys(FLAGS, False)
    if instance.pk is not None:
        stored = sender.objects.filter(pk=instance.pk).values(*FLAGS).first()
        if stored is not None:
            before = stored
    instance._roles_before = before
    if _restricted_actor() is not None:
        for flag in FLAGS:
            if bool(getattr(instance, flag)) != bool(before[flag]):
                _refuse(_("Only a superuser can grant or remove %(role)s.") % {
                    "role": _role_label({"role": _flag_role(flag)})})


def user_post_save(sender, instance, created=False, raw=False, **kwargs):
    account_before = getattr(instance, "_account_before", None)
    instance._account_before = None
    if account_before:
        _record_account_fields(instance, account_before)
    before = getattr(instance, "_roles_before", None)
    instance._roles_before = None
    if before is None:
        return
    for flag in FLAGS:
        now = bool(getattr(instance, flag))
        if now != bool(before[flag]):
            _record(now, _user_details(instance, _flag_role(flag)))


# -- group membership and permissions ----------------------------------------------------


def _pairs(instance, reverse, model, pk_set, current):
    """(user, object) pairs of an m2m change; ``current`` gives the members now."""
    if pk_set is None:  # clear: everything there is now
        pk_set = current()
    if not pk_set:
        return []
    others = model.objects.filter(pk__in=pk_set)
    if model is Permission:
        others = others.select_related("content_type")
    return [(other, instance) if reverse else (instance, other) for other in others]


def _check_groups(pairs):
    if _restricted_actor() is None:
        return
    for user, group in pairs:
        if group.name != roles.CLERKS:
            _refuse(_("Only a superuser can grant or remove %(role)s.") % {
                "role": _role_label({"role": "group", "group": group.name})})
        # 乡镇经办 only for an account that has no other role
        stored = User.objects.filter(pk=user.pk).values(*FLAGS).first() or {}
        if any(stored.values()) or Group.objects.filter(user__pk=user.pk).exclude(
                name=roles.CLERKS).exists():
            _refuse(_("Only a superuser can change the roles of an account that is not a "
                      "township clerk's."))


def user_groups_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    if action not in ("pre_add", "pre_remove", "pre_clear", "post_add", "post_remove",
                      "post_clear"):
        return
    if reverse:  # group.user_set: instance is the group, the pks are users'
        def current():
            return set(instance.user_set.values_list("pk", flat=True))
    else:
        def current():
            return set(instance.groups.values_list("pk", flat=True))
    if action.startswith("pre_"):
        if action == "pre_add":
            pairs = _pairs(instance, reverse, model, pk_set, current)
        else:  # only what is there is removed
            there = current()
            pk_ids = there if pk_set is None else set(pk_set) & there
            pairs = _pairs(instance, reverse, model, pk_ids, current)
        _check_groups(pairs)
        if action != "pre_add":
            instance._groups_removed = pairs
        return
    if action == "post_add":
        # pk_set holds only the pks that were not there before
        for user, group in _pairs(instance, reverse, model, pk_set, current):
            _record(True, _user_details(user, "group", group=group.name))
    else:
        for user, group in getattr(instance, "_groups_removed", []):
            _record(False, _user_details(user, "group", group=group.name))
        instance._groups_removed = []


def user_permissions_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    if reverse:  # permission.user_set: instance is the permission
        def current():
            return set(instance.user_set.values_list("pk", flat=True))
    else:
        def current():
            return set(instance.user_permissions.values_list("pk", flat=True))
    if action.startswith("pre_"):
        there = current()
        changed = set(pk_set or ()) - there if action == "pre_add" else (
            there if pk_set is None else set(pk_set) & there)
        if changed and _restricted_actor() is not None:
            _refuse(_("Only a superuser can grant or remove permissions."))
        if action != "pre_add":
            instance._permissions_removed = _pairs(instance, reverse, model, changed, current)
        return
    if action == "post_add":
        pairs = _pairs(instance, reverse, model, pk_set, current)
    else:
        pairs = getattr(instance, "_permissions_removed", [])
        instance._permissions_removed = []
    for user, permission in pairs:
        _record(action == "post_add", _user_details(
            user, "permission", permission=_permission_name(permission)))


def group_permissions_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    if reverse:  # permission.group_set: instance is the permission
        def current():
            return set(instance.group_set.values_list("pk", flat=True))
    else:
        def current():
            return set(instance.permissions.values_list("pk", flat=True))
    if action.startswith("pre_"):
        there = current()
        changed = set(pk_set or ()) - there if action == "pre_add" else (
            there if pk_set is None else set(pk_set) & there)
        if changed and _restricted_actor() is not None:
            _refuse(_("Only a superuser can change the permissions of a role."))
        if action != "pre_add":
            instance._group_permissions_removed = _pairs(instance, reverse, model, changed,
                                                         current)
        return
    if action == "post_add":
        pairs = _pairs(instance, reverse, model, pk_set, current)
    else:
        pairs = getattr(instance, "_group_permissions_removed", [])
        instance._group_permissions_removed = []
    by_group = {}
    for group, permission in pairs:  # (group, permission) as (user, object) above
        by_group.setdefault(group, []).append(_permission_name(permission))
    for group, names in by_group.items():
        _record(action == "post_add", {"group": group.name, "group_id": group.pk,
                                       "role": "group_permissions",
                                       "permissions": sorted(names)})


def group_pre_save(sender, instance, raw=False, **kwargs):
    if _restricted_actor() is None:
        return
    if instance.pk is None or sender.objects.filter(pk=instance.pk).exclude(
            name=instance.name).exists():
        _refuse(_("Only a superuser can create or rename a role."))


def group_pre_delete(sender, instance, **kwargs):
    """Deleting a role takes it from its members without an m2m signal: audit it here."""
    if _restricted_actor() is not None:
        _refuse(_("Only a superuser can delete a role."))
    for user in instance.user_set.all():
        _record(False, _user_details(user, "group", group=instance.name))


def user_pre_delete(sender, instance, **kwargs):
    """A deleted account loses its roles; the trail keeps its name and what it had."""
    stored = sender.objects.filter(pk=instance.pk).values(*FLAGS).first() or {}
    if _restricted_actor() is not None and (
            any(stored.values()) or not is_clerk_account(instance)):
        _refuse(_("Only a superuser can change the roles of an account that is not a "
                  "township clerk's."))
    for flag in FLAGS:
        if stored.get(flag):
            _record(False, _user_details(instance, _flag_role(flag)))
    for name in Group.objects.filter(user__pk=instance.pk).values_list("name", flat=True):
        _record(False, _user_details(instance, "group", group=name))
    for permission in Permission.objects.filter(user__pk=instance.pk).select_related(
            "content_type"):
        _record(False, _user_details(instance, "permission",
                                     permission=_permission_name(permission)))


# -- the account itself: activation, real name, unit, township ------------------------------

#: The fields of an account whose every change is audited with the old and new value.
ACCOUNT_FIELDS = ("is_active", "last_name", "first_name")


def _real_name(last_name: str, first_name: str) -> str:
    return f"{last_name}{first_name}".strip()


def _account_summary(action: str, details: dict) -> str:
    user = details["user"]
    if action == AuditEvent.Action.ACCOUNT_ACTIVATED:
        return _("Account %(user)s activated") % {"user": user}
    if action == AuditEvent.Action.ACCOUNT_DEACTIVATED:
        return _("Account %(user)s deactivated") % {"user": user}
    labels = {"name": _("real name"), "unit": _("unit"), "township": _("township")}
    changes = details["changes"]
    text = "；".join(
        f"{labels[key]} {changes[key]['old'] or '—'} → {changes[key]['new'] or '—'}"
        for key in labels if key in changes)
    return _("Account %(user)s changed: %(changes)s") % {"user": user, "changes": text}


def _record_account(user, action: str, changes: dict) -> None:
    """One audit event of an account: whose, what changed from what to what, who did it."""
    details = {"user": user.get_username(), "user_id": user.pk, "changes": changes}
    AuditEvent.objects.create(action=action, details=details, actor=current_actor(),
                              summary=stored_text(_account_summary, action, details))


def _record_account_fields(user, before: dict) -> None:
    if "is_active" in before and bool(before["is_active"]) != bool(user.is_active):
        _record_account(user, AuditEvent.Action.ACCOUNT_ACTIVATED if user.is_active
                        else AuditEvent.Action.ACCOUNT_DEACTIVATED,
                        {"is_active": {"old": bool(before["is_active"]),
                                       "new": bool(user.is_active)}})
    changes = {field: {"old": before[field], "new": getattr(user, field)}
               for field in ("last_name", "first_name")
               if field in before and before[field] != getattr(user, field)}
    if changes:
        old = {field: before.get(field, getattr(user, field)) for field in ("last_name",
                                                                             "first_name")}
        _record_account(user, AuditEvent.Action.ACCOUNT_CHANGED, {
            "name": {"old": _real_name(old["last_name"], old["first_name"]),
                     "new": _real_name(user.last_name, user.first_name)},
            **changes})


def unit_pre_save(sender, instance, raw=False, **kwargs):
    instance._unit_before = (sender.objects.filter(pk=instance.pk)
                             .values_list("unit", flat=True).first() or "")


def unit_post_save(sender, instance, created=False, raw=False, **kwargs):
    before = getattr(instance, "_unit_before", "")
    if before != instance.unit:
        _record_account(User.objects.get(pk=instance.user_id),
                        AuditEvent.Action.ACCOUNT_CHANGED,
                        {"unit": {"old": before, "new": instance.unit}})


def unit_post_delete(sender, instance, **kwargs):
    user = User.objects.filter(pk=instance.user_id).first()
    if user is not None and instance.unit:  # None: the account itself is being deleted
        _record_account(user, AuditEvent.Action.ACCOUNT_CHANGED,
                        {"unit": {"old": instance.unit, "new": ""}})


# -- a clerk's township ----------------------------------------------------------------------


def clerk_pre_save(sender, instance, raw=False, **kwargs):
    stored = (sender.objects.filter(pk=instance.pk).select_related("township").first()
              if instance.pk is not None else None)
    instance._township_before = stored.township if stored else None
    restricted = _restricted_actor()
    if restricted is not None:
        user = User.objects.filter(pk=instance.user_id).first()
        if not is_clerk_account(user) or (stored and stored.user_id != instance.user_id):
            _refuse(_("Only a superuser can change the roles of an account that is not a "
                      "township clerk's."))


def clerk_post_save(sender, instance, created=False, raw=False, **kwargs):
    before = getattr(instance, "_township_before", None)
    if before is not None and before.pk == instance.township_id:
        return
    user = User.objects.get(pk=instance.user_id)
    if before is not None:  # a move: one change of the account, from one to the other
        _record_account(user, AuditEvent.Action.ACCOUNT_CHANGED, {"township": {
            "old": str(before), "new": str(instance.township),
            "old_code": before.code, "new_code": instance.township.code}})
        return
    _record(True, _user_details(user, "township", township=str(instance.township),
                                township_code=instance.township.code))


def clerk_post_delete(sender, instance, **kwargs):
    user = User.objects.filter(pk=instance.user_id).first()
    if user is None:  # the account itself is being deleted
        return
    _record(False, _user_details(user, "township", township=str(instance.township),
                                 township_code=instance.township.code))


def connect():
    """Connect the signals; called once from TownshipsConfig.ready()."""
    pre_save.connect(user_pre_save, sender=User, dispatch_uid="accounts.user_pre_save")
    post_save.connect(user_post_save, sender=User, dispatch_uid="accounts.user_post_save")
    m2m_changed.connect(user_groups_changed, sender=User.groups.through,
                        dispatch_uid="accounts.user_groups")
    m2m_changed.connect(user_permissions_changed, sender=User.user_permissions.through,
                        dispatch_uid="accounts.user_permissions")
    m2m_changed.connect(group_permissions_changed, sender=Group.permissions.through,
                        dispatch_uid="accounts.group_permissions")
    pre_save.connect(group_pre_save, sender=Group, dispatch_uid="accounts.group_pre_save")
    pre_delete.connect(group_pre_delete, sender=Group, dispatch_uid="accounts.group_pre_delete")
    pre_delete.connect(user_pre_delete, sender=User, dispatch_uid="accounts.user_pre_delete")
    pre_save.connect(clerk_pre_save, sender=TownshipClerk, dispatch_uid="accounts.clerk_pre")
    post_save.connect(clerk_post_save, sender=TownshipClerk, dispatch_uid="accounts.clerk_post")
    post_delete.connect(clerk_post_delete, sender=TownshipClerk,
                        dispatch_uid="accounts.clerk_delete")
    pre_save.connect(unit_pre_save, sender=AccountUnit, dispatch_uid="accounts.unit_pre")
    post_save.connect(unit_post_save, sender=AccountUnit, dispatch_uid="accounts.unit_post")
    post_delete.connect(unit_post_delete, sender=AccountUnit,
                        dispatch_uid="accounts.unit_delete")
