"""Activity input, shared by API, forms and import."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from opportune.schemas import InputSchema

Kind = Literal["task", "call", "meeting", "email", "note"]


class ActivityChanges(InputSchema):
    kind: Kind | None = None
    subject: str | None = Field(None, min_length=1, max_length=255)
    body: str | None = None
    due_date: dt.date | None = None
    start_at: dt.datetime | None = None
    end_at: dt.datetime | None = None
    is_done: bool | None = None
    owner_id: int | None = None
    lead_id: int | None = None
    account_id: int | None = None
    contact_id: int | None = None
    opportunity_id: int | None = None


class ActivityCreate(ActivityChanges):
    kind: Kind
    subject: str = Field(min_length=1, max_length=255)
