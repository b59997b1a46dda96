"""Reading a record's field history, for its History tab and ``GET /{kind}/{id}/changes``."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model, Q, QuerySet

from .models import FieldChange

# Rows that are events rather than a field's change.
EVENTS = {
    "created": "Created",
    "deleted_at": "Deleted (to the recycle bin)",
    "purged": "Purged",
    "merged": "Merged with",
    "erased": "Personal data erased",
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
    ``old_display`` / ``new_display``: related records (owner, stage, account...) by name
    rather than id or key, with one query per kind of related record on the page."""
    from opportune.audit.bin import model_of

    model = model_of(kind)
    changes = list(changes)
    related: dict[str, type[Model]] = {}
    for f in model._meta.concrete_fields:
        if f.is_relation and f.related_model is not None and not isinstance(f.related_model, str):
            related[f.name] = related[f.attname] = f.related_model
    names: dict[tuple[type[Model], str], str] = {}
    for target in set(related.values()):
        values = {
            value
            for change in changes
            if related.get(change.field) is target
            for value in (change.old_value, change.new_value)
            if value
        }
        if not values:
            continue
        rows: QuerySet[Model] = target._base_manager.all()  # deleted records keep their name
        ids = [int(v) for v in values if v.isdigit()]
        keys = [v for v in values if not v.isdigit()]
        by_key = any(f.name == "key" for f in target._meta.concrete_fields)
        condition = Q(pk__in=ids) | (Q(key__in=keys) if by_key and keys else Q(pk__in=[]))
        for record in rows.filter(condition):
            names[(target, str(record.pk))] = str(record)
            if by_key:
                names[(target, str(getattr(record, "key", "")))] = str(record)
    custom, choices = _custom_labels(kind, changes)
    for change in changes:
        change.label = custom.get(change.field) or field_label(model, change.field)
        of = related.get(change.field)
        for side in ("old", "new"):
            value: str = getattr(change, f"{side}_value")
            if of is not None:
                value = names.get((of, value), value)
            elif change.field in choices:  # a custom picklist's keys, by their labels
                value = "; ".join(choices[change.field].get(k, k) for k in value.split("; "))
            setattr(change, f"{side}_display", value)


def _custom_labels(
    kind: str, changes: list[FieldChange]
) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """ "Custom: <label>" of each custom field among the changes, and the labels of its
    picklist values by key (two queries, none without custom changes)."""
    from opportune.customfields.models import CustomField

    keys = {c.field.removeprefix("custom.") for c in changes if c.field.startswith("custom.")}
    if not keys:
        return {}, {}
    labels = {f"custom.{key}": f"Custom: {key}" for key in keys}
    choices: dict[str, dict[str, str]] = {}
    for field in CustomField.objects.filter(kind=kind, key__in=keys).prefetch_related("values"):
        labels[f"custom.{field.key}"] = f"Custom: {field.label}"
        choices[f"custom.{field.key}"] = {v.key: v.label for v in field.values.all()}
    return labels, choices
