"""Defining custom fields: admins only (the policy's may_configure), keys unique per kind
and immutable, picklist values ordered and retired, never removed."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conftest import ApiClient, Company

pytestmark = pytest.mark.django_db

REGION = {
    "kind": "lead",
    "key": "region",
    "label": "Region",
    "type": "picklist",
    "values": [{"key": "emea", "label": "EMEA"}, {"key": "apac", "label": "APAC"}],
}


@pytest.mark.parametrize("who", ["maria", "alice", "mark", "rita"])
def test_only_admins_define_or_change_custom_fields(
    company: Company, api: Callable[..., ApiClient], who: str
) -> None:
    refused = api(getattr(company, who)).post("/api/v1/custom-fields", REGION)
    assert refused.status_code == 403
    created = api(company.ada).post("/api/v1/custom-fields", REGION).json()
    change = api(getattr(company, who)).patch(
        f"/api/v1/custom-fields/{created['id']}", {"label": "Area"}
    )
    assert change.status_code == 403
    assert api(getattr(company, who)).get("/api/v1/custom-fields").status_code == 200


def test_a_key_is_unique_per_kind(company: Company, api: Callable[..., ApiClient]) -> None:
    client = api(company.ada)
    assert client.post("/api/v1/custom-fields", REGION).status_code == 201
    again = client.post("/api/v1/custom-fields", REGION)
    assert again.status_code == 422
    assert "key" in again.json()["errors"]
    on_accounts = client.post("/api/v1/custom-fields", {**REGION, "kind": "account"})
    assert on_accounts.status_code == 201


def test_the_key_and_type_cannot_be_changed(
    company: Company, api: Callable[..., ApiClient]
) -> None:
    client = api(company.ada)
    created = client.post("/api/v1/custom-fields", REGION).json()
    refused = client.patch(f"/api/v1/custom-fields/{created['id']}", {"key": "area"})
    assert refused.status_code == 422
    assert refused.json()["errors"] == {"key": ["Unknown field."]}


def test_values_are_reordered_relabelled_and_retired_but_not_removed(
    company: Company, api: Callable[..., ApiClient]
) -> None:
    client = api(company.ada)
    created = client.post("/api/v1/custom-fields", REGION).json()
    url = f"/api/v1/custom-fields/{created['id']}"
    reordered = client.patch(
        url,
        {
            "values": [
                {"key": "apac", "label": "Asia-Pacific"},
                {"key": "emea", "label": "EMEA", "retired": True},
                {"key": "amer", "label": "Americas"},
            ]
        },
    )
    assert reordered.status_code == 200, reordered.json()
    assert [(v["key"], v["label"], v["retired"]) for v in reordered.json()["values"]] == [
        ("apac", "Asia-Pacific", False),
        ("emea", "EMEA", True),
        ("amer", "Americas", False),
    ]
    removed = client.patch(url, {"values": [{"key": "apac"}]})
    assert removed.status_code == 422
    assert "retire it instead" in removed.json()["errors"]["values"][0]


def test_a_picklist_needs_values_and_other_types_take_none(
    company: Company, api: Callable[..., ApiClient]
) -> None:
    client = api(company.ada)
    empty = client.post("/api/v1/custom-fields", {**REGION, "values": []})
    assert empty.status_code == 422
    text = client.post("/api/v1/custom-fields", {**REGION, "type": "text"})
    assert text.status_code == 422
    assert text.json()["errors"] == {"values": ["Only picklists have values."]}


def test_a_key_starts_with_a_letter_or_digit(
    company: Company, api: Callable[..., ApiClient]
) -> None:
    refused = api(company.ada).post("/api/v1/custom-fields", {**REGION, "key": "-region"})
    assert refused.status_code == 422
    assert "starting with a letter or digit" in refused.json()["errors"]["key"][0]
