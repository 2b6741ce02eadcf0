"""The four roles of DOMAIN.md as Django groups with permissions.

Access is decided by permissions on the server; the groups only bundle them.
"""

import functools

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db.models import Q

ADMINISTRATORS = "管理员"
STAFF = "工作人员"
FINANCE = "财政"
CLERKS = "乡镇经办"

_APPS = ("townships", "funds")

ROLE_PERMISSIONS = {
    # Everything on our models, and managing accounts.
    ADMINISTRATORS: ["townships.*", "funds.*", "auth.view_user", "auth.add_user",
                     "auth.change_user", "auth.view_group"],
    STAFF: ["townships.view_*", "funds.view_*", "townships.view_all_townships",
            "townships.import_rankings", "townships.add_assessmentresult",
            "townships.change_assessmentresult", "funds.export_allocation",
            # the spending loop: approve (never their own), inspect; paying is finance's
            "funds.approve_expenditure", "funds.void_expenditure", "funds.add_inspection",
            "funds.change_inspection",
            "funds.add_finding", "funds.change_finding",
            # the yearly documents (issue 16)
            "funds.generate_documents", "funds.generate_township_documents",
            # bringing a township's existing ledger in (issue 23)
            "funds.add_ledgerimport",
            # the inspection desk (issue 26): close a red flag with an explanation, make
            # the audit pack
            "funds.close_redflag", "funds.generate_audit_pack",
            # the 绩效 cycle (issue 27): targets, monitoring, the self-evaluation
            "funds.add_targetsheet", "funds.change_targetsheet", "funds.file_self_evaluation",
            # upward reporting (issue 28), on an upper level: accept or return a county's
            "funds.decide_submission"],
    # Finance records the payment (报账, issue 23): a second person, never who made the
    # expenditure and by default not its approver (funds.spending.services).
    FINANCE: ["townships.view_*", "funds.view_*", "townships.view_all_townships",
              "funds.export_allocation", "funds.reimburse_expenditure",
              # the documents it co-issues: made from the records when opened (issue 23)
              "funds.generate_documents", "funds.generate_township_documents"],
    # Scoped to the clerk's own township by townships.TownshipClerk.
    CLERKS: ["townships.view_township", "funds.view_fundyear", "funds.view_expenditure",
             "funds.add_expenditure", "funds.change_expenditure", "funds.submit_expenditure",
             "funds.view_voucher", "funds.add_voucher", "funds.view_collectivedecision",
             "funds.add_collectivedecision", "funds.view_finding",
             "funds.generate_township_documents", "funds.view_ledgerimport",
             "funds.add_ledgerimport", "funds.view_redflagreview"],
}


def _permissions_matching(patterns):
    query = Q(pk__in=[])
    for pattern in patterns:
        app_label, codename = pattern.split(".", 1)
        if codename == "*":
            query |= Q(content_type__app_label=app_label)
        elif codename.endswith("*"):
            query |= Q(content_type__app_label=app_label, codename__startswith=codename[:-1])
        else:
            query |= Q(content_type__app_label=app_label, codename=codename)
    return Permission.objects.filter(query)


def ensure_groups(**kwargs):
    """Create or refresh the role groups; idempotent, run after every migrate."""
    for name, patterns in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set(_permissions_matching(patterns))


def sees_all_townships(user) -> bool:
    return user.is_authenticated and user.has_perm("townships.view_all_townships")


def own_township_id(user):
    """The township a clerk may see, or None."""
    clerk = getattr(user, "clerk_of", None)
    return clerk.township_id if clerk else None


def may_act_for(user, township) -> bool:
    """Users who see all townships act for any; a clerk only for the own township."""
    township_id = getattr(township, "pk", township)
    return sees_all_townships(user) or own_township_id(user) == township_id


def require_permission(user, permission: str, township=None) -> None:
    """The check every service makes before it writes: the permission, and for a
    township's records that the user may act for that township. Pages, the admin and
    commands all go through it; there is no write without an acting user."""
    if user is None or not user.has_perm(permission):
        raise PermissionDenied
    if township is not None and not may_act_for(user, township):
        raise PermissionDenied


def all_townships_required(view):
    """A page for those who see every township (county staff, finance, admins): anyone
    else gets 403. The decorator of every county-wide page."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not sees_all_townships(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


class SeesAllTownshipsMixin:
    """The class-based list pages' ``all_townships_required``."""

    def dispatch(self, request, *args, **kwargs):
        if not sees_all_townships(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)
