"""From history rows to queued deliveries: each committed write's events are stored, with
one delivery per subscription that wants them, and handed to the worker. Nothing is sent
for a transaction that rolls back, and nothing is queued while no one subscribes."""

from __future__ import annotations

import datetime as dt
import json
from functools import partial
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from opportune.audit.models import FieldChange

from .events import RecordEvent, events_from
from .models import Delivery, Event, Subscription


def publish_after_commit(sender: Any, rows: list[FieldChange], **_: Any) -> None:
    """The ``history_written`` receiver: the rows' events, published once the transaction
    that wrote them commits."""
    events = events_from(rows)
    if events:
        transaction.on_commit(partial(publish, events))


def record_data(record: models.Model) -> dict[str, Any]:
    """A record's fields as JSON values (foreign keys as ``<name>_id``), without the
    duplicate-matching keys that only restate its fields."""
    values = {
        f.attname: f.value_from_object(record)
        for f in record._meta.concrete_fields
        if not f.name.endswith("_key") and f.name != "normalized_name"
    }
    data: dict[str, Any] = json.loads(json.dumps(values, cls=DjangoJSONEncoder))
    return data


def _record(kind: str, pk: int) -> dict[str, Any]:
    from opportune.audit.bin import model_of

    record = model_of(kind)._base_manager.filter(pk=pk).first()
    return record_data(record) if record is not None else {"id": pk}


def publish(events: list[RecordEvent], now: dt.datetime | None = None) -> list[Delivery]:
    subscriptions = [s for s in Subscription.objects.filter(is_active=True)]
    wanted = [(e, [s for s in subscriptions if s.wants(e.event_type)]) for e in events]
    wanted = [(e, subs) for e, subs in wanted if subs]
    if not wanted:
        return []
    now = now or timezone.now()
    deliveries = []
    with transaction.atomic():
        for record_event, subs in wanted:
            event = Event.objects.create(
                event_type=record_event.event_type,
                record_type=record_event.record_type,
                record_id=record_event.record_id,
                payload={},
                created_at=now,
            )
            event.payload = {
                "id": f"evt_{event.pk}",
                "type": event.event_type,
                "created_at": now.isoformat(),
                "data": {
                    "object": _record(record_event.record_type, record_event.record_id),
                    "changed_fields": record_event.changed_fields,
                    "actor_id": record_event.actor_id,
                },
            }
            event.save(update_fields=["payload"])
            deliveries += [
                Delivery.objects.create(subscription=s, event=event, created_at=now) for s in subs
            ]
        transaction.on_commit(partial(_enqueue, [d.pk for d in deliveries]))
    return deliveries


def _enqueue(delivery_ids: list[int]) -> None:
    from .tasks import deliver_webhook

    for pk in delivery_ids:
        deliver_webhook.enqueue(pk)
