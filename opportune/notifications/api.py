"""``/api/v1/notifications``: the caller's own inbox, marking read, and their preferences."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router
from pydantic import BaseModel, Field

from opportune.identity.auth import actor
from opportune.paging import ListParams, Page, keyset_page
from opportune.schemas import OutputSchema

from .links import link_of
from .models import Notification
from .schemas import PreferencesIn
from .services import inbox, mark_all_read, mark_read, own, preferences, set_preferences

router = Router(tags=["notifications"])


class NotificationOut(OutputSchema):
    id: int
    kind: str
    title: str
    record_type: str
    record_id: int | None = Field(description="Empty for a summary of many records")
    count: int = Field(description="How many events a summary stands for (else 1)")
    url: str = Field(description="The page it leads to")
    actor_id: int | None
    created_at: dt.datetime
    read_at: dt.datetime | None


class InboxParams(ListParams):
    unread: bool = Field(False, description="Only the unread ones")


class Marked(BaseModel):
    marked: int


class PreferencesOut(BaseModel):
    assigned: str
    task_due: str
    deal_moved: str
    mentioned: str


def _out(notification: Notification) -> dict[str, Any]:
    fields = {name: getattr(notification, name, None) for name in NotificationOut.model_fields}
    fields["url"] = link_of(notification)
    return fields


@router.get(
    "/notifications",
    response=Page[NotificationOut],
    summary="My notifications, newest first",
)
def list_notifications(request: HttpRequest, params: Query[InboxParams]) -> dict[str, Any]:
    rows = inbox(actor(request), unread_only=params.unread)
    page = keyset_page(rows, params.limit, params.cursor)
    page["items"] = [_out(n) for n in page["items"]]
    return page


@router.post("/notifications/read-all", response=Marked, summary="Mark all mine read")
def read_all(request: HttpRequest) -> Marked:
    return Marked(marked=mark_all_read(actor(request), timezone.now()))


@router.get(
    "/notifications/preferences",
    response=PreferencesOut,
    summary="How I am told of each kind of event",
)
def get_preferences(request: HttpRequest) -> dict[str, str]:
    return preferences(actor(request))


@router.put(
    "/notifications/preferences",
    response=PreferencesOut,
    summary="Choose in_app, email, both or none per kind of event",
)
def put_preferences(request: HttpRequest, payload: PreferencesIn) -> dict[str, str]:
    return set_preferences(actor(request), payload.changes())


@router.post(
    "/notifications/{notification_id}/read",
    response=NotificationOut,
    summary="Mark one of mine read",
)
def read_one(request: HttpRequest, notification_id: int) -> dict[str, Any]:
    user = actor(request)
    return _out(mark_read(user, own(user, notification_id), timezone.now()))
