"""/api/v1/activities: tasks, calls, meetings, emails and notes on records."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from opportune.audit.api import add_record_routes
from opportune.filtering import api_list, query_schema
from opportune.identity import policy
from opportune.identity.auth import actor
from opportune.paging import ListParams, Page
from opportune.schemas import OutputSchema

from .filters import ActivityFilterSet
from .models import Activity
from .schemas import ActivityChanges, ActivityCreate
from .services import save_activity

router = Router(tags=["activities"])


class ActivityOut(OutputSchema):
    id: int
    kind: str
    subject: str
    body: str
    due_date: dt.date | None
    start_at: dt.datetime | None
    end_at: dt.datetime | None
    is_done: bool
    done_at: dt.datetime | None
    owner_id: int | None
    lead_id: int | None
    account_id: int | None
    contact_id: int | None
    opportunity_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


if TYPE_CHECKING:
    ActivityQuery = ListParams
else:
    ActivityQuery = query_schema(ActivityFilterSet, "ActivityQuery")


@router.get("", response=Page[ActivityOut], summary="List activities")
def list_activities(request: HttpRequest, params: Query[ActivityQuery]) -> dict[str, Any]:
    return api_list(request, ActivityFilterSet, policy.visible(actor(request), Activity), params)


@router.post("", response={201: ActivityOut}, summary="Log an activity or add a task")
def post_activity(request: HttpRequest, payload: ActivityCreate) -> Status[Activity]:
    return Status(201, save_activity(actor(request), payload))


@router.get("/{int:activity_id}", response=ActivityOut, summary="One activity")
def get_activity(request: HttpRequest, activity_id: int) -> Activity:
    return policy.get_visible(actor(request), Activity.objects.all(), activity_id)


@router.patch("/{int:activity_id}", response=ActivityOut, summary="Change or complete an activity")
def patch_activity(request: HttpRequest, activity_id: int, payload: ActivityChanges) -> Activity:
    activity = policy.get_visible(actor(request), Activity.objects.all(), activity_id)
    return save_activity(actor(request), payload, activity)


add_record_routes(router, "activity", "activity_id", ActivityOut)
