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
    # Activities have no custom fields: their columns map to built-in fields or are skipped.
    "activities": "",
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


def create_declared(actor: Any, target: str, declared: dict[str, Any]) -> None:
    """The custom fields an import mapping declares (``imports/spec.py``): an existing field
    of the same key and type is reused; a new one is created by an admin only."""
    from opportune.errors import field_error
    from opportune.identity import policy

    from .schemas import FieldCreate, ValueIn
    from .services import CONFIGURE, define_field

    kind = KIND_OF_TARGET[target]
    existing = {f.key: f for f in fields_of(kind)}
    for key, declaration in declared.items():
        found = existing.get(key)
        if found is not None:
            if found.type != declaration["type"]:
                raise field_error(
                    "mapping",
                    f"The mapping is refused: custom field '{key}' exists as a {found.type} "
                    f"field, not {declaration['type']}; use another key or its type.",
                )
            continue
        if not policy.may_configure(actor, CONFIGURE):
            raise field_error(
                "mapping",
                f"Only an admin creates custom fields: ask one to create '{key}' "
                "or to run this import.",
            )
        values = declaration.get("values") or {}
        define_field(
            actor,
            FieldCreate(
                kind=kind,
                key=key,
                label=declaration.get("label") or key,
                type=declaration["type"],
                required=bool(declaration.get("required", False)),
                help_text=declaration.get("help_text") or "",
                values=[ValueIn(key=k, label=v) for k, v in values.items()] or None,
            ),
        )


MAX_PICKLIST_VALUES = 200


def value_key(label: str) -> str:
    """A picklist value's key from its label ('02.Medium' -> 'v_02medium')."""
    from opportune.imports.picklists import new_key

    key = new_key(label) or "value"
    return key if key[0].isalpha() else f"v_{key}"[:40]


def declare_for_column(
    actor: Any, target: str, header: str, type_: str, values: list[str]
) -> tuple[str, dict[str, Any]]:
    """The custom field the wizard's "New custom field" declares for a column: its key
    (from the header; an existing field of another type gets a numbered key) and its
    declaration, a picklist's values being the column's distinct values. Admins only."""
    from opportune.errors import field_error
    from opportune.identity import policy

    from .models import PICKLISTS
    from .services import CONFIGURE

    if not policy.may_configure(actor, CONFIGURE):
        raise field_error(
            "mapping", f"Only an admin creates custom fields: map '{header}' or skip it."
        )
    existing = {f.key: f.type for f in fields_of(KIND_OF_TARGET[target])}
    base = value_key(header)[:36]
    key, n = base, 1
    while existing.get(key, type_) != type_:
        n += 1
        key = f"{base}_{n}"
    declaration: dict[str, Any] = {"label": header[:80] or key, "type": type_}
    if type_ in PICKLISTS:
        distinct = sorted({v.strip() for v in values if v.strip()})
        if not distinct or len(distinct) > MAX_PICKLIST_VALUES:
            raise field_error(
                "mapping",
                f"'{header}' has {len(distinct)} distinct values: a picklist takes 1 to "
                f"{MAX_PICKLIST_VALUES}; make it a text field.",
            )
        declaration["values"] = {value_key(v): v for v in distinct}
    return key, declaration
