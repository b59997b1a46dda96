from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_email as django_validate_email
from pydantic import ValidationError as PydanticError

from opportune.leads.schemas import LeadChanges, LeadCreate
from opportune.schemas import field_errors, validate_email

EMAILS = [
    "ada@example.com",
    "ADA@EXAMPLE.COM",
    "ada.lovelace+crm@mail.example.co.uk",
    "o'brien@example.ie",
    '"quoted name"@example.com',
    "user@[192.168.0.1]",
    "user@[::1]",
    "user@localhost",
    "",
    "plain",
    "@example.com",
    "ada@",
    "ada@@example.com",
    "ada@example",
    "ada..lovelace@example.com",
    ".ada@example.com",
    "ada@-example.com",
    "ada@example-.com",
    "ada@exa_mple.com",
    "ada@example.c",
    "ada lovelace@example.com",
    "ada@" + "a" * 64 + ".com",
    "a" * 310 + "@example.com",
    "josé@example.com",
    "ada@exämple.com",
    "ada@[999.1.1.1]",
]


def _accepts(validator: Callable[[str], object], value: str) -> bool:
    try:
        validator(value)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("email", EMAILS)
def test_email_validation_accepts_exactly_what_djangos_validator_accepts(email: str) -> None:
    assert _accepts(validate_email, email) == _accepts(django_validate_email, email)


def test_an_invalid_email_is_a_field_error_and_a_valid_one_is_stored_lowercase() -> None:
    assert LeadChanges(email=" Ada@Example.COM ").email == "ada@example.com"
    with pytest.raises(PydanticError) as raised:
        LeadChanges(email="ada@example")
    assert raised.value.errors()[0]["loc"] == ("email",)
    assert "valid email" in raised.value.errors()[0]["msg"]


def test_validation_errors_read_in_words_at_the_field_the_caller_named() -> None:
    try:
        LeadCreate.model_validate({"last_name": "x" * 81, "company": "", "nickname": "Bo"})
    except PydanticError as invalid:
        errors = field_errors(invalid.errors())
    assert errors == {
        "last_name": ["At most 80 characters."],
        "company": ["This field is required."],
        "nickname": ["Unknown field."],
    }


def test_api_error_locations_drop_the_request_part() -> None:
    found = field_errors(
        [
            {"loc": ("body", "payload", "email"), "msg": "Value error, Enter a valid email."},
            {"loc": ("query", "limit"), "msg": "Input should be less than 200"},
            {"loc": (), "msg": "Invalid JSON"},
        ]
    )
    assert found == {
        "email": ["Enter a valid email."],
        "limit": ["Input should be less than 200"],
        "body": ["Invalid JSON"],
    }
