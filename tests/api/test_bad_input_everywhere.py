"""Every write endpoint, generated from the OpenAPI document, answers malformed or
ill-typed input with a problem document naming the offending field, and writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from django.apps import apps

from conftest import ApiClient, Company
from opportune.identity.models import User

from .endpoints import Endpoint, authenticated_endpoints
from .records import alices_records

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

WRITE_ENDPOINTS = [e for e in authenticated_endpoints() if e.body_type == "application/json"]
UPLOAD_ENDPOINTS = [e for e in authenticated_endpoints() if e.body_type == "multipart/form-data"]


def _row_counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


def _send(client: ApiClient, endpoint: Endpoint, url: str, body: str) -> Response:
    send: Callable[..., Response] = getattr(client.client, endpoint.method)
    return send(url, body, content_type="application/json")


@pytest.mark.parametrize("endpoint", WRITE_ENDPOINTS, ids=str)
def test_a_body_that_is_not_json_is_a_400_problem(
    company: Company, api: Callable[[User], ApiClient], endpoint: Endpoint
) -> None:
    url = endpoint.url(**alices_records(company))
    client = api(company.alice)
    before = _row_counts()
    response = _send(client, endpoint, url, '{"last_name": ')
    assert response.status_code == 400, f"{endpoint}: {response.content!r}"
    assert response["Content-Type"] == "application/problem+json"
    assert _row_counts() == before


@pytest.mark.parametrize("endpoint", WRITE_ENDPOINTS, ids=str)
def test_an_unknown_field_is_a_422_naming_it(
    company: Company, api: Callable[[User], ApiClient], endpoint: Endpoint
) -> None:
    url = endpoint.url(**alices_records(company))
    client = api(company.alice)
    before = _row_counts()
    response = _send(client, endpoint, url, '{"no_such_field": 1}')
    assert response.status_code == 422, f"{endpoint}: {response.content!r}"
    problem = response.json()
    assert problem["status"] == 422
    assert "no_such_field" in problem["errors"], problem
    assert _row_counts() == before


@pytest.mark.parametrize("endpoint", WRITE_ENDPOINTS, ids=str)
def test_a_body_that_is_not_an_object_is_a_422(
    company: Company, api: Callable[[User], ApiClient], endpoint: Endpoint
) -> None:
    url = endpoint.url(**alices_records(company))
    client = api(company.alice)
    before = _row_counts()
    response = _send(client, endpoint, url, "[1, 2, 3]")
    assert response.status_code == 422, f"{endpoint}: {response.content!r}"
    assert response.json()["errors"]
    assert _row_counts() == before


@pytest.mark.parametrize(
    "endpoint",
    [e for e in authenticated_endpoints() if e.method == "get" and not e.params],
    ids=str,
)
def test_a_list_refuses_a_forged_cursor_and_a_zero_limit(
    company: Company, api: Callable[[User], ApiClient], endpoint: Endpoint
) -> None:
    client = api(company.alice)
    probe = client.get(endpoint.path)
    if probe["Content-Type"] != "application/json" or "next" not in probe.json():
        pytest.skip(f"{endpoint} is not a paged list")
    forged = client.get(endpoint.path, cursor="not-a-cursor!")
    assert forged.status_code == 422
    assert "cursor" in forged.json()["errors"]
    zero = client.get(endpoint.path, limit=0)
    assert zero.status_code == 422
    assert "limit" in zero.json()["errors"]


@pytest.mark.parametrize("endpoint", UPLOAD_ENDPOINTS, ids=str)
def test_an_upload_without_its_file_is_a_422(
    company: Company, api: Callable[[User], ApiClient], endpoint: Endpoint
) -> None:
    url = endpoint.url(**alices_records(company))
    client = api(company.alice)
    before = _row_counts()
    response = getattr(client.client, endpoint.method)(url, {})
    assert response.status_code == 422, f"{endpoint}: {response.content!r}"
    assert response["Content-Type"] == "application/problem+json"
    assert _row_counts() == before
