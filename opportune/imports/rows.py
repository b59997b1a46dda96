"""From a CSV row to validated input: mapped cells, translated values, resolved owners and
statuses, and row-level errors that name the file's column."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from pydantic import BaseModel, ValidationError

from opportune.identity import policy
from opportune.identity.models import Role, User
from opportune.schemas import error_message

from .mapping import Mapping
from .models import RowIssue
from .picklists import Picklist
from .reading import Row

NUMERIC_FIELDS = {"annual_revenue", "employees", "budget_amount", "amount", "probability"}
DATE_FIELDS = {"close_date", "expected_purchase_date", "due_date"}
_NUMBER_NOISE = re.compile(r"[\s$€£,%]")
_ISO_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[ T][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$")
_SLASHED_DATE = re.compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{2}|\d{4})")


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
    # When the record was created in the other system (a 'created date' column), if given.
    created_at: dt.datetime | None = None


class OwnerDirectory:
    """Users by id, username, email and full name (one query per job, not one per row), and
    whether each may own the kind of record imported (the policy's ``may_own``)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.by_name: dict[str, User] = {}
        # Active users first: a deactivated namesake never hides an active user.
        for user in User.objects.order_by("-is_active", "pk"):
            for name in (str(user.pk), user.username, user.email, user.get_full_name()):
                if name:
                    self.by_name.setdefault(name.strip().casefold(), user)

    def find(self, name: str) -> User | None:
        return self.by_name.get(name.strip().casefold())

    def refusal(self, user: User) -> str:
        """Why ``user`` may not own these records ('' when they may)."""
        if policy.may_own(user, self.kind):
            return ""
        plural = {"opportunity": "opportunities", "activity": "activities"}.get(
            self.kind, f"{self.kind}s"
        )
        if not user.is_active:
            return f"{user.username} is deactivated and cannot own {plural}."
        being = _ROLE_WORDS.get(user.role, f"is a {user.get_role_display().lower()}")
        return f"{user.username} {being} and cannot own {plural}."


_ROLE_WORDS: dict[str, str] = {Role.READ_ONLY: "is read-only", Role.MARKETING: "is in marketing"}


def clean_number(value: str) -> str:
    value = _NUMBER_NOISE.sub("", value)
    if value.endswith(".0"):
        value = value[:-2]
    return value


def clean_date(value: str, order: str = "mdy") -> str:
    """ISO dates as they are; a date-time's date ('2024-03-31 14:05', '2024-03-31T14:05:00Z',
    as HubSpot and Pipedrive export); '3/31/2024' (Salesforce reports, US locale), or
    '31/3/2024' and '31.3.2024' with the option ``date_order`` "dmy"."""
    found = _ISO_DATE.match(value)
    if found:
        return found.group(1)
    found = _SLASHED_DATE.fullmatch(value)
    if found:
        first, second, year = (int(part) for part in found.groups())
        month, day = (second, first) if order == "dmy" or "." in value else (first, second)
        if year < 100:
            year += 2000
        return f"{year:04d}-{month:02d}-{day:02d}"
    return value


def parse_moment(value: str, order: str = "mdy") -> dt.datetime | None:
    """A created date as exports write it ('2024-02-01T09:00:00.000Z', '2024-03-01 10:00',
    '3/14/2024'), as an aware date-time (UTC when the file gives no offset); None when it
    is not a date."""
    text = value.strip()
    moment = None
    if len(text) > 10 and _ISO_DATE.match(text):
        moment = parse_datetime(text.replace(" ", "T", 1))
    if moment is None:
        day = parse_date(clean_date(text, order))
        moment = dt.datetime.combine(day, dt.time()) if day else None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt.UTC)
    return moment


def mapped_values(
    mapping: Mapping, row: Row, picklists: dict[str, Picklist] | None = None
) -> tuple[dict[str, str], list[Issue]]:
    """{field: cell} after translation, placeholders dropped, defaults filled, names split;
    and the row's picklist values that map to nothing, one issue per column."""
    picklists = picklists or {}
    values: dict[str, str] = {}
    unmapped: list[Issue] = []
    for header, name in mapping.columns.items():
        if not name:
            continue  # skipped
        raw = row.values.get(header, "")
        value = mapping.translate(name, raw)
        if value is None:
            value = raw.strip()
        if value and name in picklists:
            key = picklists[name].find(value)
            if key is None:
                unmapped.append(unmapped_issue(row.line, header, name, raw, picklists[name]))
                continue
            value = key
        if value:
            values[name] = _cleaned(name, value, mapping)
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
    stage = values.pop("lifecycle_stage", "")
    if stage and not values.get("status"):
        values["status"] = stage  # HubSpot: the lifecycle stage when there is no lead status
    return values, unmapped


def _cleaned(name: str, value: str, mapping: Mapping) -> str:
    if name in NUMERIC_FIELDS:
        return clean_number(value)
    if name in DATE_FIELDS:
        return clean_date(value, str(mapping.options.get("date_order") or "mdy"))
    return value


def unmapped_issue(line: int, header: str, name: str, raw: str, picklist: Picklist) -> Issue:
    reason = (
        f"'{raw.strip()}' is not a {name} value: map it to one ({picklist.described()}), "
        f"{'to a new value, ' if picklist.adds else ''}or to blank."
    )
    return Issue(line, header, reason, raw.strip()[:255], RowIssue.UNMAPPED_VALUE)


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
    header = mapping.header_of("owner")
    if owner is None:
        if mapping.options.get("unknown_owner") == "assign":
            return None
        return Issue(row.line, header, f"No user is named '{name}'.", name[:255])
    refusal = owners.refusal(owner)
    if refusal:
        return Issue(row.line, header, refusal, name[:255])
    return owner
