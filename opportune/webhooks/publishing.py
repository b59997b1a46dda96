"""From history rows to queued deliveries: each committed write's events are stored, with
one delivery per subscription that wants them, and handed to the worker. Nothing is sent
for a transaction that rolls back, and nothing is queued while no one subscribes."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from functools import partial
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from opportune.audit.committed import Batches

from .events import RecordEvent, events_from
from .models import Delivery, Event, Subscription


def publish_committed(batches: Batches) -> None:
    """The consumer of committed history (opportune/audit/committed.py): the events of
    each write (a batch of rows), all published together."""
    events = [event for batch in batches for event in events_from(batch)]
    if events:
        publish(events)


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


def _objects(events: list[RecordEvent]) -> dict[tuple[str, int], dict[str, Any]]:
    """The events' records as JSON, one query per kind (an import's batch is thousands)."""
    from opportune.audit.bin import model_of

    ids: dict[str, set[int]] = {}
    for event in events:
        ids.setdefault(event.record_type, set()).add(event.record_id)
    return {
        (kind, pk): record_data(record)
        for kind, pks in ids.items()
        for pk, record in model_of(kind)._base_manager.in_bulk(list(pks)).items()
    }


def publish(events: list[RecordEvent], now: dt.datetime | None = None) -> list[Delivery]:
    """Store the events someone subscribes to, with a delivery per subscription, and queue
    the deliveries once stored. A few queries whatever the number of events."""
    subscriptions = list(Subscription.objects.filter(is_active=True))
    wanted = [(e, [s for s in subscriptions if s.wants(e.event_type)]) for e in events]
    wanted = [(e, subs) for e, subs in wanted if subs]
    if not wanted:
        return []
    now = now or timezone.now()
    objects = _objects([e for e, _ in wanted])
    stored = [
        Event(
            event_type=e.event_type,
            record_type=e.record_type,
            record_id=e.record_id,
            created_at=now,
            payload={
                "id": f"evt_{uuid.uuid4().hex}",
                "type": e.event_type,
                "created_at": now.isoformat(),
                "data": {
                    "object": objects.get((e.record_type, e.record_id), {"id": e.record_id}),
                    "changed_fields": e.changed_fields,
                    "actor_id": e.actor_id,
                },
            },
        )
        for e, _ in wanted
    ]
    with transaction.atomic():
        Event.objects.bulk_create(stored)
        deliveries = Delivery.objects.bulk_create(
            Delivery(subscription=s, event=event, created_at=now)
            for event, (_, subs) in zip(stored, wanted, strict=True)
            for s in subs
        )
        transaction.on_commit(partial(_enqueue, [d.pk for d in deliveries]))
    return deliveries


def _enqueue(delivery_ids: list[int]) -> None:
    from .tasks import deliver_webhook

    for pk in delivery_ids:
        deliver_webhook.enqueue(pk)
