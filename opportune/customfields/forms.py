"""Custom fields in the record forms: one form field per definition, named ``custom.<key>``
(the name the service's errors use, so they land at the field). Form fields only parse what
a browser sends; the type validators (types.py) decide, through the record's service."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from opportune.web.forms import DateInput

from .models import NUMBERS, CustomField, FieldType
from .services import fields_of

PREFIX = "custom."


def _form_field(field: CustomField, current: Any) -> forms.Field:
    common: dict[str, Any] = {
        "label": field.label,
        "required": False,
        "help_text": field.help_text,
    }
    kind = field.type
    if kind in {FieldType.PICKLIST, FieldType.MULTI_PICKLIST}:
        held = set(current) if isinstance(current, list) else {current}
        # Retired values are offered only to the records that have them.
        choices = [(v.key, v.label) for v in field.values.all() if not v.retired or v.key in held]
        if kind == FieldType.PICKLIST:
            return forms.ChoiceField(choices=[("", "—"), *choices], **common)
        return forms.MultipleChoiceField(
            choices=choices, widget=forms.CheckboxSelectMultiple, **common
        )
    if kind == FieldType.CHECKBOX:
        return forms.BooleanField(**common)
    if kind == FieldType.DATE:
        return forms.DateField(widget=DateInput(), **common)
    if kind == FieldType.LONG_TEXT:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **common)
    attrs = {"inputmode": "decimal"} if kind in NUMBERS else {}
    if kind in {FieldType.EMAIL, FieldType.URL, FieldType.PHONE}:
        attrs = {"type": {"email": "email", "url": "url", "phone": "tel"}[kind]}
    return forms.CharField(widget=forms.TextInput(attrs=attrs), **common)


def add_fields(form: forms.BaseForm, kind: str) -> list[str]:
    """Add the kind's custom fields to the form (initial values from ``initial["custom"]``);
    their names, in order."""
    current: dict[str, Any] = dict(form.initial.get("custom") or {})
    names = []
    for field in fields_of(kind):
        name = f"{PREFIX}{field.key}"
        form.fields[name] = _form_field(field, current.get(field.key))
        form.fields[name].show_required = field.required  # type: ignore[attr-defined]
        if field.key in current:
            form.initial[name] = current[field.key]
        names.append(name)
    return names


def fold(data: dict[str, Any]) -> None:
    """Move the form's ``custom.<key>`` values into the schema's ``custom`` object."""
    custom: dict[str, Any] = {}
    for name in [n for n in data if n.startswith(PREFIX)]:
        value = data.pop(name)
        if isinstance(value, dt.date):
            value = value.isoformat()
        custom[name.removeprefix(PREFIX)] = None if value in ("", []) else value
    if custom:
        data["custom"] = custom
