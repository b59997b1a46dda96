"""A set-based owner change of many sales records, with their field history: the batch form
the accounts', contacts' and opportunities' services expose (``reassign_accounts``...), so a
bulk action on a list costs a few queries whatever the number of records.

The rules are the single-record services': the owner must be one the kind may have
(``policy.assignable_owner``), and the actor must be allowed to change each record
(``policy.require``, a check on the loaded row, no query of its own). One query locks and
reads the records, one UPDATE writes those whose owner changes, one INSERT their history.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import connection, models
from django.utils import timezone

from opportune.errors import Conflict, DomainError, NotAllowed
from opportune.identity import policy

from .models import Deletable
from .services import field_changes, write_history

if TYPE_CHECKING:
    from opportune.identity.models import User

D = TypeVar("D", bound=Deletable)
GONE = "This record was deleted meanwhile."


def locked(model: type[D], ids: Sequence[int]) -> dict[int, D]:
    """The live records ``ids`` names, locked (bare rows, in one order: no deadlocks)."""
    rows = model.objects.select_for_update().filter(pk__in=list(ids)).order_by("pk")
    return {record.pk: record for record in rows}  # type: ignore[misc]


def change_owners(
    actor: User, model: type[D], ids: Sequence[int], owner_id: int | None, history_field: str
) -> list[D | DomainError]:
    """Give the records ``ids`` names (found by the caller among those the actor sees) the
    owner ``owner_id``; each is answered as itself or as its refusal, in the order of the
    ids (each once), and only the accepted ones are written. ``history_field`` is the name
    the kind's single record service records an owner change under (``owner`` or
    ``owner_id``). The caller runs this in a transaction."""
    policy.require_writer(actor)
    ids = list(dict.fromkeys(ids))
    records = locked(model, ids)
    try:
        owner = policy.assignable_owner(owner_id, policy.kind_of(model))
    except DomainError as refused:
        return [refused for _ in ids]
    new_id = owner.pk if owner is not None else None
    results: list[D | DomainError] = []
    history = []
    changed: list[int] = []
    for pk in ids:
        record = records.get(pk)
        if record is None:
            results.append(Conflict(GONE))
            continue
        reason = policy.refusal(actor, policy.Verb.CHANGE, record)
        if reason is not None:
            results.append(NotAllowed(reason))
            continue
        old_id = getattr(record, "owner_id", None)
        if old_id != new_id and pk not in changed:
            history += field_changes(
                actor, record, {history_field: old_id}, {history_field: new_id}
            )
            changed.append(pk)
            record.owner = owner  # type: ignore[attr-defined]
        results.append(record)
    if changed:
        values: dict[str, Any] = {"owner": owner, "updated_at": timezone.now()}
        model.objects.filter(pk__in=changed).update(**values)
        write_history(history)
    return results


def update_rows(
    model: type[models.Model], records: Sequence[models.Model], names: Sequence[str]
) -> None:
    """Write the named fields (attnames) of ``records``, each row its own values, in one
    statement (``executemany``) whatever their number."""
    if not records:
        return
    fields: list[models.Field[Any, Any]] = []
    for name in names:
        field = next(f for f in model._meta.concrete_fields if f.attname == name)
        fields.append(field)
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(str(field.column))} = %s" for field in fields)
    rows = [
        [field.get_db_prep_save(getattr(record, field.attname), connection) for field in fields]
        + [record.pk]
        for record in records
    ]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE id = %s", rows
        )
