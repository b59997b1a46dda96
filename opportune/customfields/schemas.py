"""Custom field definitions in the API (/api/v1/custom-fields), and the ``custom`` object
records take and give: ``{key: value}``, each value checked by its field's type validator
(customfields/types.py) in the service that writes the record."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, JsonValue, WithJsonSchema

from opportune.schemas import InputSchema, Key, OutputSchema

from .models import FieldType, Kind

KindValue = Literal["lead", "account", "contact", "opportunity"]
TypeValue = Literal[
    "text",
    "long_text",
    "number",
    "currency",
    "percent",
    "date",
    "checkbox",
    "picklist",
    "multi_picklist",
    "url",
    "email",
    "phone",
]
assert set(KindValue.__args__) == set(Kind.values)  # type: ignore[attr-defined]
assert set(TypeValue.__args__) == set(FieldType.values)  # type: ignore[attr-defined]

CUSTOM_DESCRIPTION = (
    "Custom field values by key (GET /custom-fields lists each kind's fields and types). "
    "Text, long_text, url, email, phone: a string; number, currency, percent: a number; "
    "date: YYYY-MM-DD; checkbox: true/false; picklist: a value key; multi_picklist: a list "
    "of value keys. On a change, a key left out keeps its value and null clears it."
)
_VALUE_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string"},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "array", "items": {"type": "string"}},
        {"type": "null"},
    ]
}
# The ``custom`` member of a record's input.
CustomIn = Annotated[
    dict[Annotated[str, Field(max_length=40)], JsonValue] | None,
    WithJsonSchema(
        {
            "type": "object",
            "description": CUSTOM_DESCRIPTION,
            "additionalProperties": _VALUE_SCHEMA,
        }
    ),
]
# ... and of its output.
CustomOut = Annotated[
    dict[str, Any],
    WithJsonSchema(
        {
            "type": "object",
            "description": "Custom field values by key (GET /custom-fields); blanks left out.",
            "additionalProperties": _VALUE_SCHEMA,
        }
    ),
]


class ValueIn(InputSchema):
    key: Key
    label: str = Field("", max_length=80)
    retired: bool = False


class FieldChanges(InputSchema):
    label: str | None = Field(None, min_length=1, max_length=80)
    help_text: str | None = Field(None, max_length=255)
    required: bool | None = None
    position: int | None = Field(None, ge=0, le=10_000)
    values: list[ValueIn] | None = Field(
        None,
        max_length=500,
        description="Picklists: every value in order; a value is retired, never removed.",
    )
    maps_to: str | None = Field(
        None,
        max_length=60,
        description="Lead fields: the account, contact or opportunity field (kind.key) "
        "conversion copies the value to; null for none.",
    )


class FieldCreate(FieldChanges):
    kind: KindValue
    key: Key
    label: str = Field(min_length=1, max_length=80)
    type: TypeValue
    help_text: str = Field("", max_length=255)
    required: bool = False


class ValueOut(OutputSchema):
    key: str
    label: str
    retired: bool


class FieldOut(OutputSchema):
    id: int
    kind: str
    key: str
    label: str
    type: str
    required: bool
    help_text: str
    position: int
    values: Annotated[list[ValueOut], Field(default_factory=list)]
    maps_to: str | None

    @classmethod
    def of(cls, field: Any) -> FieldOut:
        target = field.maps_to
        return cls(
            id=field.pk,
            kind=field.kind,
            key=field.key,
            label=field.label,
            type=field.type,
            required=field.required,
            help_text=field.help_text,
            position=field.position,
            values=[ValueOut.model_validate(v) for v in field.values.all()],
            maps_to=f"{target.kind}.{target.key}" if target else None,
        )
