"""Custom fields as optional columns of the UI lists: ``?columns=custom.tier,custom.visits``
(or ``columns`` repeated, as the list's "Columns" checkboxes send it). The definitions are
read once per page (two queries, with their picklist values), so each row's cells are
rendered by label from memory: no query per row."""

from __future__ import annotations

from typing import Any

from .filters import PREFIX
from .models import CustomField
from .services import display, fields_of


def chosen_keys(given: list[str]) -> list[str]:
    """The keys named by the ``columns`` parameter(s), once each, in the order given."""
    keys = [
        part.strip().removeprefix(PREFIX)
        for value in given
        for part in str(value).split(",")
        if part.strip()
    ]
    return list(dict.fromkeys(keys))


def custom_columns(kind: str, given: list[str]) -> dict[str, Any]:
    """The list's context: ``column_choices`` (every field of the kind, with whether it is
    shown) and ``custom_columns`` (the shown ones, in the order asked; unknown keys are
    left out)."""
    if not kind:
        return {"column_choices": [], "custom_columns": []}
    fields = {field.key: field for field in fields_of(kind)}
    keys = [key for key in chosen_keys(given) if key in fields]
    return {
        "column_choices": [(field, field.key in keys) for field in fields.values()],
        "custom_columns": [fields[key] for key in keys],
    }


def cell(field: CustomField, record: Any) -> str:
    """One record's value of a field as the list shows it (picklists by label)."""
    return display(field, (getattr(record, "custom", None) or {}).get(field.key))
