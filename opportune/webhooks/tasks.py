"""The worker's side of webhooks (``opportune worker``, django-tasks): one task per delivery
attempt; a failed attempt enqueues the next one after its back-off."""

from __future__ import annotations

from django_tasks import task

from .delivery import deliver


@task()
def deliver_webhook(delivery_id: int) -> str:
    delivery = deliver(delivery_id)
    if delivery is None:
        return "gone"
    backend = deliver_webhook.get_backend()
    if delivery.next_attempt_at is not None and backend.supports_defer:
        deliver_webhook.using(run_after=delivery.next_attempt_at).enqueue(delivery_id)
    return str(delivery.status)
