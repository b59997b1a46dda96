"""Which webhook events a write produced, read from the field history it wrote.

Every service records its writes as ``FieldChange`` rows (opportune/audit); the events are
derived from those rows, so a new write path that keeps history sends events with no code of
its own. One record's rows give its events: ``created`` alone for a creation; ``updated``
for a change of its fields, with the specific event a subscriber usually wants beside it
(``lead.converted``, ``opportunity.stage_changed``, ``won``, ``lost``); ``deleted`` and
``restored`` for the recycle bin; ``lead.merged``; ``erased`` for a personal-data erasure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from opportune.audit.models import FieldChange

KINDS = ("lead", "account", "contact", "opportunity", "activity")
EVENT_TYPES: tuple[str, ...] = (
    *(f"{kind}.{what}" for kind in KINDS for what in ("created", "updated", "deleted", "restored")),
    "lead.converted",
    "lead.merged",
    "lead.erased",
    "contact.erased",
    "opportunity.stage_changed",
    "opportunity.won",
    "opportunity.lost",
)
# History rows that are events of their own rather than a field's change.
_EVENT_ROWS = {"created", "deleted_at", "purged", "merged", "erased"}


@dataclass
class RecordEvent:
    event_type: str
    record_type: str
    record_id: int
    actor_id: int | None
    changed_fields: list[str] = field(default_factory=list)


def _new(rows: list[FieldChange], name: str) -> str | None:
    return next((row.new_value for row in rows if row.field == name), None)


def _events_of(kind: str, rows: list[FieldChange]) -> list[str]:
    fields = {row.field for row in rows}
    if "created" in fields:
        return [f"{kind}.created"]
    if "erased" in fields:
        return [f"{kind}.erased"]
    if "purged" in fields:
        return []  # the record is gone; its deletion was announced
    if "deleted_at" in fields:
        return [f"{kind}.{'deleted' if _new(rows, 'deleted_at') else 'restored'}"]
    events = []
    if "merged" in fields:
        events.append(f"{kind}.merged")
    if fields - _EVENT_ROWS:
        events.append(f"{kind}.updated")
    if kind == "lead" and _new(rows, "is_converted") == "True":
        events.append("lead.converted")
    if kind == "opportunity":
        if fields & {"stage", "stage_id"}:
            events.append("opportunity.stage_changed")
        won = _new(rows, "is_won") == "True"
        lost = not won and (
            _new(rows, "is_closed") == "True"
            or (_new(rows, "is_won") == "False" and _new(rows, "is_closed") != "False")
        )
        if won:
            events.append("opportunity.won")
        if lost:
            events.append("opportunity.lost")
    return [event for event in events if event in EVENT_TYPES]


def events_from(rows: Iterable[FieldChange]) -> list[RecordEvent]:
    """The events of a batch of history rows, record by record in the order first met."""
    by_record: dict[tuple[str, int], list[FieldChange]] = {}
    for row in rows:
        if row.record_type in KINDS:
            by_record.setdefault((row.record_type, row.record_id), []).append(row)
    return [
        RecordEvent(
            event_type,
            kind,
            record_id,
            record_rows[0].changed_by_id,
            sorted({row.field for row in record_rows} - _EVENT_ROWS),
        )
        for (kind, record_id), record_rows in by_record.items()
        for event_type in _events_of(kind, record_rows)
    ]
