"""Validation errors read in the product's words, from one mapping (schemas.ERROR_WORDS), for
the API, the web forms and the importer alike; the inputs carry the schema's limits."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import ApiClient, Company
from opportune.leads.forms import LeadCreateForm
from opportune.leads.schemas import LeadCreate
from opportune.schemas import error_message, field_errors
from opportune.web.testing import logged_in, plain_static_files  # noqa: F401


def _errors(data: dict[str, object]) -> dict[str, list[str]]:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as raised:
        LeadCreate.model_validate(data)
    return field_errors(raised.value.errors())


def test_no_library_jargon_reaches_a_user_for_common_mistakes() -> None:
    errors = _errors(
        {
            "last_name": "x" * 81,
            "company": "Acme",
            "employees": -1,
            "annual_revenue": "lots",
            "expected_purchase_date": "next week",
            "do_not_call": "perhaps",
        }
    )
    assert errors == {
        "last_name": ["At most 80 characters."],
        "employees": ["Must be 0 or more."],
        "annual_revenue": ["Enter a number."],
        "expected_purchase_date": ["Enter a date as YYYY-MM-DD."],
        "do_not_call": ["Choose yes or no."],
    }
    jargon = ("should", "Input", "String", "valid decimal")
    assert not [m for ms in errors.values() for m in ms if any(j in m for j in jargon)]


def test_an_unlisted_error_type_keeps_the_validators_own_words() -> None:
    assert error_message({"type": "value_error", "msg": "Value error, Enter a valid email."}) == (
        "Enter a valid email."
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("plain_static_files")
def test_the_api_and_the_form_say_the_same_words(company: Company) -> None:
    body = {"last_name": "x" * 81, "company": "Acme"}
    problem = ApiClient(company.alice).post("/api/v1/leads", body).json()
    assert "At most 80 characters." in str(problem)
    page = logged_in(Client(), company.alice).post(
        "/leads/new/", {"last_name": "x" * 81, "company": "Acme"}
    )
    assert "At most 80 characters." in page.content.decode()
    assert "String should" not in page.content.decode()


@pytest.mark.django_db
def test_inputs_carry_the_schemas_limits() -> None:
    form = LeadCreateForm()
    assert form.fields["last_name"].widget.attrs["maxlength"] == "80"
    assert form.fields["company"].widget.attrs["maxlength"] == "255"
    assert form.fields["last_name"].widget.attrs["aria-required"] == "true"
    assert form.fields["employees"].widget.attrs["min"] == "0"
