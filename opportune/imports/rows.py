"""From a CSV row to validated input: mapped cells, translated values, resolved owners and
statuses, and row-level errors that name the file's column."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError

from opportune.identity import policy
from opportune.identity.models import User
from opportune.schemas import error_message

from .mapping import Mapping
from .models import RowIssue
from .reading import Row

NUMERIC_FIELDS = {"annual_revenue", "employees", "budget_amount", "amount", "probability"}
_NUMBER_NOISE = re.compile(r"[\s$€£,]")


@dataclass
class Issue:
    line: int
    column: str
    reason: str
    value: str = ""
    kind: str = RowIssue.INVALID


class CheckedRow(Protocol):
    """A row that passed its checks: where it came from and its id in the other system."""

    line: int
    external_id: str


@dataclass
class Prepared:
    """A row validated by its target's input schema, with its owner."""

    line: int
    data: BaseModel
    owner: User | None = None
    external_id: str = ""


class OwnerDirectory:
    """Active users by id, username, email and full name (one query per job, not one per
    row), and whether each may own the kind of record imported."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.by_name: dict[str, User] = {}
        for user in User.objects.filter(is_active=True):
            for name in (str(user.pk), user.username, user.email, user.get_full_name()):
                if name:
                    self.by_name.setdefault(name.strip().casefold(), user)

    def find(self, name: str) -> User | None:
        return self.by_name.get(name.strip().casefold())


def clean_number(value: str) -> str:
    value = _NUMBER_NOISE.sub("", value)
    if value.endswith(".0"):
        value = value[:-2]
    return value


def mapped_values(mapping: Mapping, row: Row) -> dict[str, str]:
    """{field: cell} after translation, placeholders dropped, defaults filled, names split."""
    values: dict[str, str] = {}
    for header, name in mapping.columns.items():
        value = mapping.translate(name, row.values.get(header, ""))
        if value:
            values[name] = clean_number(value) if name in NUMERIC_FIELDS else value
    for name, default in mapping.defaults.items():
        if not values.get(name) and default not in (None, ""):
            values[name] = str(default)
    scale = mapping.options.get("scale") or {}
    for name, factor in scale.items():
        if values.get(name):
            with contextlib.suppress(InvalidOperation):
                values[name] = str(Decimal(values[name]) * Decimal(str(factor)))
    full_name = values.pop("full_name", "")
    if full_name and not values.get("last_name"):
        first, _, last = full_name.strip().rpartition(" ")
        values["last_name"] = last
        if first and not values.get("first_name"):
            values["first_name"] = first
    return values


def validate(
    schema: type[BaseModel], values: dict[str, Any], mapping: Mapping, row: Row
) -> BaseModel | list[Issue]:
    """The row as the shared input schema, or its errors by column."""
    try:
        return schema.model_validate(values)
    except ValidationError as exc:
        issues = []
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else ""
            header = mapping.header_of(name)
            raw = row.values.get(header, "")
            reason = error_message(error)
            if error["type"] == "missing":
                reason = f"'{name}' is required."
            elif error["type"] == "literal_error":
                reason = f"'{raw}' is not a known {name} value; map it to one. {reason}"
            issues.append(Issue(row.line, header, reason, raw[:255]))
        return issues


def resolve_owner(
    owners: OwnerDirectory, mapping: Mapping, values: dict[str, Any], row: Row
) -> User | Issue | None:
    """The owner named in the row; an unknown name is an error unless the mapping's option
    ``unknown_owner`` is ``assign`` (the assignment rules, else the importer, decide)."""
    name = values.pop("owner", "")
    if not name:
        return None
    owner = owners.find(name)
    if owner is None and mapping.options.get("unknown_owner") != "assign":
        header = mapping.header_of("owner")
        return Issue(row.line, header, f"No active user is named '{name}'.", name[:255])
    if owner is not None and not policy.may_own(owner, owners.kind):
        header = mapping.header_of("owner")
        reason = f"{owner} ({owner.get_role_display()}) cannot own {owners.kind} records."
        return Issue(row.line, header, reason, name[:255])
    return owner
