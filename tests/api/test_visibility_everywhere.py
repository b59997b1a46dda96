"""Every endpoint, generated from the OpenAPI document: a record outside the user's view is
a 404 for every verb, and nothing answers without a token.

Bob and Alice are both reps on the East team: Bob must not reach any record of Alice's.
Mark (marketing) must not reach any opportunity. A new endpoint whose path names a record
`records.py` cannot build fails `test_every_record_parameter_is_known`, so it gets covered.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from conftest import ApiClient, Company
from opportune.audit.bin import delete_record
from opportune.identity.models import User

from .endpoints import Endpoint, authenticated_endpoints
from .records import RECORD_BUILDERS, alices_records

# Path parameters naming settings only admins reach (webhooks): a 403 for everyone else.
ADMIN_ONLY_PARAMS = {"subscription_id", "delivery_id"}
# Path parameters that name configuration, which every user may read (custom fields too:
# they describe the records' ``custom`` object).
CONFIG_PARAMS = {"key", "field_id"}
RECORD_PARAMS = set(RECORD_BUILDERS) - ADMIN_ONLY_PARAMS - CONFIG_PARAMS
RECORD_ENDPOINTS = [
    e
    for e in authenticated_endpoints()
    if set(e.params) & RECORD_PARAMS and not set(e.params) & ADMIN_ONLY_PARAMS
]
ADMIN_ONLY_ENDPOINTS = [
    e
    for e in authenticated_endpoints()
    if set(e.params) & ADMIN_ONLY_PARAMS or e.path.startswith("/api/v1/webhooks")
]


def test_every_record_parameter_is_known() -> None:
    unknown = (
        {p for e in authenticated_endpoints() for p in e.params}
        - RECORD_PARAMS
        - CONFIG_PARAMS
        - ADMIN_ONLY_PARAMS
    )
    assert not unknown, f"Add these path parameters to the visibility tests: {unknown}"


@pytest.mark.parametrize("endpoint", RECORD_ENDPOINTS, ids=str)
def test_a_record_outside_the_users_view_is_a_404_for_every_verb(
    company: Company, api: Callable[[User], ApiClient], endpoint: Endpoint
) -> None:
    records = alices_records(company)
    bob = api(company.bob)
    url = endpoint.url(**records)
    response = getattr(bob, endpoint.method)(url, *([{}] if endpoint.has_body else []))
    assert response.status_code == 404, f"{endpoint}: {response.status_code} {response.content!r}"
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("endpoint", ADMIN_ONLY_ENDPOINTS, ids=str)
def test_admin_only_settings_are_a_403_for_every_other_role(
    company: Company, api: Callable[[User], ApiClient], endpoint: Endpoint
) -> None:
    """A valid body, so that the refusal is not hidden behind the body's validation (422)."""
    records = alices_records(company)
    url = endpoint.url(**records)
    valid = {"url": "https://hooks.example/", "event_types": ["lead.created"]}
    body = [valid] if endpoint.has_body else []
    for user in (company.maria, company.alice, company.mark, company.rita):
        response = getattr(api(user), endpoint.method)(url, *body)
        assert response.status_code == 403, f"{endpoint} as {user}: {response.status_code}"
    assert getattr(api(company.ada), endpoint.method)(url, *body).status_code not in (403, 404)


@pytest.mark.parametrize(
    "endpoint", [e for e in RECORD_ENDPOINTS if "opportunity_id" in e.params], ids=str
)
def test_marketing_reaches_no_opportunity(
    company: Company, api: Callable[[User], ApiClient], endpoint: Endpoint
) -> None:
    records = alices_records(company)
    response = getattr(api(company.mark), endpoint.method)(
        endpoint.url(**records), *([{}] if endpoint.has_body else [])
    )
    assert response.status_code == 404


@pytest.mark.parametrize("endpoint", RECORD_ENDPOINTS, ids=str)
def test_the_owner_reaches_the_record(
    company: Company, api: Callable[[User], ApiClient], endpoint: Endpoint
) -> None:
    """The counterpart of the 404 test: the same request from Alice is not a 404."""
    records = alices_records(company)
    response = getattr(api(company.alice), endpoint.method)(
        endpoint.url(**records), *([{}] if endpoint.has_body else [])
    )
    assert response.status_code != 404, f"{endpoint}: {response.content!r}"


@pytest.mark.parametrize("endpoint", authenticated_endpoints(), ids=str)
def test_every_endpoint_answers_401_without_a_token(
    company: Company, client: Client, endpoint: Endpoint
) -> None:
    records = alices_records(company)
    url = endpoint.url(key="sales", **records)
    response = getattr(client, endpoint.method)(url, content_type="application/json")
    assert response.status_code == 401, f"{endpoint}: {response.status_code}"
    assert response.json()["title"] == "Unauthorized"


# List endpoints (JSON pages and CSV exports) -> the kind of record (records.py key) they list.
LISTS = {
    "/api/v1/leads": "lead_id",
    "/api/v1/accounts": "account_id",
    "/api/v1/contacts": "contact_id",
    "/api/v1/opportunities": "opportunity_id",
    "/api/v1/activities": "activity_id",
    "/api/v1/imports": "job_id",
    "/api/v1/tokens": "token_id",
    "/api/v1/exports/leads": "lead_id",
    "/api/v1/exports/accounts": "account_id",
    "/api/v1/exports/contacts": "contact_id",
    "/api/v1/exports/opportunities": "opportunity_id",
    "/api/v1/exports/activities": "activity_id",
}
BIN = "/api/v1/recycle-bin"  # records of every kind: tested apart, below
# Lists of the caller's own rows, which nobody else reads, admins included.
OWN_LISTS = {"/api/v1/notifications": "notification_id"}
# Lists of people and teams, which every user reads (owner pickers, the forecast's tree).
DIRECTORIES = {"/api/v1/users", "/api/v1/teams"}
# Endpoints that answer only with a query (tested apart, below) -> a query to send.
SEARCHES = {"/api/v1/search": {"q": "lena"}}
GET_WITHOUT_PARAMS = [e for e in authenticated_endpoints() if e.method == "get" and not e.params]


@pytest.mark.parametrize("endpoint", GET_WITHOUT_PARAMS, ids=str)
def test_every_list_of_records_is_known(
    company: Company, api: Callable[[User], ApiClient], endpoint: Endpoint
) -> None:
    """A JSON page of items or a CSV export not in LISTS fails, so it gets the test below."""
    alices_records(company)
    response = api(company.ada).get(endpoint.path, **SEARCHES.get(endpoint.path, {}))
    if endpoint.path.startswith("/api/v1/forecast/") and response.status_code == 409:
        return  # no forecast model fitted yet (forecasting's tests cover the fitted answer)
    assert response.status_code == 200
    is_list = response["Content-Type"].startswith("text/csv") or "items" in response.json()
    known = (
        endpoint.path in LISTS
        or endpoint.path in DIRECTORIES
        or endpoint.path == BIN
        or endpoint.path in OWN_LISTS
        or endpoint in ADMIN_ONLY_ENDPOINTS
    )
    assert not is_list or known, f"Add {endpoint.path} to LISTS"


@pytest.mark.parametrize("path", list(LISTS))
def test_lists_hold_only_visible_records(
    company: Company, api: Callable[[User], ApiClient], path: str
) -> None:
    """Bob's list (and export) lacks Alice's record; the admin's, the same request, holds it."""
    alices = alices_records(company)[LISTS[path]]
    for user, listed in ((company.bob, False), (company.ada, True)):
        response = api(user).get(path)
        assert response.status_code == 200
        ids = {int(item["id"]) for item in _items(response)}
        assert (alices in ids) is listed, f"{user} on {path}: {sorted(ids)}"


@pytest.mark.parametrize("path", list(OWN_LISTS))
def test_own_lists_hold_only_the_callers_rows(
    company: Company, api: Callable[[User], ApiClient], path: str
) -> None:
    alices = alices_records(company)[OWN_LISTS[path]]
    for user, listed in ((company.alice, True), (company.bob, False), (company.ada, False)):
        ids = {int(item["id"]) for item in _items(api(user).get(path))}
        assert (alices in ids) is listed, f"{user} on {path}: {sorted(ids)}"


# Alice's record of each kind (records.py) -> a word the global search finds it by.
SEARCH_WORDS = {
    "lead_id": ("lead", "lena"),
    "account_id": ("account", "alice"),
    "contact_id": ("contact", "cora"),
    "opportunity_id": ("opportunity", "renewal"),
}


@pytest.mark.parametrize("param", list(SEARCH_WORDS))
def test_search_finds_only_visible_records(
    company: Company, api: Callable[[User], ApiClient], param: str
) -> None:
    """Bob's search lacks Alice's record, the admin's holds it; marketing finds no deal."""
    alices = alices_records(company)[param]
    kind, word = SEARCH_WORDS[param]
    cases = [(company.bob, False), (company.ada, True)]
    if kind == "opportunity":
        cases.append((company.mark, False))
    for user, listed in cases:
        response = api(user).get("/api/v1/search", q=word, limit=50)
        assert response.status_code == 200
        hits = {(h["kind"], h["id"]) for g in response.json()["groups"] for h in g["hits"]}
        assert ((kind, alices) in hits) is listed, f"{user} searching {word!r}: {hits}"


def test_the_recycle_bin_holds_only_what_the_user_may_restore(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    """Alice deletes her lead: it is in her bin and the admin's, not in Bob's (who never saw
    it) nor the manager's (who sees it, but restores only what she owns or deleted)."""
    lead = company.lead(company.alice)
    delete_record(company.alice, lead)
    for user, listed in (
        (company.alice, True),
        (company.ada, True),
        (company.bob, False),
        (company.maria, False),
    ):
        items = api(user).get(BIN).json()["items"]
        assert (("lead", lead.pk) in {(i["kind"], i["id"]) for i in items}) is listed, user


def _items(response: Any) -> list[dict[str, Any]]:
    """The rows of a JSON page or of a streamed CSV export."""
    if response["Content-Type"].startswith("text/csv"):
        text = response.getvalue().decode("utf-8-sig")
        return list(csv.DictReader(io.StringIO(text)))
    body = response.json()
    return body["items"] if isinstance(body, dict) and "items" in body else []
