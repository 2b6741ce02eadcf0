"""Every URL pattern × every role × GET and POST → the expected status.

The patterns come from the URL configuration: a new URL without a row in EXPECTED fails
``test_every_url_pattern_has_a_row``, so nobody adds a page without deciding who may
open it. Each role's requests run in a savepoint that is rolled back, so a POST that
changes something (an empty POST to "submit", say) cannot affect the next role.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from demo.data import DEMO_PDF
from funds.models import SpendingCategory
from funds.planning import services as planning
from funds.spending import services as spending
from tests.conftest import make_user
from townships import roles
from townships.models import Township

ROLES = ["anonymous", "clerk_a", "clerk_b", "finance", "staff", "admin"]

# (GET, POST) per role, in the order of ROLES; "login" means a redirect to the login page.
L = "login"
ALL_SEE = ((L, L), (403, 403), (403, 403), (200, 200), (200, 200), (200, 200))
LIST_VIEW = ((L, L), (403, 403), (403, 403), (200, 405), (200, 405), (200, 405))
OWN_TOWNSHIP = ((L, L), (200, 200), (404, 404), (200, 200), (200, 200), (200, 200))
EXPORTERS = ((L, L), (403, 403), (403, 403), (200, 200), (200, 200), (200, 200))
APPROVERS = ((L, L), (403, 403), (403, 403), (403, 403), (200, 200), (200, 200))
ADMIN_ONLY_FORM = ((L, L), (403, 403), (403, 403), (403, 403), (403, 403), (200, 200))
OWN_POST_ONLY = ((L, L), (405, 302), (405, 404), (405, 403), (405, 403), (405, 302))
# an empty form posted on the expenditure page is shown again there with its errors
OWN_FORM_POST = ((L, L), (405, 400), (405, 404), (405, 403), (405, 403), (405, 400))

EXPECTED = {
    "overview": ((L, L), (302, 302), (302, 302), (200, 200), (200, 200), (200, 200)),
    "year-switch": ((L, L), (302, 302), (302, 302), (302, 302), (302, 302), (302, 302)),
    "allocation-list": LIST_VIEW,  # read-only: a POST is 405 (issue 24)
    "allocation-export-csv": EXPORTERS,
    "allocation-export-xlsx": EXPORTERS,
    "allocation-print": LIST_VIEW,  # read-only: a POST is 405 (issue 24)
    "township-list": LIST_VIEW,
    # an empty POST previews the 2020 reform: nothing is written without "apply"
    "township-merger": ADMIN_ONLY_FORM,
    "ranking-list": LIST_VIEW,
    "audit-category-changes": LIST_VIEW,
    "audit-events": LIST_VIEW,
    "township-detail": OWN_TOWNSHIP,
    # an empty POST shows the form again with its errors
    "township-category-change": ((L, L), (405, 403), (405, 403), (405, 403), (405, 403),
                                 (405, 400)),
    "rankings-import": ((L, L), (403, 403), (403, 403), (403, 403), (200, 200), (200, 200)),
    "categories-import": ADMIN_ONLY_FORM,
    # an empty POST is an invalid form shown again: nothing is written without "confirm"
    "fund-year-settings": ADMIN_ONLY_FORM,
    # a clerk searches the own township's expenditures only (tests/funds/test_search.py)
    # everyone marks the own notifications read; an empty POST has no time: 400
    "notifications-read": ((L, L), (405, 400), (405, 400), (405, 400), (405, 400), (405, 400)),
    "expenditure-search": ((L, L), (200, 405), (200, 405), (200, 405), (200, 405), (200, 405)),
    "reclassification": ((L, L), (403, 403), (403, 403), (403, 403), (403, 403), (200, 302)),
    "reclassification-revert": ((L, L), (405, 403), (405, 403), (405, 403), (405, 403),
                                (405, 404)),
    "login": ((200, 200), (200, 200), (200, 200), (200, 200), (200, 200), (200, 200)),
    "logout": ((L, L), (405, L), (405, L), (405, L), (405, L), (405, L)),
    # everyone signed in changes their own password (an empty POST: the form again)
    "password_change": ((L, L),) + ((200, 200),) * 5,
    "password_change_done": ((L, L),) + ((200, 405),) * 5,
    "set_language": ((302, 302), (302, 302), (302, 302), (302, 302), (302, 302), (302, 302)),
    "clerk-home": ((L, L), (200, 200), (200, 200), (302, 302), (302, 302), (302, 302)),
    "ledger": OWN_TOWNSHIP,
    "ledger-print": OWN_TOWNSHIP,
    "ledger-export-csv": OWN_TOWNSHIP,
    "ledger-export-xlsx": OWN_TOWNSHIP,
    "expenditure-create": ((L, L), (200, 400), (404, 404), (403, 403), (403, 403),
                           (200, 400)),
    # an empty POST is an invalid upload shown again; nothing is written without confirm
    "ledger-import": ((L, L), (200, 400), (404, 404), (403, 403), (200, 400), (200, 400)),
    "ledger-import-template": ((L, L), (200, 200), (200, 200), (403, 403), (200, 200),
                               (200, 200)),
    "expenditure-detail": OWN_TOWNSHIP,
    "expenditure-print": OWN_TOWNSHIP,
    "expenditure-edit": ((L, L), (200, 400), (404, 404), (403, 403), (403, 403), (200, 400)),
    "voucher-upload": OWN_FORM_POST,
    "decision-create": OWN_FORM_POST,
    "decision-update": OWN_FORM_POST,
    "expenditure-action": OWN_POST_ONLY,  # "submit": the clerk's and the administrator's
    "voucher-download": OWN_TOWNSHIP,
    # reads an invoice's QR code for the voucher form: an empty POST has no file (400)
    "invoice-read": ((L, L), (405, 400), (405, 400), (405, 403), (405, 403), (405, 400)),
    "decision-minutes": OWN_TOWNSHIP,
    "approval-queue": ((L, L), (403, 403), (403, 403), (403, 403), (200, 405), (200, 405)),
    # finance's month of payments, to reconcile (issue 23): everyone who sees all
    "payments": ((L, L), (403, 405), (403, 405), (200, 405), (200, 405), (200, 405)),
    "payments-export-csv": ((L, L), (403, 405), (403, 405), (200, 405), (200, 405),
                            (200, 405)),
    "payments-export-xlsx": ((L, L), (403, 405), (403, 405), (200, 405), (200, 405),
                             (200, 405)),
    # an empty POST chooses nothing: the queue again with the error (issue 23)
    "approval-batch": ((L, L), (405, 403), (405, 403), (405, 403), (405, 400), (405, 400)),
    "execution": LIST_VIEW,  # read-only: a POST is 405 (issue 24)
    "execution-print": LIST_VIEW,  # read-only: a POST is 405 (issue 24)
    "execution-export-csv": EXPORTERS,
    "execution-export-xlsx": EXPORTERS,
    "inspection-list": ALL_SEE,
    # the red flags (issue 26): everyone signed in sees those of their scope (a clerk the
    # own township's); staff and administrators close them (an empty POST: back, 302)
    "red-flags": ((L, L),) + ((200, 405),) * 5,
    "red-flags-export-csv": ((L, L),) + ((200, 405),) * 5,
    "red-flags-export-xlsx": ((L, L),) + ((200, 405),) * 5,
    # who is behind: the county's weekly page (a clerk: 403)
    "behind": ((L, L), (403, 405), (403, 405), (200, 405), (200, 405), (200, 405)),
    "behind-export-csv": ((L, L), (403, 405), (403, 405), (200, 405), (200, 405), (200, 405)),
    "behind-export-xlsx": ((L, L), (403, 405), (403, 405), (200, 405), (200, 405),
                           (200, 405)),
    # the audit pack: staff and administrators; an empty POST is the whole county's ZIP
    "audit-pack": ((L, L), (403, 403), (403, 403), (403, 403), (200, 200), (200, 200)),
    # the 绩效 cycle (issue 27): the county's people see it; staff and administrators edit
    # and file. The matrix's world has no target sheet: its pages answer 404, and an empty
    # POST to "start" starts one from the library
    "performance": ((L, L), (403, 403), (403, 403), (200, 404), (200, 404), (200, 404)),
    "performance-start": ((L, L), (405, 403), (405, 403), (405, 403), (405, 302), (405, 302)),
    "performance-compute": ((L, L), (405, 403), (405, 403), (405, 403), (405, 404),
                            (405, 404)),
    "performance-file": ((L, L), (405, 403), (405, 403), (405, 403), (405, 404), (405, 404)),
    "performance-reopen": ((L, L), (405, 403), (405, 403), (405, 403), (405, 404), (405, 404)),
    "performance-monitoring": ((L, L), (403, 405), (403, 405), (404, 405), (404, 405),
                               (404, 405)),
    "performance-download": ((L, L), (403, 405), (403, 405), (404, 405), (404, 405),
                             (404, 405)),
    "performance-evidence": ((L, L), (403, 405), (403, 405), (404, 405), (404, 405),
                             (404, 405)),
    "red-flag-close": ((L, L), (405, 403), (405, 403), (405, 403), (405, 302), (405, 302)),
    "inspection-print": ALL_SEE,
    "inspection-create": ((L, L), (403, 403), (403, 403), (403, 403), (200, 400), (200, 400)),
    "inspection-detail": ((L, L), (403, 403), (403, 403), (200, 403), (200, 400), (200, 400)),
    "finding-close": ((L, L), (405, 403), (405, 403), (405, 403), (405, 302), (405, 302)),
    # The allocation planner: staff and finance see plans, administrators create (an
    # empty POST is an invalid form: 400) and adopt; the comparison without ?ids is a 400
    "plan-list": ((L, L), (403, 403), (403, 403), (200, 403), (200, 403), (200, 400)),
    "plan-detail": ((L, L), (403, 405), (403, 405), (200, 405), (200, 405), (200, 405)),
    "plan-compare": ((L, L), (403, 405), (403, 405), (400, 405), (400, 405), (400, 405)),
    "plan-compare-export-xlsx": ((L, L), (403, 405), (403, 405), (400, 405), (400, 405),
                                 (400, 405)),
    "plan-adopt": ((L, L), (405, 403), (405, 403), (405, 403), (405, 403), (405, 302)),
    "plan-revert": ((L, L), (405, 403), (405, 403), (405, 403), (405, 403), (405, 302)),
    # The yearly documents: the county's for staff, finance (which co-issues them, issue
    # 23) and administrators; a township's posting and ledger for its clerk too
    # (another township's is a 404)
    "documents": ((L, L), (200, 405), (200, 405), (200, 405), (200, 405), (200, 405)),
    "document-download": ((L, L), (403, 405), (403, 405), (200, 405), (200, 405), (200, 405)),
    "document-posting": ((L, L), (403, 405), (403, 405), (200, 405), (200, 405), (200, 405)),
    "township-document-download": ((L, L), (200, 405), (404, 405), (200, 405), (200, 405),
                                   (200, 405)),
    "township-document-posting": ((L, L), (200, 405), (404, 405), (200, 405), (200, 405),
                                  (200, 405)),
    "document-template-upload": ((L, L), (405, 403), (405, 403), (405, 403), (405, 403),
                                 (405, 302)),
    "document-template-reset": ((L, L), (405, 403), (405, 403), (405, 403), (405, 403),
                                (405, 302)),
    # the upper level's pages (issue 28): the county's people who see every township may
    # open them, but this world is a county's instance, so they answer 404 (a city's
    # world is tests/funds/test_upper.py); accepting or returning is staff's
    **dict.fromkeys(("upper-home", "upper-dashboard", "upper-export-csv", "upper-export-xlsx",
                     "upper-unit", "upper-unit-export-csv", "upper-unit-export-xlsx"),
                    ((L, L), (403, 405), (403, 405), (404, 405), (404, 405), (404, 405))),
    "upper-decide": ((L, L), (405, 403), (405, 403), (405, 403), (405, 404), (405, 404)),
}

# The Django admin's own pages: a user who is not staff is sent to the admin's login;
# audit records can be deleted by nobody, not even an administrator.
ADMIN_SITE = {
    "/admin/": ((L, L), (L, L), (L, L), (200, 200), (200, 200), (200, 200)),
    "/admin/funds/expenditure/": ((L, L), (L, L), (L, L), (200, 200), (200, 200),
                                  (200, 200)),
    "/admin/funds/expenditure/{expenditure}/change/": ((L, L), (L, L), (L, L), (200, 403),
                                                       (200, 403), (200, 403)),
    "/admin/funds/expenditure/{expenditure}/delete/": ((L, L), (L, L), (L, L), (403, 403),
                                                       (403, 403), (403, 403)),
    "/admin/funds/spendingcategory/add/": ((L, L), (L, L), (L, L), (403, 403), (403, 403),
                                           (200, 200)),
    "/admin/townships/categorychange/{change}/delete/": ((L, L), (L, L), (L, L), (403, 403),
                                                         (403, 403), (403, 403)),
    "/admin/townships/auditevent/{event}/change/": ((L, L), (L, L), (L, L), (200, 403),
                                                    (200, 403), (200, 403)),
    "/admin/townships/auditevent/{event}/delete/": ((L, L), (L, L), (L, L), (403, 403),
                                                    (403, 403), (403, 403)),
    "/admin/auth/user/": ((L, L), (L, L), (L, L), (403, 403), (403, 403), (200, 200)),
    # Accounts (issue 14, item 5): a 管理员 creates and edits clerk accounts (an empty
    # POST is an invalid form: 200), sees the others read-only and changes no role group.
    "/admin/auth/user/add/": ((L, L), (L, L), (L, L), (403, 403), (403, 403), (200, 200)),
    "/admin/auth/user/{clerk}/change/": ((L, L), (L, L), (L, L), (403, 403), (403, 403),
                                         (200, 200)),
    "/admin/auth/user/{clerk}/password/": ((L, L), (L, L), (L, L), (403, 403), (403, 403),
                                           (200, 200)),
    "/admin/auth/user/{staff}/change/": ((L, L), (L, L), (L, L), (403, 403), (403, 403),
                                         (200, 403)),
    "/admin/auth/user/{staff}/password/": ((L, L), (L, L), (L, L), (403, 403), (403, 403),
                                           (403, 403)),
    "/admin/auth/group/{group}/change/": ((L, L), (L, L), (L, L), (403, 403), (403, 403),
                                          (200, 403)),
    "/admin/auth/group/add/": ((L, L), (L, L), (L, L), (403, 403), (403, 403), (403, 403)),
    "/admin/townships/townshipclerk/add/": ((L, L), (L, L), (L, L), (403, 403), (403, 403),
                                            (403, 403)),
    # the county's words in the documents: administrators edit, staff and finance read
    "/admin/funds/documentsettings/": ((L, L), (L, L), (L, L), (200, 200), (200, 200),
                                       (302, 302)),
    "/admin/funds/documenttemplate/": ((L, L), (L, L), (L, L), (200, 200), (200, 200),
                                       (200, 200)),
}


def _patterns(resolver=None):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            # the admin is Django's; the API has its own matrix (tests/funds/test_api.py)
            if pattern.namespace not in ("admin", "api"):
                yield from _patterns(pattern)
        elif isinstance(pattern, URLPattern):
            yield pattern


PATTERNS = {p.name: p for p in _patterns()}


def test_every_url_pattern_has_a_row():
    assert set(PATTERNS) == set(EXPECTED), (
        f"no row for {sorted(set(PATTERNS) - set(EXPECTED))}; "
        f"rows without a page: {sorted(set(EXPECTED) - set(PATTERNS))}")


@pytest.fixture
def world(demo, settings, tmp_path):
    """Two townships with their clerks, one user per other role, and one of everything."""
    settings.MEDIA_ROOT = tmp_path
    a = Township.objects.get(name="太平镇")
    b = Township.objects.get(name="青花镇")
    users = {
        "clerk_a": make_user("clerk_a", roles.CLERKS, township=a),
        "clerk_b": make_user("clerk_b", roles.CLERKS, township=b),
        "finance": make_user("finance", roles.FINANCE, is_staff=True),
        "staff": make_user("staff", roles.STAFF, is_staff=True),
        "admin": make_user("admin", roles.ADMINISTRATORS, is_staff=True),
    }
    expenditure = spending.expenditure_create(
        township=a, date=datetime.date(2020, 5, 1), amount=Decimal("12000.00"),
        category=SpendingCategory.objects.first(), purpose="培训", payee="党校",
        acting_user=users["clerk_a"])
    voucher = spending.voucher_add(
        expenditure=expenditure, kind="invoice", acting_user=users["clerk_a"],
        upload=SimpleUploadedFile("发票.pdf", DEMO_PDF))
    decision = spending.decision_record(
        expenditure=expenditure, meeting_type="party_committee",
        meeting_date=datetime.date(2020, 4, 20), attendance="全体",
        minutes_file=SimpleUploadedFile("纪要.pdf", DEMO_PDF), acting_user=users["clerk_a"])
    inspection = spending.inspection_record(
        date=datetime.date(2020, 10, 1), inspectors="检查组", townships=[a],
        acting_user=users["staff"])
    finding = spending.finding_add(inspection=inspection, township=a, description="缺签名",
                                   deadline=datetime.date(2020, 11, 1),
                                   acting_user=users["staff"])
    plan = planning.scenario_create(fund_year=demo, name="按比例", method="scale",
                                    acting_user=users["admin"])
    pks = {
        "plan-detail": plan.pk, "plan-adopt": plan.pk,
        "expenditure-detail": expenditure.pk, "expenditure-edit": expenditure.pk,
        "expenditure-print": expenditure.pk,
        "voucher-upload": expenditure.pk, "decision-create": expenditure.pk,
        "decision-update": expenditure.pk,
        "expenditure-action": expenditure.pk, "voucher-download": voucher.pk,
        "decision-minutes": decision.pk, "inspection-detail": inspection.pk,
        "finding-close": finding.pk,
        "performance-evidence": 999999,  # no evidence exists: 404 for those who may look
    }
    return {"users": users, "code": a.code, "pks": pks}


def _url(name, world):
    converters = PATTERNS[name].pattern.converters
    kwargs = {"year": 2020, "month": 6, "code": world["code"], "pk": world["pks"].get(name),
              "unit": "511781",
              "action": "submit", "kind": "posting", "fmt": "docx"}
    return reverse(name, kwargs={k: v for k, v in kwargs.items() if k in converters}) + QUERY.get(
        name, "")


#: A document of 2020 is dated by the user (it is not dated today).
QUERY = {"document-download": "?dated=2020-03-20",
         "township-document-download": "?dated=2020-03-20"}


def _status(response):
    location = response.get("Location", "")
    if response.status_code == 302 and (location.startswith(reverse("login"))
                                        or location.startswith("/admin/login/")):
        return L
    return response.status_code


def _observe(world, url):
    observed = []
    for role in ROLES:
        client = Client()
        if role != "anonymous":
            client.force_login(world["users"][role])
        pair = []
        for method in (client.get, client.post):
            with transaction.atomic():
                pair.append(_status(method(url)))
                transaction.set_rollback(True)
        observed.append(tuple(pair))
    return tuple(observed)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_url_pattern_answers_each_role_as_expected(world, name):
    url = _url(name, world)
    observed = _observe(world, url)
    mismatches = {role: (want, got) for role, want, got in zip(ROLES, EXPECTED[name], observed,
                                                                strict=True) if want != got}
    assert not mismatches, f"{url}: role → (expected, observed) {mismatches}"


@pytest.mark.parametrize("template", sorted(ADMIN_SITE))
def test_admin_pages_answer_each_role_as_expected(world, template):
    from django.contrib.auth.models import Group

    from townships.models import AuditEvent, CategoryChange

    url = template.format(expenditure=world["pks"]["expenditure-detail"],
                          change=CategoryChange.objects.first().pk,
                          event=AuditEvent.objects.first().pk,
                          clerk=world["users"]["clerk_a"].pk,
                          staff=world["users"]["staff"].pk,
                          group=Group.objects.get(name=roles.STAFF).pk)
    observed = _observe(world, url)
    mismatches = {role: (want, got) for role, want, got in zip(
        ROLES, ADMIN_SITE[template], observed, strict=True) if want != got}
    assert not mismatches, f"{url}: role → (expected, observed) {mismatches}"


#: Issue 23: which steps of the spending loop each role's permissions allow (the
#: services add the township, the state and the four eyes). Paying is finance's step;
#: an administrator holds every permission and is bound by the same four eyes.
ROLE_STEPS = {
    "clerk_a": {"edit", "submit", "withdraw", "void", "voucher", "decision"},
    "finance": {"reimburse"},
    "staff": {"approve", "return", "reject", "void"},
    "admin": {"edit", "submit", "withdraw", "approve", "return", "reject", "reimburse", "void",
              "voucher", "decision"},
}


def test_each_role_holds_the_steps_of_its_part(world):
    observed = {role: {action for action, rules in spending.TRANSITIONS.items()
                       if any(world["users"][role].has_perm(r.permission) for r in rules)}
                for role in ROLE_STEPS}
    assert observed == ROLE_STEPS


def test_recording_a_payment_answers_each_role_as_expected(world):
    """The approved expenditure (created and submitted by clerk_a, approved by staff):
    finance pays; an administrator who did not make or approve it may; staff approve but
    do not pay; another township's clerk learns nothing."""
    users = world["users"]
    pk = world["pks"]["expenditure-action"]
    expenditure = spending.Expenditure.objects.get(pk=pk)
    spending.expenditure_submit(expenditure=expenditure, acting_user=users["clerk_a"])
    spending.expenditure_approve(expenditure=expenditure, acting_user=users["staff"])
    url = reverse("expenditure-action", args=[pk, "reimburse"])
    data = {"reimbursed_on": timezone.localdate().isoformat(), "accounting_voucher": "记-1"}
    expected = {"anonymous": L, "clerk_a": 403, "clerk_b": 404, "finance": 302, "staff": 403,
                "admin": 302}
    observed = {}
    for role in ROLES:
        client = Client()
        if role != "anonymous":
            client.force_login(users[role])
        with transaction.atomic():
            observed[role] = _status(client.post(url, data))
            if observed[role] == 302:
                assert spending.Expenditure.objects.get(pk=pk).reimbursed_by == users[role]
            transaction.set_rollback(True)
    assert observed == expected
