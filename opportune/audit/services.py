"""Writing the field history of leads and opportunities."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from .models import FieldChange

if TYPE_CHECKING:
    from opportune.identity.models import User


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, models.Model):
        return str(getattr(value, "key", None) or value.pk)
    return str(value)


def snapshot(record: models.Model, fields: list[str]) -> dict[str, Any]:
    return {name: getattr(record, name) for name in fields}


def record_changes(
    actor: User | None, record: models.Model, before: dict[str, Any], after: dict[str, Any]
) -> None:
    """Append one FieldChange per field whose value differs (one INSERT for all of them)."""
    FieldChange.objects.bulk_create(field_changes(actor, record, before, after))


def field_changes(
    actor: User | None, record: models.Model, before: dict[str, Any], after: dict[str, Any]
) -> list[FieldChange]:
    """The FieldChange rows of one record's change, unsaved (batch writes insert them all)."""
    return [
        FieldChange(
            record_type=record._meta.model_name or "",
            record_id=record.pk,
            field=name,
            old_value=_as_text(before[name]),
            new_value=_as_text(after[name]),
            changed_by=actor,
        )
        for name in before
        if before[name] != after[name]
    ]
