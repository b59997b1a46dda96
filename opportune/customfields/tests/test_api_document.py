"""The OpenAPI document describes the ``custom`` object of every record kind and the
custom field endpoints; lists with custom values cost the same queries however many rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import ApiClient, Company
from opportune.api import api as ninja_api

from .helpers import define

SCHEMAS = [
    "LeadOut",
    "LeadCreate",
    "LeadChanges",
    "AccountOut",
    "AccountCreate",
    "ContactOut",
    "ContactChanges",
    "OpportunityOut",
    "OpportunityCreate",
]


def test_every_record_schema_describes_its_custom_object() -> None:
    components = ninja_api.get_openapi_schema()["components"]["schemas"]
    for name in SCHEMAS:
        custom = components[name]["properties"]["custom"]
        assert custom["type"] == "object", name
        assert "GET /custom-fields" in custom["description"], name
        kinds = {item.get("type") for item in custom["additionalProperties"]["anyOf"]}
        assert kinds == {"string", "number", "boolean", "array", "null"}, name


def test_the_custom_field_endpoints_are_documented_with_their_types() -> None:
    document = ninja_api.get_openapi_schema()
    paths = document["paths"]
    assert set(paths["/api/v1/custom-fields"]) == {"get", "post"}
    assert set(paths["/api/v1/custom-fields/{field_id}"]) == {"get", "patch"}
    field_create = document["components"]["schemas"]["FieldCreate"]["properties"]
    assert "multi_picklist" in field_create["type"]["enum"]


@pytest.mark.django_db
def test_a_lead_list_filtered_on_custom_fields_costs_the_same_queries_for_more_rows(
    company: Company, api: Callable[..., ApiClient]
) -> None:
    define(company.ada, "lead", "region", "picklist")
    define(company.ada, "lead", "seats", "number")
    client = api(company.alice)
    params: dict[str, Any] = {"custom.region": "emea", "custom.seats.min": "1", "limit": 200}

    def queries(rows: int) -> int:
        for n in range(rows):
            company.lead(company.alice, custom={"region": "emea", "seats": n + 1})
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/v1/leads", **params)
        assert response.status_code == 200
        assert all(item["custom"]["region"] == "emea" for item in response.json()["items"])
        return len(captured.captured_queries)

    client.get("/api/v1/leads")  # the token's first use is recorded once
    assert queries(2) == queries(20) <= 6
