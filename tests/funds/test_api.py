"""The county's API (issue 28): sessions for people, 401 without one, scoped like the
pages, the county's data value set for those who see every township, and its docs page
served from this instance."""

import pytest

from funds.exchange.datavalues import data_value_set_get
from tests.conftest import login

pytestmark = pytest.mark.django_db


def test_no_session_is_401_in_json(client, demo):
    response = client.get("/api/v1/years")
    assert response.status_code == 401 and response.json() == {"detail": "Unauthorized"}


def test_scoped_like_the_pages(client, demo, staff_user, clerk_user):
    login(client, staff_user)
    assert [y["year"] for y in client.get("/api/v1/years").json()] == [2020]
    rows = client.get("/api/v1/allocations/2020").json()
    assert len(rows) == 52
    taiping = next(r for r in rows if r["name"] == "太平镇")
    assert taiping["total"] == "200000.00" and taiping["category"] == 1
    assert client.get("/api/v1/allocations/1999").status_code == 404
    login(client, clerk_user)
    assert [r["name"] for r in client.get("/api/v1/allocations/2020").json()] == ["太平镇"]
    assert [t["name"] for t in client.get("/api/v1/townships?year=2020").json()] == ["太平镇"]
    assert all(f["township"] == "511781100" for f in client.get("/api/v1/flags/2020").json())
    assert client.get("/api/v1/dataValueSets?period=2020").status_code == 403


def test_the_data_value_set_is_the_export(client, demo, staff_user):
    login(client, staff_user)
    served = client.get("/api/v1/dataValueSets?period=2020").json()
    exported = data_value_set_get(fund_year=demo)
    assert served["dataValues"] == exported["dataValues"]
    assert served["meta"]["sha256"] == exported["meta"]["sha256"]
    assert client.get("/api/v1/dataValueSets?period=20X0").status_code == 404


def test_the_openapi_document_and_its_docs_load_nothing_from_another_host(client, demo):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200 and "/api/v1/dataValueSets" in schema.json()["paths"]
    page = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "https://" not in page


#: Each API route (by its name), its URL, and what it answers by role: anonymous, clerk,
#: finance, staff, admin. Anonymous: 401; a clerk reads the own township's rows and not
#: the county's set. The schema and its docs page are public, as the login page is.
API = {
    "years": ("/api/v1/years", (401, 200, 200, 200, 200)),
    "townships": ("/api/v1/townships?year=2020", (401, 200, 200, 200, 200)),
    "allocations": ("/api/v1/allocations/2020", (401, 200, 200, 200, 200)),
    "flags": ("/api/v1/flags/2020", (401, 200, 200, 200, 200)),
    "data_value_sets": ("/api/v1/dataValueSets?period=2020", (401, 403, 200, 200, 200)),
    "openapi-json": ("/api/v1/openapi.json", (200, 200, 200, 200, 200)),
    "openapi-view": ("/api/v1/docs", (200, 200, 200, 200, 200)),
    "api-root": ("/api/v1/", (404, 404, 404, 404, 404)),
    # a county's key only (test_upper.py): a session is not a key
    "completeness": ("/api/v1/completeness?period=2020", (401, 401, 401, 401, 401)),
}
#: Routes that take a write, and what a session's POST gets: the upload is for keys only,
#: never a cookie; elsewhere there is nothing to write.
POSTS = {"data_value_sets": 401}


def test_every_api_route_answers_each_role(client, demo, clerk_user, finance_user, staff_user,
                                           admin_user):
    from funds.urls import api_urls

    # the POST of a path shares its URL with the GET (its pattern is named by both)
    assert {pattern.name for pattern in api_urls[0]} - {"data_value_sets_post"} == set(API)
    for name, (url, expected) in API.items():
        observed = []
        for user in (None, clerk_user, finance_user, staff_user, admin_user):
            client.logout()
            if user is not None:
                login(client, user)
            observed.append(client.get(url).status_code)
            if user is not None and name not in ("openapi-json", "openapi-view", "api-root",
                                                 "completeness"):
                assert client.post(url).status_code == POSTS.get(name, 405), url
        assert tuple(observed) == expected, (name, observed)


def test_the_throttle_counts_in_the_cache_every_worker_shares(rf, staff_user, settings,
                                                              tmp_path):
    from django.core.cache import caches
    from django.core.cache.backends.filebased import FileBasedCache

    from funds.exchange.api import ThrottleInSharedCache

    settings.CACHES = {**settings.CACHES, "throttle": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(tmp_path / "throttle")}}
    caches["throttle"].clear()
    throttle = ThrottleInSharedCache("2/m")
    assert isinstance(throttle.cache, FileBasedCache)
    request = rf.get("/api/v1/years")
    request.user, request.auth = staff_user, staff_user
    assert [throttle.allow_request(request) for _ in range(3)] == [True, True, False]
    # a second worker (another throttle object over the same folder) sees the count
    assert ThrottleInSharedCache("2/m").allow_request(request) is False
