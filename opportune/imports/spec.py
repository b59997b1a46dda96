"""The mapping JSON the CLI takes, the API accepts and the wizard downloads, checked before
any row is read: its shape, the fields it names, the values it maps picklist values to and
the picklist values it adds. Every refusal is a ``RuleViolation`` on ``mapping`` that names
what is wrong, the same in the CLI, the API and the UI.

    {"name": "…", "target": "leads",
     "columns": {"Given": "first_name", "Notes": ""},           # header -> field ('' skips)
     "values": {"status": {"Open - Not Contacted": "new"}},     # field -> {file value: key}
     "new_values": {"status": {"on_hold": "On hold"}},          # field -> {key: label}
     "defaults": {"company": "(individual)"},                   # field -> value when blank
     "options": {"unknown_owner": "assign", "date_order": "dmy", "scale": {...}},
     "custom_fields": {"visits": {"label": "Visits", "type": "number"},  # key -> field
                       "heard": {"label": "Heard of us", "type": "picklist",
                                 "values": {"online_search": "Online Search"}}}}

A ``custom_fields`` part declares the custom fields the file's unmatched columns fill
(mapped as ``custom.<key>`` under "columns"); ``create_custom_fields`` makes them when the
job is created, reusing a field of the same key and type.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from django.core.validators import slug_re

from opportune.errors import RuleViolation, field_error
from opportune.identity import policy
from opportune.identity.models import User

from .mapping import fields_of
from .models import Target
from .picklists import Picklist, fold
from .picklists import load as load_picklists

PARTS = (
    "name",
    "target",
    "columns",
    "values",
    "new_values",
    "defaults",
    "options",
    "custom_fields",
)
OPTIONS = ("unknown_owner", "scale", "date_order")
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# Set by the custom fields app: the types a declared field may have, and the function
# (actor, target, {key: declaration}) that creates (or reuses) the declared fields.
CUSTOM_FIELD_TYPES: tuple[str, ...] = ()
CUSTOM_FIELD_PICKLISTS: tuple[str, ...] = ()
CUSTOM_FIELD_CREATOR: Callable[[User, str, dict[str, Any]], None] | None = None
DECLARATION = ("label", "type", "values", "required", "help_text")
MAX_DECLARED_VALUES = 500


def refuse(message: str) -> RuleViolation:
    return field_error("mapping", f"The mapping is refused: {message}")


def parse(text: str) -> dict[str, Any]:
    try:
        given = json.loads(text)
    except ValueError as exc:
        raise refuse(f"it is not valid JSON ({exc}).") from exc
    if not isinstance(given, dict):
        raise refuse('it must be a JSON object such as {"columns": {...}}.')
    return given


def check(target: str, given: dict[str, Any]) -> None:
    """Refuse a mapping of the wrong shape, or naming fields or keys ``target`` has not."""
    unknown = [key for key in given if key not in PARTS]
    if unknown:
        hint = ""
        if all(isinstance(given[k], str) for k in unknown):
            shown = json.dumps({k: given[k] for k in unknown[:3]})
            hint = f' Column names go under "columns": {{"columns": {shown}}}.'
        raise refuse(
            f"it has no part {', '.join(repr(k) for k in unknown)}; its parts are "
            f"{', '.join(PARTS)}.{hint}"
        )
    for part in ("columns", "values", "new_values", "defaults", "options", "custom_fields"):
        if part in given and not isinstance(given[part], dict):
            raise refuse(f'"{part}" must be a JSON object, not {json.dumps(given[part])}.')
    if "target" in given and given["target"] not in Target.values:
        raise refuse(f"its target '{given['target']}' is not one of {', '.join(Target.values)}.")
    if given.get("custom_fields") and target == Target.ACTIVITIES:
        raise refuse('activities have no custom fields: remove "custom_fields".')
    fields = set(fields_of(target)) | {
        f"custom.{key}" for key in _check_declared(given.get("custom_fields") or {})
    }
    for header, name in (given.get("columns") or {}).items():
        if not isinstance(name, str) or (name and name not in fields):
            raise refuse(
                f"column '{header}' maps to {json.dumps(name)}, which is not a field of "
                f'{target} (map it to one of {", ".join(sorted(fields))}, or to "" to skip it).'
            )
    for name in given.get("defaults") or {}:
        if name not in fields:
            raise refuse(f"it gives a default for '{name}', which is not a field of {target}.")
    for name in given.get("options") or {}:
        if name not in OPTIONS:
            raise refuse(f"it has no option '{name}' (options: {', '.join(OPTIONS)}).")
    _check_values(target, given, fields)


def _check_declared(declared: dict[str, Any]) -> list[str]:
    """The keys of the custom fields a mapping declares, once each declaration's shape is
    right: {key: {"label": …, "type": …, "values": {key: label}}}."""
    if declared and CUSTOM_FIELD_CREATOR is None:
        raise refuse('custom fields are not available; remove "custom_fields".')
    for key, declaration in declared.items():
        where = f'custom field "{key}"'
        if not _KEY.match(key):
            raise refuse(f"the {where} needs a key of lowercase letters, digits and _.")
        if not isinstance(declaration, dict):
            raise refuse(f'the {where} must be {{"label": …, "type": …}}.')
        extra = [name for name in declaration if name not in DECLARATION]
        if extra:
            raise refuse(f"the {where} has no '{extra[0]}' (it has {', '.join(DECLARATION)}).")
        label, kind = declaration.get("label", key), declaration.get("type")
        if not isinstance(label, str) or not label.strip() or len(label) > 80:
            raise refuse(f"the {where} needs a label of at most 80 characters.")
        if kind not in CUSTOM_FIELD_TYPES:
            raise refuse(
                f"the {where} has type {json.dumps(kind)}; use one of "
                f"{', '.join(CUSTOM_FIELD_TYPES)}."
            )
        if not isinstance(declaration.get("required", False), bool):
            raise refuse(f'the {where} has "required" true or false.')
        help_text = declaration.get("help_text", "")
        if not isinstance(help_text, str) or len(help_text) > 255:
            raise refuse(f'the {where} has a "help_text" of at most 255 characters.')
        values = declaration.get("values")
        if kind in CUSTOM_FIELD_PICKLISTS:
            if not isinstance(values, dict) or not 0 < len(values) <= MAX_DECLARED_VALUES:
                raise refuse(
                    f'the {where} is a picklist: give its "values" as {{key: label}} '
                    f"(1 to {MAX_DECLARED_VALUES})."
                )
            for value, text in values.items():
                if not (
                    _KEY.match(value) and isinstance(text, str) and 0 < len(text.strip()) <= 80
                ):
                    raise refuse(
                        f"the {where} value '{value}' needs a key of lowercase letters, "
                        "digits and _ and a label of at most 80 characters."
                    )
        elif values:
            raise refuse(f"the {where} is a {kind} field: only picklists have values.")
    return list(declared)


def create_custom_fields(actor: User, target: str, declared: dict[str, Any]) -> None:
    """Create the declared custom fields (admins only), or reuse those that exist with the
    same key and type; run in the transaction that creates the import job."""
    if declared and CUSTOM_FIELD_CREATOR is not None:
        CUSTOM_FIELD_CREATOR(actor, target, declared)


def _check_values(target: str, given: dict[str, Any], fields: set[str]) -> None:
    picklists = load_picklists(target)
    for name, added in (given.get("new_values") or {}).items():
        picklist = picklists.get(name)
        if picklist is None or picklist.adds is None:
            raise refuse(f"new values cannot be added to '{name}' (its values are fixed).")
        if not isinstance(added, dict):
            raise refuse(f'"new_values" of {name} must be {{key: label}}.')
        for key, label in added.items():
            if not (isinstance(key, str) and _KEY.match(key) and slug_re.match(key)):
                raise refuse(f"the new {name} key '{key}' must be lowercase letters, digits, _.")
            if not isinstance(label, str) or not label.strip():
                raise refuse(f"the new {name} value '{key}' needs a label.")
        picklists[name] = picklist.with_new(added)
    for name, mapped in (given.get("values") or {}).items():
        if name not in fields and name != "lifecycle_stage":
            raise refuse(f"it maps values of '{name}', which is not a field of {target}.")
        if not isinstance(mapped, dict):
            raise refuse(f'"values" of {name} must be {{file value: stored value}}.')
        for value, key in mapped.items():
            if not isinstance(key, str):
                raise refuse(f"'{value}' of {name} maps to {json.dumps(key)}, not to a text.")
            _check_key(picklists.get(name), name, value, key)


def _check_key(picklist: Picklist | None, name: str, value: str, key: str) -> None:
    if picklist is None or not key.strip() or picklist.find(key) is not None:
        return
    raise refuse(
        f"'{value}' of {name} maps to '{key}', which is not a {name} value "
        f'({picklist.described()}); add it under "new_values" to create it.'
    )


def add_new_values(actor: User, target: str, new_values: dict[str, dict[str, str]]) -> None:
    """Create the picklist values a real import adds (settings: admins only)."""
    if not new_values:
        return
    if not policy.may_configure(actor, "picklist"):
        raise field_error("mapping", "Only an admin adds picklist values; map the value instead.")
    picklists = load_picklists(target)
    for name, added in new_values.items():
        picklist = picklists[name]
        assert picklist.adds is not None  # checked by ``check``
        for key, label in added.items():
            if fold(key) not in {fold(k) for k in picklist.choices}:
                picklist.adds(key, label.strip())
