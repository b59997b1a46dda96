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

from conftest import Company

from .endpoints import Endpoint, authenticated_endpoints
from .records import RECORD_BUILDERS, alices_records

RECORD_PARAMS = set(RECORD_BUILDERS)
# Path parameters that name configuration, which every user may read.
CONFIG_PARAMS = {"key"}
RECORD_ENDPOINTS = [e for e in authenticated_endpoints() if set(e.params) & RECORD_PARAMS]


def test_every_record_parameter_is_known() -> None:
    unknown = (
        {p for e in authenticated_endpoints() for p in e.params} - RECORD_PARAMS - CONFIG_PARAMS
    )
    assert not unknown, f"Add these path parameters to the visibility tests: {unknown}"


@pytest.mark.parametrize("endpoint", RECORD_ENDPOINTS, ids=str)
def test_a_record_outside_the_users_view_is_a_404_for_every_verb(
    company: Company, api: Callable, endpoint: Endpoint
) -> None:
    records = alices_records(company)
    bob = api(company.bob)
    url = endpoint.url(**records)
    response = getattr(bob, endpoint.method)(url, *([{}] if endpoint.has_body else []))
    assert response.status_code == 404, f"{endpoint}: {response.status_code} {response.content!r}"
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    "endpoint", [e for e in RECORD_ENDPOINTS if "opportunity_id" in e.params], ids=str
)
def test_marketing_reaches_no_opportunity(
    company: Company, api: Callable, endpoint: Endpoint
) -> None:
    records = alices_records(company)
    response = getattr(api(company.mark), endpoint.method)(
        endpoint.url(**records), *([{}] if endpoint.has_body else [])
    )
    assert response.status_code == 404


@pytest.mark.parametrize("endpoint", RECORD_ENDPOINTS, ids=str)
def test_the_owner_reaches_the_record(company: Company, api: Callable, endpoint: Endpoint) -> None:
    """The counterpart of the 404 test: the same request from Alice is not a 404."""
    records = alices_records(company)
    response = getattr(api(company.alice), endpoint.method)(
        endpoint.url(**records), *([{}] if endpoint.has_body else [])
    )
    assert response.status_code != 404, f"{endpoint}: {response.content!r}"


@pytest.mark.parametrize("endpoint", authenticated_endpoints(), ids=str)
def test_every_endpoint_answers_401_without_a_token(
    company: Company, client: Any, endpoint: Endpoint
) -> None:
    records = alices_records(company)
    url = endpoint.url(key="sales", **records)
    response = getattr(client, endpoint.method)(url, content_type="application/json")
    assert response.status_code == 401, f"{endpoint}: {response.status_code}"
    assert response.json()["title"] == "Unauthorized"


@pytest.mark.parametrize(
    "endpoint",
    [e for e in authenticated_endpoints() if e.method == "get" and not e.params],
    ids=str,
)
def test_lists_hold_only_visible_records(
    company: Company, api: Callable, endpoint: Endpoint
) -> None:
    records = alices_records(company)
    for client, ids in ((api(company.bob), set()), (api(company.ada), set(records.values()))):
        response = client.get(endpoint.path)
        assert response.status_code == 200
        assert ids >= _owned_by(company.alice.pk, _items(response)) & set(records.values())


def _items(response: Any) -> list[dict[str, Any]]:
    """The rows of a JSON page or of a streamed CSV export."""
    if response["Content-Type"].startswith("text/csv"):
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        return list(csv.DictReader(io.StringIO(text)))
    body = response.json()
    return body["items"] if isinstance(body, dict) and "items" in body else []


def _owned_by(owner_id: int, items: list[dict[str, Any]]) -> set[int]:
    return {
        int(item["id"])
        for item in items
        if str(item.get("owner_id", "")) == str(owner_id) and str(item.get("id", "")).isdigit()
    }
