import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_email as django_validate_email
from pydantic import ValidationError as PydanticError

from opportune.leads.schemas import LeadChanges
from opportune.schemas import validate_email

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


def _accepts(validator, value: str) -> bool:
    try:
        validator(value)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("email", EMAILS)
def test_email_validation_accepts_exactly_what_djangos_validator_accepts(email):
    assert _accepts(validate_email, email) == _accepts(django_validate_email, email)


def test_an_invalid_email_is_a_field_error_and_a_valid_one_is_stored_lowercase():
    assert LeadChanges(email=" Ada@Example.COM ").email == "ada@example.com"
    with pytest.raises(PydanticError) as raised:
        LeadChanges(email="ada@example")
    assert raised.value.errors()[0]["loc"] == ("email",)
    assert "valid email" in raised.value.errors()[0]["msg"]
