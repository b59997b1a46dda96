"""The filters of a kind's custom fields, generated from their definitions and added to the
kind's shared FilterSet (opportune/filtering.py), so the UI list, the API list and the
exports take the same parameters:

- picklist ``custom.<key>=emea,apac`` (any of the keys); multi-select the same (has any);
- number, currency, percent and date ``custom.<key>.min`` / ``custom.<key>.max`` (inclusive);
- checkbox ``custom.<key>=true|false``; text types ``custom.<key>`` (contains).

Picklists, numbers, dates and checkboxes compare the indexed expression (expressions.py).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import reduce
from operator import or_
from typing import Any

import django_filters as df
from django import forms
from django.db.models import Q, QuerySet

from opportune.filtering import StrictBooleanField
from opportune.web.forms import DateInput

from .expressions import number_param, value_of
from .models import NUMBERS, TEXTS, CustomField, FieldType
from .services import fields_of

PREFIX = "custom."


class KeyListField(forms.CharField):
    """Comma-separated picklist keys, each one of the field's."""

    def __init__(self, keys: list[str], **kwargs: Any) -> None:
        self.keys = keys
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = str(super().to_python(value) or "")
        chosen = [part.strip() for part in text.split(",") if part.strip()]
        unknown = [key for key in chosen if key not in self.keys]
        if unknown:
            raise forms.ValidationError(
                f"Unknown value '{unknown[0]}'; use one of: {', '.join(self.keys)}.",
                code="invalid",
            )
        return chosen


class CustomFilter(df.Filter):
    """One custom field's filter; ``bound`` is "min", "max" or "" (equals, in, contains)."""

    def __init__(self, field: CustomField, bound: str = "", **kwargs: Any) -> None:
        self.custom_field = field
        self.bound = bound
        kwargs.setdefault("label", f"{field.label} {bound}".strip())
        kwargs.setdefault("help_text", _help(field, bound))
        super().__init__(**kwargs)

    @property
    def field_class(self) -> type[forms.Field]:
        kind = self.custom_field.type
        if kind in NUMBERS:
            return forms.DecimalField
        if kind == FieldType.DATE:
            return forms.DateField
        if kind == FieldType.CHECKBOX:
            return StrictBooleanField
        return (
            KeyListField
            if kind in {FieldType.PICKLIST, FieldType.MULTI_PICKLIST}
            else forms.CharField
        )

    @property
    def field(self) -> forms.Field:
        if not hasattr(self, "_field"):
            extra: dict[str, Any] = {"required": False, "label": self.label}
            if self.custom_field.type in {FieldType.PICKLIST, FieldType.MULTI_PICKLIST}:
                extra["keys"] = [v.key for v in self.custom_field.values.all()]
            if self.custom_field.type == FieldType.DATE:
                extra["widget"] = DateInput()
            if self.custom_field.type in TEXTS:
                extra["max_length"] = 100
            self._field = self.field_class(**extra)
        return self._field

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        if value in (None, "", []):
            return qs
        field = self.custom_field
        alias = f"custom_{field.key.replace('-', '_')}"
        if field.type == FieldType.MULTI_PICKLIST:
            # Stored as a JSON list of keys: the list's text holds each key in quotes.
            lookup = f"custom__{field.key}__icontains"
            return qs.filter(reduce(or_, (Q(**{lookup: f'"{key}"'}) for key in value)))
        if field.type in TEXTS:
            return qs.filter(**{f"custom__{field.key}__icontains": value})
        qs = qs.alias(**{alias: value_of(field)})
        if field.type == FieldType.PICKLIST:
            return qs.filter(**{f"{alias}__in": value})
        if field.type == FieldType.CHECKBOX:
            chosen = Q(**{alias: True})
            return qs.filter(chosen if value else ~chosen | Q(**{f"{alias}__isnull": True}))
        bound = _bound(field, value)
        return qs.filter(**{f"{alias}__{'gte' if self.bound == 'min' else 'lte'}": bound})


def _bound(field: CustomField, value: Decimal | dt.date) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()  # stored as YYYY-MM-DD, which sorts as the dates do
    return number_param(value)


def _help(field: CustomField, bound: str) -> str:
    if bound:
        return f"{field.label}: {'at least' if bound == 'min' else 'at most'} (inclusive)."
    if field.type in {FieldType.PICKLIST, FieldType.MULTI_PICKLIST}:
        return f"{field.label}: one or more value keys, comma-separated."
    if field.type == FieldType.CHECKBOX:
        return f"{field.label}: true or false."
    return f"{field.label} contains."


def custom_filters(kind: str) -> dict[str, CustomFilter]:
    """The filters of a kind's custom fields, by parameter name."""
    found: dict[str, CustomFilter] = {}
    for field in fields_of(kind):
        name = f"{PREFIX}{field.key}"
        if field.type in NUMBERS or field.type == FieldType.DATE:
            found[f"{name}.min"] = CustomFilter(field, "min")
            found[f"{name}.max"] = CustomFilter(field, "max")
        else:
            found[name] = CustomFilter(field)
    return found


def search_lookups(kind: str) -> list[str]:
    """What the list search (``q``) looks into besides the built-in fields: each text, long
    text, email, phone and URL field's value (``custom__<key>``: ``->>`` on PostgreSQL,
    ``JSON_EXTRACT`` on SQLite, then a case-insensitive LIKE), read in one query."""
    keys = CustomField.objects.filter(kind=kind, type__in=TEXTS).values_list("key", flat=True)
    return [f"custom__{key}" for key in keys]


def asks_custom(params: Any) -> bool:
    return any(str(name).startswith(PREFIX) for name in params)
