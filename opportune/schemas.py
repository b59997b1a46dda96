"""Validation helpers shared by every app's schemas (API, forms and import use the same ones)."""

from __future__ import annotations

from typing import Annotated

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field


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


class InputSchema(BaseModel):
    """Input is strict about unknown fields: a misspelt field is an error, not silently lost."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def blank_strings(values: dict[str, object], string_fields: set[str]) -> dict[str, object]:
    """Text columns store '' rather than NULL: map an explicit null to ''."""
    return {k: ("" if v is None and k in string_fields else v) for k, v in values.items()}
