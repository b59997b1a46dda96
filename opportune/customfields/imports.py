"""Custom fields as import and export columns, named ``custom.<key>`` (the header an export
writes, so a file round-trips): kept apart from the importer's own mapping code, which only
calls these."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from opportune.errors import RuleViolation

from .models import CustomField
from .services import apply_custom, fields_of

PREFIX = "custom."
# The importer's targets as the kinds custom fields are defined on.
KIND_OF_TARGET = {
    "leads": "lead",
    "accounts": "account",
    "contacts": "contact",
    "opportunities": "opportunity",
}


def custom_columns(headers: list[str]) -> dict[str, str]:
    """Headers that name a custom field map to it by themselves."""
    return {header: header for header in headers if header.startswith(PREFIX)}


def fold(values: dict[str, Any]) -> None:
    """Move the row's ``custom.<key>`` cells into its ``custom`` object (the schema's)."""
    custom = {
        name.removeprefix(PREFIX): values.pop(name)
        for name in [n for n in values if n.startswith(PREFIX)]
    }
    if custom:
        values["custom"] = custom


class RowFields:
    """A kind's fields, read once per import; each row's values cleaned against them."""

    def __init__(self, target: str, *, creating: bool) -> None:
        # Rows only create records (no match key): required fields are checked per row.
        self.creating = creating
        self.kind = KIND_OF_TARGET.get(target, "")
        self._fields = {f.key: f for f in fields_of(self.kind)} if self.kind else {}

    def fields(self) -> dict[str, CustomField]:
        return self._fields

    def clean(self, data: BaseModel) -> dict[str, list[str]]:
        """Clean ``data.custom`` in place; the errors by column (``custom.<key>``)."""
        given = getattr(data, "custom", None)
        if not given and not (self.creating and any(f.required for f in self._fields.values())):
            return {}
        given = given or {}

        class Holder:
            custom: dict[str, Any] = {}

        holder = Holder()
        try:
            apply_custom(
                holder,  # type: ignore[arg-type]
                self.kind,
                given,
                creating=self.creating,
                fields=self.fields(),
            )
        except RuleViolation as refused:
            return refused.errors
        # Cleared cells are kept as None: an update by match key clears the value.
        data.custom = {key: holder.custom.get(key) for key in given}  # type: ignore[attr-defined]
        return {}


def export_columns(kind: str) -> list[CustomField]:
    return fields_of(kind)


def export_cells(fields: list[CustomField], custom: dict[str, Any] | None) -> list[Any]:
    """One record's custom cells as the importer reads them back (picklists by key,
    multi-select keys joined by ';')."""
    custom = custom or {}
    cells: list[Any] = []
    for field in fields:
        value = custom.get(field.key)
        if isinstance(value, list):
            value = ";".join(str(item) for item in value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        cells.append("" if value is None else value)
    return cells


def column_names(target: str) -> list[str]:
    """The ``custom.<key>`` fields a column of a ``target`` file may fill."""
    kind = KIND_OF_TARGET.get(str(target), "")
    return [f"{PREFIX}{f.key}" for f in fields_of(kind)] if kind else []


def picklists(target: str) -> dict[str, Any]:
    """The single-choice custom picklists of a ``target`` file, as the importer's
    ``Picklist``s, so their file values map onto keys like built-in picklists'."""
    from opportune.imports.picklists import Picklist

    from .models import FieldType

    kind = KIND_OF_TARGET.get(str(target), "")
    found: dict[str, Any] = {}
    for f in fields_of(kind) if kind else []:
        if f.type == FieldType.PICKLIST:
            choices = {v.key: v.label for v in f.values.all() if not v.retired}
            found[f"{PREFIX}{f.key}"] = Picklist(f"{PREFIX}{f.key}", choices)
    return found
