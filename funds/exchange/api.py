"""The API (issue 28), county side: ``/api/v1/``, django-ninja, OpenAPI at
``/api/v1/openapi.json`` and its docs page at ``/api/v1/docs`` (served from this
instance's static files, nothing from another host).

People in a browser use their session (read endpoints only here); every endpoint is
scoped like the pages: a clerk reads the own township's rows, the county's set is for
those who see every township. Throttled per user in a cache shared by every gunicorn
worker (``CACHES["throttle"]``, file based)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import NinjaAPI, Schema
from ninja.security import django_auth
from ninja.throttling import AuthRateThrottle

from funds.budget.selectors import allocation_row_list
from funds.exchange.datavalues import data_value_set_get, money
from funds.inspection.selectors import red_flags_get
from funds.models import FundYear
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


@api.get("/dataValueSets", summary="The county's data value set of a year (docs/api.md)")
def data_value_sets(request, period: str):
    if not sees_all_townships(request.user):
        raise PermissionDenied
    if not (period.isdigit() and len(period) == 4):
        raise Http404("a period is a year, e.g. 2020")
    return data_value_set_get(fund_year=_fund_year(int(period)))


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return api.create_response(request, {"detail": "forbidden"}, status=403)

