"""``/api/v1/webhooks``: subscriptions, their delivery log, and redelivery (admins only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status
from pydantic import Field

from opportune.identity.auth import actor
from opportune.paging import ListParams, Page, keyset_page
from opportune.schemas import OutputSchema

from .delivery import redeliver
from .events import EVENT_TYPES
from .models import Delivery, Subscription
from .schemas import SubscriptionChanges, SubscriptionIn
from .services import (
    change_subscription,
    create_subscription,
    delete_subscription,
    require_admin,
)

router = Router(tags=["webhooks"])


class SubscriptionOut(OutputSchema):
    id: int
    url: str
    description: str
    event_types: list[str]
    is_active: bool
    consecutive_failures: int
    disabled_reason: str
    created_at: dt.datetime


class SubscriptionCreatedOut(SubscriptionOut):
    secret: str = Field(description="Signs every delivery: shown this once, never again")


class DeliveryOut(OutputSchema):
    id: int
    subscription_id: int
    event_id: int
    event_type: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime | None
    last_attempt_at: dt.datetime | None
    response_status: int | None
    error: str
    duration_ms: int | None
    redelivery_of_id: int | None
    created_at: dt.datetime


class DeliveryDetailOut(DeliveryOut):
    payload: dict[str, Any] = Field(description="The JSON body sent")
    response_body: str = Field(description="The start of the receiver's last answer")


def _admin(request: HttpRequest) -> None:
    require_admin(actor(request))


def _delivery(pk: int) -> Delivery:
    return get_object_or_404(Delivery.objects.select_related("event"), pk=pk)


def _delivery_out(delivery: Delivery, detail: bool = False) -> dict[str, Any]:
    out = DeliveryDetailOut if detail else DeliveryOut
    fields = {name: getattr(delivery, name, None) for name in out.model_fields}
    fields["event_type"] = delivery.event.event_type
    fields["payload"] = delivery.event.payload
    return fields


@router.get(
    "/webhooks/event-types", response=list[str], summary="The event types one can subscribe to"
)
def event_types(request: HttpRequest) -> list[str]:
    _admin(request)
    return list(EVENT_TYPES)


@router.get("/webhooks", response=Page[SubscriptionOut], summary="Webhook subscriptions")
def list_subscriptions(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    _admin(request)
    return keyset_page(Subscription.objects.all(), params.limit, params.cursor)


@router.post(
    "/webhooks", response={201: SubscriptionCreatedOut}, summary="Subscribe a URL to events"
)
def create(request: HttpRequest, payload: SubscriptionIn) -> Status[Subscription]:
    return Status(201, create_subscription(actor(request), payload))


@router.get("/webhooks/{subscription_id}", response=SubscriptionOut, summary="A subscription")
def get(request: HttpRequest, subscription_id: int) -> Subscription:
    _admin(request)
    return get_object_or_404(Subscription, pk=subscription_id)


@router.patch(
    "/webhooks/{subscription_id}",
    response=SubscriptionOut,
    summary="Change a subscription (is_active=true switches a disabled one back on)",
)
def change(
    request: HttpRequest, subscription_id: int, payload: SubscriptionChanges
) -> Subscription:
    _admin(request)
    subscription = get_object_or_404(Subscription, pk=subscription_id)
    return change_subscription(actor(request), subscription, payload)


@router.delete("/webhooks/{subscription_id}", response={204: None}, summary="Unsubscribe")
def delete(request: HttpRequest, subscription_id: int) -> Status[None]:
    _admin(request)
    delete_subscription(actor(request), get_object_or_404(Subscription, pk=subscription_id))
    return Status(204, None)


@router.get(
    "/webhooks/{subscription_id}/deliveries",
    response=Page[DeliveryOut],
    summary="A subscription's delivery log, newest first",
)
def deliveries(
    request: HttpRequest, subscription_id: int, params: Query[ListParams]
) -> dict[str, Any]:
    _admin(request)
    subscription = get_object_or_404(Subscription, pk=subscription_id)
    rows = Delivery.objects.filter(subscription=subscription).select_related("event")
    page = keyset_page(rows, params.limit, params.cursor)
    page["items"] = [_delivery_out(d) for d in page["items"]]
    return page


@router.get(
    "/webhooks/deliveries/{delivery_id}",
    response=DeliveryDetailOut,
    summary="One delivery, with the body sent and the receiver's answer",
)
def delivery(request: HttpRequest, delivery_id: int) -> dict[str, Any]:
    _admin(request)
    return _delivery_out(_delivery(delivery_id), detail=True)


@router.post(
    "/webhooks/deliveries/{delivery_id}/redeliver",
    response={202: DeliveryOut},
    summary="Send a delivery's event again (a new delivery, queued for the worker)",
)
def redeliver_one(request: HttpRequest, delivery_id: int) -> Status[dict[str, Any]]:
    _admin(request)
    again = redeliver(_delivery(delivery_id))
    return Status(202, _delivery_out(again))
