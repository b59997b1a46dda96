"""Webhook subscription input, shared by the API and the settings page."""

from __future__ import annotations

from pydantic import Field

from opportune.schemas import Flag, InputSchema


class SubscriptionIn(InputSchema):
    url: str = Field(max_length=500, description="Where events are POSTed (http or https)")
    event_types: list[str] = Field(
        min_length=1, max_length=50, description="Event types, e.g. lead.created"
    )
    description: str = Field("", max_length=200)


class SubscriptionChanges(InputSchema):
    url: str | None = Field(None, max_length=500)
    event_types: list[str] | None = Field(None, max_length=50)
    description: str | None = Field(None, max_length=200)
    is_active: Flag = None
