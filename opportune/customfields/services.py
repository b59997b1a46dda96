"""What can happen to custom fields and their values: an admin defines and changes fields
(each indexed when created); a record's values are cleaned, merged and checked (required,
retired picklist values) by the service that writes the record; conversion carries lead
values over to the records it creates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction

from opportune.errors import NotAllowed, RuleViolation, field_error
from opportune.identity import policy
from opportune.schemas import validate_key

from .expressions import value_of
from .models import INDEXED, PICKLISTS, CustomField, FieldType, Kind, PicklistValue
from .types import clean_value, is_blank

if TYPE_CHECKING:
    from opportune.identity.models import User

    from .schemas import FieldChanges, FieldCreate, ValueIn

CONFIGURE = "customfield"


def require_configure(actor: User) -> None:
    if not policy.may_configure(actor, CONFIGURE):
        raise NotAllowed("Only admins define custom fields.")


def fields_of(kind: str) -> list[CustomField]:
    """A kind's fields in their order, with their picklist values (two queries)."""
    return list(CustomField.objects.filter(kind=kind).prefetch_related("values"))


def error_key(key: str) -> str:
    return f"custom.{key}"


# --- a record's values -----------------------------------------------------------------------


def apply_custom(
    record: models.Model,
    kind: str,
    given: dict[str, Any] | None,
    *,
    creating: bool,
    fields: dict[str, CustomField] | None = None,
) -> None:
    """Merge the given values (``None`` or "" clears one) into ``record.custom``; raises a
    ``RuleViolation`` naming each ``custom.<key>`` that is unknown, invalid, retired (for a
    value the record did not have) or required and left blank."""
    given = given or {}
    if not given and not creating:
        return  # nothing asked of the custom fields: no query
    if fields is None:
        fields = {f.key: f for f in fields_of(kind)}
    current: dict[str, Any] = dict(getattr(record, "custom", None) or {})
    errors: dict[str, list[str]] = {}
    for key, raw in given.items():
        field = fields.get(key)
        if field is None:
            errors[error_key(key)] = ["Unknown custom field."]
            continue
        try:
            value = clean_value(field, raw)
            _refuse_retired(field, value, current.get(key))
        except ValueError as invalid:
            errors[error_key(key)] = [str(invalid)]
            continue
        if value is None:
            current.pop(key, None)
        else:
            current[key] = value
    for field in fields.values():
        blank = is_blank(current.get(field.key))
        if field.required and blank and (creating or field.key in given):
            errors.setdefault(error_key(field.key), ["This field is required."])
    if errors:
        raise RuleViolation("Some custom field values are invalid.", errors)
    record.custom = current  # type: ignore[attr-defined]


def _refuse_retired(field: CustomField, value: Any, had: Any) -> None:
    """A retired value stays where it is but is not given anew."""
    if field.type not in PICKLISTS or value is None:
        return
    retired = {v.key for v in field.values.all() if v.retired}
    kept = set(had) if isinstance(had, list) else {had}
    new = set(value) if isinstance(value, list) else {value}
    refused = sorted((new - kept) & retired)
    if refused:
        raise ValueError(f"The value '{refused[0]}' is retired; choose another.")


def display(field: CustomField, value: Any) -> str:
    """A stored value as the record page and exports show it (picklists by label)."""
    if is_blank(value):
        return ""
    if field.type in PICKLISTS:
        labels = {v.key: v.label for v in field.values.all()}
        keys = value if isinstance(value, list) else [value]
        return "; ".join(labels.get(str(k), str(k)) for k in keys)
    if field.type == FieldType.CHECKBOX:
        return "Yes" if value else "No"
    if field.type == FieldType.PERCENT:
        return f"{value}%"
    if field.type == FieldType.CURRENCY:
        return f"{value:,.2f}"
    return str(value)


# --- defining fields --------------------------------------------------------------------------


@transaction.atomic
def define_field(actor: User, data: FieldCreate) -> CustomField:
    require_configure(actor)
    try:
        validate_key(data.key)
    except ValidationError as invalid:
        raise field_error("key", " ".join(invalid.messages)) from None
    if CustomField.objects.filter(kind=data.kind, key=data.key).exists():
        raise field_error("key", f"A {data.kind} field with the key '{data.key}' exists.")
    if data.type not in PICKLISTS and data.values:
        raise field_error("values", "Only picklists have values.")
    last = CustomField.objects.filter(kind=data.kind).aggregate(models.Max("position"))
    field = CustomField.objects.create(
        kind=data.kind,
        key=data.key,
        label=data.label,
        type=data.type,
        required=data.required,
        help_text=data.help_text,
        position=(last["position__max"] or 0) + 1,
    )
    _save_values(field, data.values or [])
    if data.maps_to is not None:
        field.maps_to = mapping_target(field, data.maps_to)
        field.save(update_fields=["maps_to"])
    add_index(field)
    return field


@transaction.atomic
def change_field(actor: User, field: CustomField, changes: FieldChanges) -> CustomField:
    """Label, help, required, position, values and the conversion mapping change; the kind,
    key and type do not (records and saved filters name them)."""
    require_configure(actor)
    values = changes.model_dump(exclude_unset=True)
    for name in ("label", "help_text", "required", "position"):
        if values.get(name) is not None:
            setattr(field, name, values[name])
    if "maps_to" in values:
        field.maps_to = mapping_target(field, changes.maps_to) if changes.maps_to else None
    field.save()
    if changes.values is not None:
        if field.type not in PICKLISTS:
            raise field_error("values", "Only picklists have values.")
        _save_values(field, changes.values)
    return field


def _save_values(field: CustomField, given: list[ValueIn]) -> None:
    """The picklist's values in the order given: new keys are added, known ones relabelled,
    reordered, retired or brought back. A value left out is kept (records may hold it):
    retire it instead."""
    keys = [value.key for value in given]
    if len(set(keys)) != len(keys):
        raise field_error("values", "Each value's key must be unique.")
    if field.type in PICKLISTS and not given and not field.values.exists():
        raise field_error("values", "A picklist needs at least one value.")
    existing = {value.key: value for value in field.values.all()}
    missing = sorted(set(existing) - set(keys))
    if given and missing:
        raise field_error(
            "values", f"A value cannot be removed ('{missing[0]}'); retire it instead."
        )
    for position, value in enumerate(given, start=1):
        stored = existing.get(value.key) or PicklistValue(field=field, key=value.key)
        stored.label = value.label or value.key
        stored.position = position
        stored.retired = value.retired
        stored.save()


def mapping_target(field: CustomField, target: str) -> CustomField:
    """The field ``<kind>.<key>`` a lead field maps to on conversion: same type, and for a
    picklist, every value of the lead field known to the target."""
    if field.kind != Kind.LEAD:
        raise field_error("maps_to", "Only lead fields map to fields of converted records.")
    kind, _, key = target.partition(".")
    found = CustomField.objects.filter(kind=kind, key=key).exclude(kind=Kind.LEAD).first()
    if found is None:
        raise field_error(
            "maps_to", f"No account, contact or opportunity field '{target}' (kind.key)."
        )
    if found.type != field.type:
        raise field_error("maps_to", f"'{target}' is a {found.type} field, not {field.type}.")
    unknown = {v.key for v in field.values.all()} - {v.key for v in found.values.all()}
    if unknown:
        raise field_error("maps_to", f"'{target}' has no value '{sorted(unknown)[0]}'.")
    return found


def add_index(field: CustomField) -> None:
    """The expression index that lets filters on this field scale (docs/custom-fields.md).
    Plain SQL rather than the schema editor, which SQLite refuses inside a transaction."""
    if field.type not in INDEXED:
        return
    from opportune.audit.bin import model_of

    model = model_of(field.kind)
    # (value, id) as the built-in (status, -id): a filtered list's newest-first page walks
    # the index alone, and a range or count reads it without the rows.
    index = models.Index(value_of(field), models.F("id"), name=field.index_name)
    statement = str(index.create_sql(model, connection.schema_editor()))
    with connection.cursor() as cursor:
        cursor.execute(statement)


# --- conversion -------------------------------------------------------------------------------


def converted_values(lead: models.Model) -> dict[str, dict[str, Any]]:
    """The lead's custom values as the converted account, contact and opportunity take
    them, by kind: {"account": {key: value}}, through each lead field's mapping (one query,
    none for a lead without custom values)."""
    values: dict[str, Any] = dict(getattr(lead, "custom", None) or {})
    found: dict[str, dict[str, Any]] = {}
    if not values:
        return found
    mapped = CustomField.objects.filter(
        kind=Kind.LEAD, key__in=list(values), maps_to__isnull=False
    ).select_related("maps_to")
    for source in mapped:
        target = source.maps_to
        assert target is not None
        found.setdefault(target.kind, {})[target.key] = values[source.key]
    return found


def fill_blank(record: models.Model, values: dict[str, Any]) -> bool:
    """Copy values into an existing record's blank custom fields only (as conversion does
    with built-in fields); whether any was filled."""
    custom: dict[str, Any] = record.custom  # type: ignore[attr-defined]
    blanks = {key: value for key, value in values.items() if is_blank(custom.get(key))}
    custom.update(blanks)
    return bool(blanks)
