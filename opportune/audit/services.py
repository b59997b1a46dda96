"""Writing the field history of leads, accounts, contacts, opportunities and activities."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.db import models
from django.dispatch import Signal

from .models import FieldChange

CUSTOM = "custom"  # the JSON column of custom field values (opportune/customfields)

if TYPE_CHECKING:
    from opportune.identity.models import User


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, models.Model):
        return str(getattr(value, "key", None) or value.pk)
    if isinstance(value, list):  # a multi-select custom field's keys
        return "; ".join(str(item) for item in value)
    return str(value)


# Sent with ``rows`` (the FieldChange rows just inserted) inside the writing transaction: the
# one place other parts learn that records changed. Its one receiver, committed.py, hands a
# committed transaction's rows to webhooks and notifications (``after_commit``).
history_written = Signal()


def write_history(rows: list[FieldChange]) -> None:
    """Insert history rows (one INSERT for all) and announce them."""
    FieldChange.objects.bulk_create(rows)
    if rows:
        history_written.send(sender=FieldChange, rows=rows)


def snapshot(record: models.Model, fields: list[str]) -> dict[str, Any]:
    # Custom field values (a dict) are copied: the write changes them in place.
    return {
        name: dict(value) if isinstance(value := getattr(record, name), dict) else value
        for name in fields
    }


def _changed(before: dict[str, Any], after: dict[str, Any]) -> Iterator[tuple[str, Any, Any]]:
    """(field, old, new) of each change; each custom field is a field of its own
    (``custom.<key>``), as the history shows it ("Custom: <label>")."""
    for name in before:
        old, new = before[name], after[name]
        if name == CUSTOM and isinstance(old, dict) and isinstance(new, dict):
            for key in sorted(old.keys() | new.keys()):
                if old.get(key) != new.get(key):
                    yield f"{CUSTOM}.{key}", old.get(key), new.get(key)
        elif old != new:
            yield name, old, new


def record_changes(
    actor: User | None, record: models.Model, before: dict[str, Any], after: dict[str, Any]
) -> None:
    """Append one FieldChange per field whose value differs (one INSERT for all of them)."""
    write_history(field_changes(actor, record, before, after))


def field_changes(
    actor: User | None, record: models.Model, before: dict[str, Any], after: dict[str, Any]
) -> list[FieldChange]:
    """The FieldChange rows of one record's change, unsaved (batch writes insert them all)."""
    return [
        FieldChange(
            record_type=record._meta.model_name or "",
            record_id=record.pk,
            field=name,
            old_value=_as_text(old),
            new_value=_as_text(new),
            changed_by=actor,
        )
        for name, old, new in _changed(before, after)
    ]


def creation(actor: User | None, record: models.Model) -> FieldChange:
    """The single row that records a record's creation (its fields are on the record)."""
    return FieldChange(
        record_type=record._meta.model_name or "",
        record_id=record.pk,
        field="created",
        new_value=str(record)[:200],
        changed_by=actor,
    )


def record_creation(actor: User | None, record: models.Model) -> None:
    write_history([creation(actor, record)])


def tracked_fields(model: type[models.Model], *skip: str) -> list[str]:
    """The fields a kind's history follows: its own, not its ids, dates kept by the database
    or recycle-bin columns (deleting and restoring write their own rows)."""
    untracked = {"id", "created_at", "updated_at", "deleted_at", "deleted_by", *skip}
    return [
        f.name
        for f in model._meta.concrete_fields
        if f.name not in untracked and f.editable and not getattr(f, "generated", False)
    ]
