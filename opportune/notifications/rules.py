"""Who is told what, read from the field history a write produced (the rows
``audit.services.write_history`` announces, the seam webhooks read too).

- **assigned**: a lead or deal created for, or handed to, someone other than the writer.
- **deal_moved**: a deal's stage changed, or the deal closed, by someone other than its owner.
- **mentioned**: ``@username`` in a note's body (a new note, or a mention added by an edit).

Visibility and each person's choices are applied later, by ``delivery.deliver``; this module
only says who the event concerns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Model, QuerySet
from django.db.models.functions import Lower

from opportune.audit.models import FieldChange
from opportune.identity.models import User

from .models import Kind

NOUNS = {"lead": "lead", "opportunity": "deal", "account": "account", "contact": "contact"}
MOVES = {"stage", "stage_id", "is_closed", "is_won"}  # deals' history names attnames
# ``@name`` not inside a word or an e-mail address; Django's usernames allow letters,
# digits and @.+-_ (a trailing dot ends a sentence rather than the name).
MENTION = re.compile(r"(?<![\w.@+-])@([\w.+-]+)")
# The record a note or task is about, in this order of preference.
PARENTS = ("opportunity", "lead", "contact", "account")


@dataclass(frozen=True)
class Notice:
    """One event told to one person, before visibility and preferences are applied.
    ``text`` follows the actor's name ("assigned you the lead ..."); without ``by_actor``
    it is the whole title."""

    kind: str
    recipient_id: int
    record_type: str
    record_id: int
    actor_id: int | None
    text: str
    by_actor: bool = True


def mentioned_names(body: str) -> set[str]:
    return {name.rstrip(".").lower() for name in MENTION.findall(body) if name.rstrip(".")}


def parent_of(activity: Model) -> tuple[str, int] | None:
    for kind in PARENTS:
        pk = getattr(activity, f"{kind}_id", None)
        if pk is not None:
            return kind, int(pk)
    return None


def _group(rows: Iterable[FieldChange]) -> dict[tuple[str, int], dict[str, FieldChange]]:
    grouped: dict[tuple[str, int], dict[str, FieldChange]] = {}
    for row in rows:
        grouped.setdefault((row.record_type, row.record_id), {})[row.field] = row
    return grouped


def _load(kind: str, ids: set[int]) -> dict[int, Model]:
    from opportune.audit.bin import model_of

    if not ids:
        return {}
    model = model_of(kind)
    rows: QuerySet[Model] = model._default_manager.all()  # a deleted record: nobody's news
    if kind == "opportunity":
        rows = rows.select_related(*["stage"])
    return dict(rows.in_bulk(list(ids)))


def notices_from(rows: Iterable[FieldChange]) -> list[Notice]:
    """The notices of a batch of history rows: a few queries whatever their number."""
    grouped = _group(rows)
    ids: dict[str, set[int]] = {}
    for kind, pk in grouped:
        if kind in ("lead", "opportunity", "activity"):
            ids.setdefault(kind, set()).add(pk)
    records = {kind: _load(kind, pks) for kind, pks in ids.items()}
    notices: list[Notice] = []
    mentions: list[tuple[Model, int | None, set[str]]] = []
    for (kind, pk), fields in grouped.items():
        record = records.get(kind, {}).get(pk)
        if record is None:
            continue
        actor_id = next(iter(fields.values())).changed_by_id
        if kind in ("lead", "opportunity"):
            notices += _ownership(kind, record, fields, actor_id)
        elif kind == "activity" and getattr(record, "kind", "") == "note":
            new = mentioned_names(record.body) if "created" in fields else set()  # type: ignore[attr-defined]
            if "created" not in fields and "body" in fields:
                change = fields["body"]
                new = mentioned_names(change.new_value) - mentioned_names(change.old_value)
            if new:
                mentions.append((record, actor_id, new))
    return notices + _mentions(mentions)


def _ownership(
    kind: str, record: Model, fields: dict[str, FieldChange], actor_id: int | None
) -> list[Notice]:
    owner_id: int | None = getattr(record, "owner_id", None)
    noun = NOUNS[kind]
    notices = []
    assigned = None
    if "created" in fields:
        assigned = owner_id
    elif owner_row := fields.get("owner") or fields.get("owner_id"):
        new = owner_row.new_value
        # A later write in the same transaction may have handed it on: the stored owner wins.
        assigned = owner_id if new.isdigit() and int(new) == owner_id else None
    if assigned is not None and assigned != actor_id:
        notices.append(
            Notice(
                Kind.ASSIGNED,
                assigned,
                kind,
                record.pk,
                actor_id,
                f"assigned you the {noun} {record}",
            )
        )
    moved = kind == "opportunity" and "created" not in fields and MOVES & fields.keys()
    if moved and owner_id is not None and owner_id not in (actor_id, assigned):
        if getattr(record, "is_closed", False) and {"is_closed", "is_won"} & fields.keys():
            outcome = "won" if getattr(record, "is_won", False) else "lost"
            text = f"closed your deal {record} as {outcome}"
        else:
            text = f"moved your deal {record} to {getattr(record, 'stage', '')}"
        notices.append(Notice(Kind.DEAL_MOVED, owner_id, kind, record.pk, actor_id, text))
    return notices


def _mentions(mentions: list[tuple[Model, int | None, set[str]]]) -> list[Notice]:
    """Mentions resolved to active users (one query for all the names in the batch)."""
    names = {name for _, _, found in mentions for name in found}
    if not names:
        return []
    users = dict(
        User.objects.filter(is_active=True)
        .annotate(lowered=Lower("username"))
        .filter(lowered__in=names)
        .values_list("lowered", "pk")
    )
    notices = []
    for note, actor_id, found in mentions:
        parent = parent_of(note)
        if parent is None:
            continue
        kind, pk = parent
        for name in sorted(found):
            user_id = users.get(name)
            if user_id is not None and user_id != actor_id:
                text = f"mentioned you in a note: {note.subject}"  # type: ignore[attr-defined]
                notices.append(Notice(Kind.MENTIONED, user_id, kind, pk, actor_id, text))
    return notices
