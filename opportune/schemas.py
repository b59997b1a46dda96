"""Validation helpers shared by every app's schemas (API, forms and import use the same ones)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Annotated, Any

import pycountry
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EmailValidator, RegexValidator
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
)


def _eager(pattern: re.Pattern[str]) -> re.Pattern[str]:
    return re.compile(pattern.pattern, pattern.flags)


class _EmailValidator(EmailValidator):
    """Django's rules, with its patterns compiled once instead of behind a lazy proxy that
    every match goes through (a third of the cost of validating an email, which the importer
    does a million times)."""

    user_regex = _eager(EmailValidator.user_regex)
    domain_regex = _eager(EmailValidator.domain_regex)
    literal_regex = _eager(EmailValidator.literal_regex)


validate_email = _EmailValidator()


def _email(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().lower()
    if value:
        try:
            validate_email(value)
        except DjangoValidationError as exc:
            raise ValueError("Enter a valid email address.") from exc
    return value


Email = Annotated[str | None, Field(max_length=254), AfterValidator(_email)]
Key = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_\-]+$")]
# What a configuration key (status, pipeline, stage, lost reason) may be when saved: a
# lowercase slug the API's ``Key`` accepts, starting with a letter or digit.
validate_key = RegexValidator(
    r"^[a-z0-9][a-z0-9_-]*\Z",
    "Use lowercase letters, digits, '_' and '-', starting with a letter or digit "
    "(the API names it by this key).",
)


# How people write countries that ISO 3166's names, official and common names do not cover
# (dots and case are ignored: "U.S.A." is "usa"). Checked before pycountry.
_COUNTRY_ALIASES = {
    "usa": "US",
    "us of a": "US",
    "united states of america": "US",
    "america": "US",
    "uk": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "deutschland": "DE",
    "holland": "NL",
    "the netherlands": "NL",
    "españa": "ES",
    "espana": "ES",
    "brasil": "BR",
    "méxico": "MX",
    "south korea": "KR",
    "korea": "KR",
    "north korea": "KP",
    "russia": "RU",
    "czech republic": "CZ",
    "uae": "AE",
    "turkey": "TR",
    "vietnam": "VN",
    "ivory coast": "CI",
    "schweiz": "CH",
    "suisse": "CH",
    "österreich": "AT",
    "italia": "IT",
}


@lru_cache(maxsize=2048)
def country_code(value: str) -> str | None:
    """The ISO 3166 alpha-2 code of a country written as a name, a common alias or an
    alpha-2/alpha-3 code; None when it names no country."""
    folded = " ".join(value.replace(".", "").casefold().split())
    if not folded:
        return None
    if folded in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[folded]
    try:
        country = pycountry.countries.lookup(folded)
    except LookupError:
        return None
    return str(country.alpha_2)


def normalize_country(value: str) -> str:
    """The country's alpha-2 code; a value naming no country is kept as typed (trimmed).

    Kept rather than refused: a lead or a row of an import is worth more than its country
    field, and the typed text still tells a person where it is; rules and matching simply
    do not take it for a known country."""
    value = value.strip()
    return (country_code(value) or value) if value else value


def _country(value: str | None) -> str | None:
    return None if value is None else normalize_country(value)


def country_name(code: str) -> str:
    """The name shown for a stored country: 'DE' -> 'Germany'; other text as it is."""
    if len(code) == 2:
        found = pycountry.countries.get(alpha_2=code.upper())
        if found is not None:
            return str(getattr(found, "common_name", None) or found.name)
    return code


Country = Annotated[str | None, Field(max_length=80), AfterValidator(_country)]


NUL_MESSAGE = "Null characters are not allowed."
# The largest integer (an id) a database column holds: SQLite cannot even compare a larger one.
MAX_ID = 2**63 - 1
# A record id given as input: beyond 64 bits it is a 422 naming it, not a database error.
RecordId = Annotated[int, Field(ge=-MAX_ID - 1, le=MAX_ID)]


def too_big(value: object) -> bool:
    """Whether an integer here, or in a list or dict here, does not fit in 64 bits."""
    if isinstance(value, int) and not isinstance(value, bool):
        return not -MAX_ID - 1 <= value <= MAX_ID
    if isinstance(value, dict):
        return any(too_big(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(too_big(item) for item in value)
    return False


def has_nul(value: object) -> bool:
    """Whether a NUL character is in this text, or in any text inside this list or dict
    (PostgreSQL cannot store one in a text column)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(key) or has_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(item) for item in value)
    return False


class InputSchema(BaseModel):
    """Input is strict about unknown fields: a misspelt field is an error, not silently lost;
    no text holds a NUL character (the same words as Django's forms) and no number is
    beyond what a database column holds."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        if has_nul(value):
            raise ValueError(NUL_MESSAGE)
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _fits_a_column(cls, value: object) -> object:
        if too_big(value):
            raise ValueError(f"At most {MAX_ID}.")
        return value


def _not_null(value: bool | None) -> bool | None:
    # Runs only on a value the input gave: a left-out field keeps its default (None).
    if value is None:
        raise ValueError("This field may not be null.")
    return value


# A yes/no column (NOT NULL): an input may leave it out, but not give it as null.
Flag = Annotated[bool | None, AfterValidator(_not_null), WithJsonSchema({"type": "boolean"})]


def blank_strings(values: dict[str, Any], string_fields: set[str]) -> dict[str, Any]:
    """Text columns store '' rather than NULL: map an explicit null to ''."""
    return {k: ("" if v is None and k in string_fields else v) for k, v in values.items()}


class OutputSchema(BaseModel):
    """Responses read model instances by attribute. Plain pydantic (not ninja.Schema, whose
    per-object attribute wrapper made a 200-row page ten times slower to serialize)."""

    model_config = ConfigDict(from_attributes=True)


def _key_of(value: object) -> object:
    return getattr(value, "key", value)


def _all_of(value: object) -> object:
    return list(value.all()) if hasattr(value, "all") else value  # related managers


# A related configuration record (status, stage, pipeline, lost reason) shown by its key.
KeyOf = Annotated[str, BeforeValidator(_key_of)]
# A to-many relation shown as a list (prefetch it to keep the query count flat).
AllOf = BeforeValidator(_all_of)


# --- validation errors in words -----------------------------------------------------------


# Pydantic error type -> the product's words ({...} from the error's context). Types not
# listed keep pydantic's message (validators in this project already write product words).
ERROR_WORDS: dict[str, str] = {
    "missing": "This field is required.",
    "string_too_long": "At most {max_length} characters.",
    "string_too_short": "At least {min_length} characters.",
    "too_long": "At most {max_length} items.",
    "too_short": "At least {min_length} items.",
    "extra_forbidden": "Unknown field.",
    "greater_than": "Must be more than {gt}.",
    "greater_than_equal": "Must be {ge} or more.",
    "less_than": "Must be less than {lt}.",
    "less_than_equal": "Must be {le} or less.",
    "int_parsing": "Enter a whole number.",
    "int_from_float": "Enter a whole number.",
    "int_type": "Enter a whole number.",
    "float_parsing": "Enter a number.",
    "float_type": "Enter a number.",
    "decimal_parsing": "Enter a number.",
    "decimal_type": "Enter a number.",
    "decimal_max_digits": "At most {max_digits} digits.",
    "decimal_max_places": "At most {decimal_places} decimal places.",
    "decimal_whole_digits": "At most {whole_digits} digits before the decimal point.",
    "finite_number": "Enter a number.",
    "bool_parsing": "Choose yes or no.",
    "bool_type": "Choose yes or no.",
    "date_parsing": "Enter a date as YYYY-MM-DD.",
    "date_from_datetime_parsing": "Enter a date as YYYY-MM-DD.",
    "date_from_datetime_inexact": "Enter a date without a time.",
    "date_type": "Enter a date as YYYY-MM-DD.",
    "datetime_parsing": "Enter a date and time (YYYY-MM-DDTHH:MM).",
    "datetime_from_date_parsing": "Enter a date and time (YYYY-MM-DDTHH:MM).",
    "datetime_type": "Enter a date and time (YYYY-MM-DDTHH:MM).",
    "string_type": "Enter text.",
    "url_parsing": "Enter a full web address (https://...).",
    "url_scheme": "Enter a web address starting with {expected_schemes}.",
    "url_type": "Enter a full web address (https://...).",
    "string_pattern_mismatch": "Enter a value in the expected format.",
    "literal_error": "Choose one of: {expected}.",
    "enum": "Choose one of: {expected}.",
    "list_type": "Enter a list.",
    "dict_type": "Enter an object.",
    "model_type": "Enter an object.",
    "json_invalid": "Invalid JSON.",
}


def error_message(error: Mapping[str, Any]) -> str:
    """One pydantic error in words a salesperson reads without a manual: the one mapping for
    the API's problem documents, the forms' field errors and the importer's row reports."""
    kind, context = error.get("type", ""), error.get("ctx") or {}
    if kind == "string_too_short" and context.get("min_length") == 1:
        return ERROR_WORDS["missing"]
    words = ERROR_WORDS.get(kind)
    if words is not None:
        try:
            return words.format(**context)
        except (KeyError, IndexError):
            pass  # a context without the number: pydantic's own message below
    message = str(error.get("msg", "Enter a valid value."))
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def error_field(loc: Sequence[Any]) -> str:
    """Where an error is, as the caller named it: ("body", "payload", "email") -> "email";
    ("query", "limit") -> "limit"; ("fields", "email") -> "fields.email"."""
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[2:] if len(parts) > 2 else parts[1:]
    elif parts and parts[0] in {"query", "path", "header", "cookie", "form"}:
        parts = parts[1:]
    return ".".join(parts)


def field_errors(errors: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Pydantic's (or Ninja's) errors as {field: [messages]}, the shape every entry point
    reports: problem JSON in the API, messages at the field in forms, row reports in imports.
    An error about the whole input is under ``"body"``."""
    found: dict[str, list[str]] = {}
    for error in errors:
        found.setdefault(error_field(error.get("loc", ())) or "body", []).append(
            error_message(error)
        )
    return found
