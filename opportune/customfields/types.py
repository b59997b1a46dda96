"""One validator per custom field type: the value given (API JSON, a form's text, an import
cell) to the value stored in the record's ``custom`` column, or a ``ValueError`` whose words
the API (422), the form (at the field) and the import (row report) show as they are."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from opportune.schemas import validate_email

from .models import FieldType

if TYPE_CHECKING:
    from .models import CustomField

MAX_TEXT = 255
MAX_LONG_TEXT = 32_000
# Stored as JSON numbers: beyond 15 significant digits a double would round them.
MAX_NUMBER = Decimal("999999999999.99")
_PHONE = re.compile(r"[0-9+()./\- ]+((ext\.?|x) ?[0-9]+)?", re.IGNORECASE)
_validate_url = URLValidator(schemes=["http", "https"])


def is_blank(value: object) -> bool:
    return value is None or value == "" or value == []


def _text(limit: int) -> Callable[[CustomField, Any], str]:
    def clean(field: CustomField, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("Enter text.")
        if len(value) > limit:
            raise ValueError(f"At most {limit} characters.")
        return value

    return clean


def _number(places: int | None) -> Callable[[CustomField, Any], int | float]:
    def clean(field: CustomField, value: Any) -> int | float:
        if isinstance(value, bool):
            raise ValueError("Enter a number.")
        try:
            number = Decimal(str(value).strip().replace(",", ""))
        except InvalidOperation:
            raise ValueError("Enter a number.") from None
        if not number.is_finite():
            raise ValueError("Enter a number.")
        if abs(number) > MAX_NUMBER:
            raise ValueError(f"At most {MAX_NUMBER:,} in size.")
        if places is not None:
            number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        return int(number) if number == number.to_integral_value() else float(number)

    return clean


def _percent(field: CustomField, value: Any) -> int | float:
    number = _number(2)(field, str(value).strip().removesuffix("%"))
    if not 0 <= number <= 100:
        raise ValueError("Enter a percentage between 0 and 100.")
    return number


def _date(field: CustomField, value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise ValueError("Enter a date as YYYY-MM-DD.") from None


def _checkbox(field: CustomField, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1", "yes", "on"}:
        return True
    if text in {"false", "0", "no", "off"}:
        return False
    raise ValueError("Use true or false.")


def _keys(field: CustomField) -> dict[str, str]:
    """The field's picklist values, by key and by label (imports and forms may give either)."""
    found: dict[str, str] = {}
    for value in field.values.all():
        found.setdefault(value.key, value.key)
        found.setdefault(value.label.casefold(), value.key)
    return found


def _choice(field: CustomField, value: Any) -> str:
    keys = _keys(field)
    text = str(value).strip() if isinstance(value, str | int) else None
    if text is None or (text not in keys and text.casefold() not in keys):
        listed = ", ".join(v.key for v in field.values.all() if not v.retired)
        raise ValueError(f"Unknown value '{value}'; use one of: {listed}.")
    return keys.get(text) or keys[text.casefold()]


def _choices(field: CustomField, value: Any) -> list[str]:
    if isinstance(value, str):
        value = [part for part in value.split(";") if part.strip()]
    if not isinstance(value, list):
        raise ValueError("Enter a list of values.")
    chosen = [_choice(field, item) for item in value]
    return list(dict.fromkeys(chosen))  # once each, in the order given


def _url(field: CustomField, value: Any) -> str:
    text = _text(MAX_TEXT)(field, value).strip()
    if "://" not in text:
        text = f"https://{text}"
    try:
        _validate_url(text)
    except ValidationError:
        raise ValueError("Enter a valid URL.") from None
    return text


def _email(field: CustomField, value: Any) -> str:
    text = _text(254)(field, value).strip().lower()
    try:
        validate_email(text)
    except ValidationError:
        raise ValueError("Enter a valid email address.") from None
    return text


def _phone(field: CustomField, value: Any) -> str:
    text = _text(40)(field, value).strip()
    if not _PHONE.fullmatch(text) or sum(ch.isdigit() for ch in text) < 3:
        raise ValueError("Enter a phone number (digits, spaces, + - . ( ) and ext).")
    return text


CLEAN: dict[str, Callable[[CustomField, Any], Any]] = {
    FieldType.TEXT: _text(MAX_TEXT),
    FieldType.LONG_TEXT: _text(MAX_LONG_TEXT),
    FieldType.NUMBER: _number(None),
    FieldType.CURRENCY: _number(2),
    FieldType.PERCENT: _percent,
    FieldType.DATE: _date,
    FieldType.CHECKBOX: _checkbox,
    FieldType.PICKLIST: _choice,
    FieldType.MULTI_PICKLIST: _choices,
    FieldType.URL: _url,
    FieldType.EMAIL: _email,
    FieldType.PHONE: _phone,
}


def clean_value(field: CustomField, value: Any) -> Any:
    """The value to store, None for a blank one; ``ValueError`` in words otherwise."""
    if isinstance(value, str):
        value = value.strip()
    if is_blank(value):
        return False if field.type == FieldType.CHECKBOX and value is not None else None
    return CLEAN[field.type](field, value)
