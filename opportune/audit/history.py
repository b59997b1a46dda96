"""Reading a record's field history, for its History tab and ``GET /{kind}/{id}/changes``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model, QuerySet

from .models import FieldChange

if TYPE_CHECKING:
    from opportune.identity.models import User

# Rows that are events rather than a field's change.
EVENTS = {
    "created": "Created",
    "deleted_at": "Deleted (to the recycle bin)",
    "purged": "Purged",
    "merged": "Merged with",
}


def history_of(record: Model) -> QuerySet[FieldChange]:
    """The record's changes, newest first (pages are cut by id, which follows time)."""
    return FieldChange.objects.filter(
        record_type=record._meta.model_name or "", record_id=record.pk
    ).select_related("changed_by")


def field_label(model: type[Model], field: str) -> str:
    if field in EVENTS:
        return EVENTS[field]
    try:
        name = str(getattr(model._meta.get_field(field), "verbose_name", field))
    except FieldDoesNotExist:
        name = field.replace("_", " ")
    return name[:1].upper() + name[1:]


def label_values(kind: str, changes: Iterable[FieldChange]) -> None:
    """Give each change its ``label`` (the field as users know it) and, for the page,
    ``old_display`` / ``new_display``: people by name rather than id (one query)."""
    from opportune.audit.bin import model_of
    from opportune.identity.models import User

    model = model_of(kind)
    changes = list(changes)
    people_fields = {
        f.name for f in model._meta.concrete_fields if f.is_relation and f.related_model is User
    }
    ids = {
        int(value)
        for change in changes
        if change.field in people_fields
        for value in (change.old_value, change.new_value)
        if value.isdigit()
    }
    people: dict[int, User] = User.objects.in_bulk(ids) if ids else {}
    for change in changes:
        change.label = field_label(model, change.field)  # type: ignore[attr-defined]
        for side in ("old", "new"):
            value: str = getattr(change, f"{side}_value")
            if change.field in people_fields and value.isdigit() and int(value) in people:
                value = str(people[int(value)])
            setattr(change, f"{side}_display", value)
