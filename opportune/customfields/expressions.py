"""A custom field's value as SQL, written the same way in its expression index and in the
filters that use it, so the database finds the index (a bound parameter in place of the
key would not match an index's literal)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.db import connection, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.functions import Cast, Coalesce
from django.db.models.sql.compiler import SQLCompiler

from .models import NUMBERS, CustomField, FieldType

_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]*")
MAX_SORT = Decimal("1e15")  # below any stored number (types.MAX_NUMBER)


def _output(field_type: str) -> models.Field[Any, Any]:
    if field_type in NUMBERS:
        # PostgreSQL indexes the value cast to numeric; SQLite's json_extract gives a REAL.
        if connection.vendor == "postgresql":
            return models.DecimalField(max_digits=30, decimal_places=10)
        return models.FloatField()
    if field_type == FieldType.CHECKBOX:
        return models.BooleanField()
    return models.TextField()


class CustomValue(models.Func):
    """``custom ->> 'key'`` (cast for numbers and checkboxes) on PostgreSQL,
    ``json_extract(custom, '$."key"')`` on SQLite. The key is a validated slug."""

    def __init__(self, key: str, field_type: str) -> None:
        super().__init__(models.F("custom"), output_field=_output(field_type))
        self.key = key
        self.field_type = field_type

    def as_sql(  # type: ignore[override]
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        **extra_context: Any,
    ) -> tuple[str, list[Any]]:
        column, params = compiler.compile(self.source_expressions[0])
        if not _SLUG.fullmatch(self.key):  # inlined into SQL: a validated key only
            raise ValueError(f"Not a custom field key: {self.key!r}")
        if connection.vendor == "postgresql":
            sql = f"({column} ->> '{self.key}')"
            if self.field_type in NUMBERS:
                sql = f"({sql}::numeric)"
            elif self.field_type == FieldType.CHECKBOX:
                sql = f"({sql}::boolean)"
            return sql, list(params)
        return f"JSON_EXTRACT({column}, '$.\"{self.key}\"')", list(params)


def value_of(field: CustomField) -> CustomValue:
    return CustomValue(field.key, field.type)


def number_param(value: Decimal | float) -> Any:
    """A bound for a number filter, in the type the database compares the values in."""
    return Decimal(str(value)) if connection.vendor == "postgresql" else float(value)


def sortable_value(field: CustomField) -> models.Func:
    """The value a list sorted by this field walks: never null (the keyset pager needs a
    value on every row), blank as the smallest of its type. Sorting by it reads every
    matching row; the field's index serves filters, not this sort."""
    blank: Any = ""
    if field.type in NUMBERS:
        blank = number_param(-MAX_SORT)
    elif field.type == FieldType.CHECKBOX:
        blank = False
    elif field.type == FieldType.MULTI_PICKLIST:
        return Coalesce(
            Cast(models.F(f"custom__{field.key}"), models.TextField()),
            models.Value(""),
        )
    value = value_of(field)
    return Coalesce(value, models.Value(blank, output_field=value.output_field))
