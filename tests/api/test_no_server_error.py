"""No input makes the API answer 500: what the database cannot store (a null in a yes/no
column, a NUL character, an id beyond 64 bits) is a 422 naming the field or parameter, or
a 404 for a path naming no record. Generated from the OpenAPI document."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from conftest import ApiClient, Company
from opportune.identity.models import User

from .endpoints import Endpoint, authenticated_endpoints, body_properties, query_parameters
from .records import alices_records

JSON_WRITES = [e for e in authenticated_endpoints() if e.body_type == "application/json"]
BEYOND_64_BITS = [str(2**63), "99999999999999999999"]


def _fields(of_type: str) -> list[tuple[Endpoint, str]]:
    return [
        (endpoint, name)
        for endpoint in JSON_WRITES
        for name, declared in body_properties(endpoint).items()
        if declared.get("type") == of_type
    ]


def _id(case: object) -> str:
    return str(case)


@pytest.mark.parametrize(("endpoint", "field"), _fields("boolean"), ids=_id)
def test_a_yes_no_field_refuses_null_at_the_field(
    company: Company, api: Callable[[User], ApiClient], endpoint: Endpoint, field: str
) -> None:
    client = api(company.alice)
    client.client.raise_request_exception = False
    url = endpoint.url(**alices_records(company))
    response = getattr(client, endpoint.method)(url, {field: None})
    assert response.status_code == 422, f"{endpoint} {field}: {response.content!r}"
    assert field in response.json()["errors"]


@pytest.mark.parametrize(("endpoint", "field"), _fields("string"), ids=_id)
def test_text_with_a_nul_character_is_refused_at_the_field(
    company: Company, api: Callable[[User], ApiClient], endpoint: Endpoint, field: str
) -> None:
    client = api(company.alice)
    client.client.raise_request_exception = False
    url = endpoint.url(**alices_records(company))
    response = getattr(client, endpoint.method)(url, {field: "Ini\x00tech"})
    assert response.status_code == 422, f"{endpoint} {field}: {response.content!r}"
    assert field in response.json()["errors"]


def test_an_import_form_field_with_a_nul_character_is_refused_at_the_field(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    client = api(company.alice)
    client.client.raise_request_exception = False
    upload = io.BytesIO(b"LastName,Company\nDoe,Initech\n")
    upload.name = "leads.csv"
    response = client.client.post("/api/v1/imports", {"file": upload, "encoding": "utf-8\x00"})
    assert response.status_code == 422, response.content
    assert "encoding" in response.json()["errors"]


def _id_filters() -> list[tuple[Endpoint, str]]:
    return [
        (endpoint, parameter["name"])
        for endpoint in authenticated_endpoints()
        if endpoint.method == "get"
        for parameter in query_parameters(endpoint)
        if parameter.get("schema", {}).get("pattern") == r"^\d+$"
    ]


@pytest.mark.parametrize(("endpoint", "parameter"), _id_filters(), ids=_id)
@pytest.mark.parametrize("value", BEYOND_64_BITS)
def test_an_id_filter_beyond_64_bits_is_a_422_naming_it(
    company: Company,
    api: Callable[[User], ApiClient],
    endpoint: Endpoint,
    parameter: str,
    value: str,
) -> None:
    client = api(company.ada)
    client.client.raise_request_exception = False
    response = client.get(endpoint.path, **{parameter: value})
    assert response.status_code == 422, f"{endpoint} {parameter}: {response.content!r}"
    assert parameter in response.json()["errors"]


@pytest.mark.parametrize("endpoint", [e for e in authenticated_endpoints() if e.params], ids=_id)
def test_a_path_id_beyond_64_bits_names_no_record(
    company: Company, api: Callable[[User], ApiClient], endpoint: Endpoint
) -> None:
    client = api(company.ada)
    client.client.raise_request_exception = False
    url = endpoint.url(**{name: "99999999999999999999" for name in endpoint.params})
    response = getattr(client.client, endpoint.method)(url, content_type="application/json")
    assert response.status_code in {404, 422}, f"{endpoint}: {response.content!r}"


@pytest.mark.parametrize(
    "url", ["/api/v1/pipelines/sa%00les", "/api/v1/web-to-lead/con%00tact"], ids=str
)
def test_a_text_path_parameter_with_a_nul_character_is_refused_naming_it(
    company: Company, api: Callable[[User], ApiClient], url: str
) -> None:
    client = api(company.alice)
    client.client.raise_request_exception = False
    response = client.get(url) if "pipelines" in url else client.post(url, {"last_name": "X"})
    assert response.status_code == 422, response.content
    assert set(response.json()["errors"]) & {"key", "form_key"}


def _id_inputs() -> list[tuple[Endpoint, str, str]]:
    """Integer query parameters (besides the lists' string filters) and body fields."""
    found = []
    for endpoint in authenticated_endpoints():
        for parameter in query_parameters(endpoint):
            if parameter.get("schema", {}).get("type") == "integer" or any(
                option.get("type") == "integer" for option in parameter["schema"].get("anyOf", [])
            ):
                found.append((endpoint, "query", parameter["name"]))
        for name in body_properties(endpoint):
            if name.endswith("_id") and endpoint.body_type == "application/json":
                found.append((endpoint, "body", name))
    return found


@pytest.mark.parametrize(("endpoint", "where", "name"), _id_inputs(), ids=_id)
def test_an_id_beyond_64_bits_in_a_query_or_a_body_is_a_422_naming_it(
    company: Company, api: Callable[[User], ApiClient], endpoint: Endpoint, where: str, name: str
) -> None:
    client = api(company.ada)
    client.client.raise_request_exception = False
    url = endpoint.url(**alices_records(company))
    if where == "query":
        response = client.client.generic(endpoint.method.upper(), f"{url}?{name}={2**70}")
    else:
        response = getattr(client, endpoint.method)(url, {name: 2**70})
    assert response.status_code == 422, f"{endpoint} {name}: {response.content!r}"
    assert name in response.json()["errors"]
