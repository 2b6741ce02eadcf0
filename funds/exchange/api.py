"""The API (issue 28): ``/api/v1/``, django-ninja, OpenAPI at ``/api/v1/openapi.json``
and its docs page at ``/api/v1/docs`` (served from this instance's static files, nothing
from another host).

People in a browser use their session (CSRF on writes); every read is scoped like the
pages: a clerk reads the own township's rows, the county's set is for those who see every
township. Machines use a key (``Authorization: Bearer wyk_…``, funds.exchange.upper),
scoped to one org unit: a county's key posts that county's sets to an upper level and
reads where they stand; the upload takes a key only, never a cookie. Throttled per user or
key in a cache shared by every gunicorn worker (``CACHES["throttle"]``, file based)."""

from __future__ import annotations

import csv
import json

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from ninja import NinjaAPI, Schema, Status
from ninja.errors import HttpError
from ninja.security import HttpBearer, django_auth
from ninja.throttling import AuthRateThrottle

from funds.budget.selectors import allocation_row_list
from funds.exchange import rollup, upper
from funds.exchange.datavalues import ORG_UNIT, PERIOD, data_value_set_get, from_csv, money
from funds.inspection.selectors import red_flags_get
from funds.models import ApiKey, FundYear, Submission
from townships.models import Township
from townships.roles import own_township_id, sees_all_townships
from wanyuan.money import cents_to_yuan


class ThrottleInSharedCache(AuthRateThrottle):
    """Counted in the cache every worker shares, not in one process's memory."""

    cache_name = "throttle"

    def __init__(self, rate: str):
        from django.core.cache import caches

        super().__init__(rate)
        self.cache = caches[self.cache_name]


api = NinjaAPI(title="万源市乡镇党建专项经费", version="1", urls_namespace="api",
               auth=django_auth, throttle=[ThrottleInSharedCache("300/m")],
               description="Read endpoints scoped like the pages; the county's data value "
                           "set for upper levels (docs/api.md).")


class YearOut(Schema):
    """Amounts as strings of yuan with two decimals, as in the data value sets."""

    year: int
    special_fund: str
    reserve: str
    large_spending_threshold: str

    @staticmethod
    def resolve_special_fund(obj):
        return money(obj.special_fund)

    @staticmethod
    def resolve_reserve(obj):
        return money(obj.reserve)

    @staticmethod
    def resolve_large_spending_threshold(obj):
        return money(obj.large_spending_threshold)


class TownshipOut(Schema):
    code: str
    name: str
    kind: str
    first_year: int | None
    last_year: int | None


class AllocationOut(Schema):
    code: str
    name: str
    category: int | None
    floor: str
    standard: str
    total: str
    approved: str
    reimbursed: str


class FlagOut(Schema):
    rule: str
    name: str
    township: str
    subject: str
    figure: str
    expenditures: list[int]
    closed: bool


def _fund_year(year: int) -> FundYear:
    fund_year = FundYear.objects.filter(year=year).first()
    if fund_year is None:
        raise Http404(f"there is no fund year {year}")
    return fund_year


def _scope(request) -> set[int] | None:
    """The townships a user may read: all (None), or a clerk's own."""
    if sees_all_townships(request.user):
        return None
    own = own_township_id(request.user)
    if own is None:
        raise PermissionDenied
    return {own}


@api.get("/years", response=list[YearOut], summary="Fund years")
def years(request):
    return list(FundYear.objects.order_by("year"))


@api.get("/townships", response=list[TownshipOut], summary="Townships in service in a year")
def townships(request, year: int):
    rows = Township.objects.in_service(year).order_by("code")
    scope = _scope(request)
    return list(rows if scope is None else rows.filter(pk__in=scope))


@api.get("/allocations/{year}", response=list[AllocationOut],
         summary="A year's allocation and spending per township, in yuan")
def allocations(request, year: int):
    scope = _scope(request)
    return [AllocationOut(code=r["code"], name=r["name"], category=r["category"],
                          floor=money(r["floor_amount"]), standard=money(r["standard_amount"]),
                          total=money(r["total_amount"]),
                          approved=money(cents_to_yuan(r["approved_cents"])),
                          reimbursed=money(cents_to_yuan(r["reimbursed_cents"])))
            for r in allocation_row_list(fund_year=_fund_year(year))
            if scope is None or r["pk"] in scope]


@api.get("/flags/{year}", response=list[FlagOut], summary="A year's red flags")
def flags(request, year: int):
    scope = _scope(request)
    names = dict(Township.objects.values_list("pk", "code"))
    return [FlagOut(rule=f.rule, name=f.name, township=names[f.township_id],
                    subject=f.subject, figure=f.figure,
                    expenditures=[i.id for i in f.items], closed=f.is_closed)
            for f in red_flags_get(fund_year=_fund_year(year), township_ids=scope)]


class KeyAuth(HttpBearer):
    """A machine client's key (``Authorization: Bearer wyk_…``): valid, not expired, not
    revoked; the key is what ``request.auth`` holds."""

    def authenticate(self, request, token):
        return upper.api_key_authenticate(token)


def _period(period: str) -> int:
    if not PERIOD.match(period or ""):
        raise Http404("a period is a year, e.g. 2020")
    return int(period)


@api.get("/dataValueSets", auth=[django_auth, KeyAuth()],
         summary="A data value set of a year: the county's own on a county instance; a "
                 "county's as received (orgUnit=) on an upper level (docs/api.md)")
def data_value_sets(request, period: str, orgUnit: str = ""):  # noqa: N803 - DHIS2's name
    year = _period(period)
    key = request.auth if isinstance(request.auth, ApiKey) else None
    if not upper.is_upper_level():
        if key is not None or not sees_all_townships(request.user):
            raise PermissionDenied
        return data_value_set_get(fund_year=_fund_year(year))
    if key is not None:
        if orgUnit not in ("", key.org_unit.code):
            raise PermissionDenied
        orgUnit = key.org_unit.code  # noqa: N806
    elif not request.user.has_perm("funds.view_upper_dashboard"):
        raise PermissionDenied
    if not ORG_UNIT.match(orgUnit):
        raise HttpError(400, "orgUnit is a county's code of six digits")
    found = rollup.received_set(code=orgUnit, period=year)
    if found is None:
        raise Http404(f"nothing received for {orgUnit} in {year}")
    return found


class ImportCount(Schema):
    imported: int
    updated: int
    ignored: int
    deleted: int


class ConflictOut(Schema):
    object: str
    value: str


class ImportSummaryOut(Schema):
    status: str
    dryRun: bool  # noqa: N815 - DHIS2's names
    importCount: ImportCount  # noqa: N815
    conflicts: list[ConflictOut]
    state: str


class DetailOut(Schema):
    detail: str


@api.post("/dataValueSets", auth=[KeyAuth()],
          response={200: ImportSummaryOut, 400: DetailOut, 403: DetailOut, 404: DetailOut,
                    409: ImportSummaryOut, 413: DetailOut},
          summary="Receive a county's data value set (upper levels; a county's key)",
          openapi_extra={"requestBody": {"required": True, "content": {
              "application/json": {"schema": {"type": "object"}},
              "text/csv": {"schema": {"type": "string"}}}}})
def data_value_sets_post(request, dryRun: bool = False):  # noqa: N803 - DHIS2's name
    """JSON or CSV (DHIS2's columns; ``Content-Type: text/csv``). Re-sending replaces the
    period's values; refused (409) once the upper level has accepted them. ``dryRun``
    answers the same summary without writing."""
    if not upper.is_upper_level():
        return Status(404, {"detail": "this instance is a county: it sends, not receives"})
    key: ApiKey = request.auth
    try:
        body = request.body.decode("utf-8")
    except RequestDataTooBig:
        return Status(413, {"detail": "the set is larger than this instance accepts"})
    except UnicodeDecodeError:
        return Status(400, {"detail": "the body is not UTF-8 text"})
    content_type = request.content_type or ""
    try:
        if content_type == "text/csv":
            data_value_set = from_csv(body, source=key.org_unit.code)
        else:
            data_value_set = json.loads(body)
    except (ValueError, csv.Error, RecursionError) as exc:
        return Status(400, {"detail": f"not a data value set: {str(exc)[:200]}"})
    if not isinstance(data_value_set, dict) or not data_value_set:
        return Status(400, {"detail": "not a data value set: a JSON object"})
    claimed = data_value_set.get("orgUnit")
    if isinstance(claimed, str) and claimed != key.org_unit.code:
        return Status(403, {"detail": f"this key reports for {key.org_unit.code} only"})
    summary = upper.data_value_set_receive(
        data_value_set=data_value_set, received_from=str(key), dry_run=dryRun,
        source=key.org_unit.code)
    return Status(409 if summary.conflicts else 200, summary.as_dict())


class CompletenessOut(Schema):
    orgUnit: str  # noqa: N815
    period: str
    state: str
    reason: str
    receivedAt: str | None  # noqa: N815
    decidedAt: str | None  # noqa: N815
    sha256: str


@api.get("/completeness", auth=[KeyAuth()], response=CompletenessOut,
         summary="Where a county's report of a year stands at the upper level (its key)")
def completeness(request, period: str):
    if not upper.is_upper_level():
        raise Http404("this instance is a county")
    key: ApiKey = request.auth
    year = _period(period)
    submission = Submission.objects.filter(org_unit=key.org_unit, period=year).first()
    if submission is None:
        return CompletenessOut(orgUnit=key.org_unit.code, period=str(year),
                               state="not_submitted", reason="", receivedAt=None,
                               decidedAt=None, sha256="")
    return CompletenessOut(
        orgUnit=key.org_unit.code, period=str(year), state=submission.state,
        reason=submission.reason, receivedAt=submission.received_at.isoformat(),
        decidedAt=submission.decided_at.isoformat() if submission.decided_at else None,
        sha256=submission.sha256)


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return api.create_response(request, {"detail": "forbidden"}, status=403)

