"""A record's custom values: each type's validator, required, retired picklist values and
the field history, through the API (422 naming custom.<key>)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conftest import ApiClient, Company
from opportune.audit.history import history_of, label_values

from .helpers import define

pytestmark = pytest.mark.django_db

LEAD = {"last_name": "Lead", "company": "Globex"}

# (type, a valid input, what is stored, an invalid input, the message)
CASES: list[tuple[str, Any, Any, Any, str]] = [
    ("text", " Blue ", "Blue", "x" * 256, "At most 255 characters."),
    ("long_text", "Many\nlines", "Many\nlines", 5, "Enter text."),
    ("number", "1,200", 1200, "lots", "Enter a number."),
    ("currency", 12.345, 12.35, True, "Enter a number."),
    ("percent", "12.5%", 12.5, 150, "Enter a percentage between 0 and 100."),
    ("date", "2026-03-01", "2026-03-01", "01/03/2026", "Enter a date as YYYY-MM-DD."),
    ("checkbox", "yes", True, "maybe", "Use true or false."),
    ("picklist", "EMEA", "emea", "mars", "Unknown value 'mars'; use one of: emea, apac."),
    ("multi_picklist", ["apac", "emea"], ["apac", "emea"], "emea;mars", "Unknown value"),
    (
        "url",
        "globex.example/about",
        "https://globex.example/about",
        "not a url",
        "Enter a valid URL.",
    ),
    ("email", "Buyer@Globex.example", "buyer@globex.example", "buyer@", "Enter a valid email"),
    ("phone", "+49 30 1234-5", "+49 30 1234-5", "call me", "Enter a phone number"),
]


@pytest.mark.parametrize(("type_", "given", "stored", "bad", "message"), CASES)
def test_each_type_stores_a_clean_value_and_refuses_a_bad_one_in_words(
    company: Company,
    api: Callable[..., ApiClient],
    type_: str,
    given: Any,
    stored: Any,
    bad: Any,
    message: str,
) -> None:
    define(company.ada, "lead", "extra", type_)
    client = api(company.alice)
    created = client.post("/api/v1/leads", {**LEAD, "custom": {"extra": given}})
    assert created.status_code == 201, created.json()
    assert created.json()["custom"] == {"extra": stored}
    refused = client.post("/api/v1/leads", {**LEAD, "custom": {"extra": bad}})
    assert refused.status_code == 422
    assert message in refused.json()["errors"]["custom.extra"][0]


def test_an_unknown_custom_key_is_refused(company: Company, api: Callable[..., ApiClient]) -> None:
    refused = api(company.alice).post("/api/v1/leads", {**LEAD, "custom": {"nope": 1}})
    assert refused.status_code == 422
    assert refused.json()["errors"] == {"custom.nope": ["Unknown custom field."]}


def test_a_required_field_is_needed_on_create_and_cannot_be_cleared(
    company: Company, api: Callable[..., ApiClient]
) -> None:
    define(company.ada, "lead", "region", "picklist", required=True)
    client = api(company.alice)
    missing = client.post("/api/v1/leads", LEAD)
    assert missing.status_code == 422
    assert missing.json()["errors"] == {"custom.region": ["This field is required."]}
    lead = client.post("/api/v1/leads", {**LEAD, "custom": {"region": "emea"}}).json()
    other_change = client.patch(f"/api/v1/leads/{lead['id']}", {"title": "CTO"})
    assert other_change.status_code == 200
    cleared = client.patch(f"/api/v1/leads/{lead['id']}", {"custom": {"region": None}})
    assert cleared.status_code == 422
    assert cleared.json()["errors"] == {"custom.region": ["This field is required."]}


def test_a_retired_value_stays_on_records_but_is_not_given_anew(
    company: Company, api: Callable[..., ApiClient]
) -> None:
    field = define(company.ada, "lead", "region", "picklist")
    client = api(company.alice)
    lead = client.post("/api/v1/leads", {**LEAD, "custom": {"region": "apac"}}).json()
    retire = api(company.ada).patch(
        f"/api/v1/custom-fields/{field.pk}",
        {"values": [{"key": "emea", "label": "EMEA"}, {"key": "apac", "retired": True}]},
    )
    assert retire.status_code == 200, retire.json()
    assert client.get(f"/api/v1/leads/{lead['id']}").json()["custom"] == {"region": "apac"}
    kept = client.patch(f"/api/v1/leads/{lead['id']}", {"custom": {"region": "apac"}})
    assert kept.status_code == 200
    refused = client.post("/api/v1/leads", {**LEAD, "custom": {"region": "apac"}})
    assert refused.status_code == 422
    assert refused.json()["errors"]["custom.region"] == [
        "The value 'apac' is retired; choose another."
    ]


def test_a_change_merges_values_and_null_clears_one(
    company: Company, api: Callable[..., ApiClient]
) -> None:
    define(company.ada, "account", "tier", "number")
    define(company.ada, "account", "vip", "checkbox")
    client = api(company.alice)
    account = client.post(
        "/api/v1/accounts", {"name": "Initech", "custom": {"tier": 2, "vip": True}}
    ).json()
    changed = client.patch(f"/api/v1/accounts/{account['id']}", {"custom": {"tier": None}})
    assert changed.status_code == 200, changed.json()
    assert changed.json()["custom"] == {"vip": True}


def test_custom_changes_are_in_the_field_history_by_label(
    company: Company, api: Callable[..., ApiClient]
) -> None:
    define(company.ada, "opportunity", "region", "picklist")
    client = api(company.alice)
    deal = company.opportunity(company.alice)
    changed = client.patch(f"/api/v1/opportunities/{deal.pk}", {"custom": {"region": "emea"}})
    assert changed.status_code == 200, changed.json()
    changes = [c for c in history_of(deal) if c.field.startswith("custom.")]
    label_values("opportunity", changes)
    assert [(c.label, c.old_value, c.new_value) for c in changes] == [
        ("Custom: Region", "", "emea")
    ]
    page = client.get(f"/api/v1/opportunities/{deal.pk}/changes").json()
    assert {"field": "custom.region", "label": "Custom: Region"}.items() <= page["items"][0].items()
