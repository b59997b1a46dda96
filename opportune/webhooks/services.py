"""Managing webhook subscriptions (admins only, as the policy says)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from opportune.errors import NotAllowed, field_error
from opportune.identity import policy

from . import sending
from .events import EVENT_TYPES
from .models import Subscription
from .schemas import SubscriptionChanges, SubscriptionIn

if TYPE_CHECKING:
    from opportune.identity.models import User


def require_admin(actor: User) -> None:
    if not policy.may_configure(actor, "webhooks"):
        raise NotAllowed("Only admins configure webhooks.")


def _check(url: str | None, event_types: list[str] | None) -> None:
    if url is not None:
        refusal = sending.check_url(url)
        if refusal:
            raise field_error("url", refusal)
    if event_types is not None:
        unknown = sorted(set(event_types) - set(EVENT_TYPES))
        if unknown:
            raise field_error("event_types", f"Unknown event types: {', '.join(unknown)}.")
        if not event_types:
            raise field_error("event_types", "Choose at least one event type.")


@transaction.atomic
def create_subscription(actor: User, data: SubscriptionIn) -> Subscription:
    """A new subscription; its ``secret`` is the caller's to show this once."""
    require_admin(actor)
    _check(data.url, data.event_types)
    return Subscription.objects.create(
        url=data.url,
        description=data.description,
        event_types=sorted(set(data.event_types)),
        created_by=actor,
    )


@transaction.atomic
def change_subscription(
    actor: User, subscription: Subscription, changes: SubscriptionChanges
) -> Subscription:
    """Change a subscription; switching it back on forgets its failures."""
    require_admin(actor)
    values = changes.model_dump(exclude_unset=True)
    _check(values.get("url"), values.get("event_types"))
    for name in ("url", "description"):
        if values.get(name) is not None:
            setattr(subscription, name, values[name])
    if values.get("event_types") is not None:
        subscription.event_types = sorted(set(values["event_types"]))
    if values.get("is_active") is not None:
        if values["is_active"] and not subscription.is_active:
            subscription.consecutive_failures = 0
            subscription.disabled_reason = ""
        subscription.is_active = values["is_active"]
    subscription.save()
    return subscription


def delete_subscription(actor: User, subscription: Subscription) -> None:
    require_admin(actor)
    subscription.delete()
