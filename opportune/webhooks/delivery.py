"""Sending one delivery: sign, POST, log the answer; on failure retry with exponential
back-off, and disable a subscription whose receiver keeps failing."""

from __future__ import annotations

import datetime as dt
import json

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import sending
from .models import Delivery, DeliveryStatus, Subscription
from .signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signature_header


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def max_attempts() -> int:
    return _setting("OPPORTUNE_WEBHOOK_MAX_ATTEMPTS", 8)


def disable_after() -> int:
    return _setting("OPPORTUNE_WEBHOOK_DISABLE_AFTER", 20)


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failure: 1, 2, 4, 8... minutes (first retry after
    ``OPPORTUNE_WEBHOOK_RETRY_SECONDS``), doubling, at most a day."""
    first = _setting("OPPORTUNE_WEBHOOK_RETRY_SECONDS", 60)
    return dt.timedelta(seconds=min(first * 2 ** (attempts - 1), 86400))


def body_of(delivery: Delivery) -> bytes:
    return json.dumps(delivery.event.payload, separators=(",", ":")).encode()


def deliver(delivery_id: int, now: dt.datetime | None = None) -> Delivery | None:
    """Make the delivery's next attempt (None: it is gone). A delivery already delivered or
    given up is left alone, so a task run twice sends once."""
    delivery = (
        Delivery.objects.select_related("event", "subscription").filter(pk=delivery_id).first()
    )
    if delivery is None or delivery.status in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED):
        return delivery
    subscription = delivery.subscription
    now = now or timezone.now()
    if not subscription.is_active and delivery.redelivery_of_id is None:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
        delivery.error = "The subscription is disabled."
        delivery.save()
        return delivery
    body = body_of(delivery)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Opportune-Webhooks/1",
        EVENT_HEADER: delivery.event.event_type,
        DELIVERY_HEADER: str(delivery.pk),
        SIGNATURE_HEADER: signature_header(subscription.secret, int(now.timestamp()), body),
    }
    timeout = float(getattr(settings, "OPPORTUNE_WEBHOOK_TIMEOUT", 10))
    answer = sending.post(subscription.url, body, headers, timeout)
    _record(delivery, answer, now)
    return delivery


def _record(delivery: Delivery, answer: sending.Answer, now: dt.datetime) -> None:
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.response_status = answer.status
    delivery.response_body = answer.body
    delivery.error = "" if answer.ok else answer.error
    delivery.duration_ms = answer.duration_ms
    subscriptions = Subscription.objects.filter(pk=delivery.subscription_id)
    with transaction.atomic():
        if answer.ok:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.next_attempt_at = None
            subscriptions.update(consecutive_failures=0)
        else:
            retry = delivery.attempts < max_attempts()
            delivery.status = DeliveryStatus.RETRYING if retry else DeliveryStatus.FAILED
            delivery.next_attempt_at = now + backoff(delivery.attempts) if retry else None
            subscriptions.update(consecutive_failures=F("consecutive_failures") + 1)
            limit = disable_after()
            subscriptions.filter(is_active=True, consecutive_failures__gte=limit).update(
                is_active=False,
                disabled_reason=f"Disabled after {limit} failed deliveries in a row "
                f"(last: {delivery.error or answer.status})"[:255],
            )
        delivery.save()


def redeliver(delivery: Delivery, now: dt.datetime | None = None) -> Delivery:
    """Send the delivery's event again, as a new delivery (the log keeps the old one)."""
    again = Delivery.objects.create(
        subscription=delivery.subscription,
        event=delivery.event,
        redelivery_of=delivery,
        created_at=now or timezone.now(),
    )
    from .tasks import deliver_webhook

    transaction.on_commit(lambda: deliver_webhook.enqueue(again.pk))
    return again
