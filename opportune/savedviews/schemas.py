"""A saved view's input and output, for the API (/api/v1/views) and the web forms alike."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from opportune.schemas import InputSchema, OutputSchema

from .registry import ListName

PageSize = Literal[25, 50, 100, 200]
QUERY_DESCRIPTION = (
    "The list's query string, as its page and its API list take it: filters, `sort` and "
    "`columns` (e.g. `status=open&owner=me&sort=-created`). Validated by the list's filters: "
    "an unknown parameter or value is a 422 naming it."
)


class ViewChanges(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=80)
    query: str | None = Field(None, max_length=2000, description=QUERY_DESCRIPTION)
    page_size: PageSize | None = None
    team_id: int | None = Field(
        None, description="Share with this team (its whole subtree sees it); null: private."
    )


class ViewCreate(ViewChanges):
    kind: ListName
    name: str = Field(min_length=1, max_length=80)
    query: str = Field("", max_length=2000, description=QUERY_DESCRIPTION)
    page_size: PageSize = 50


class ViewOut(OutputSchema):
    id: int
    kind: str
    name: str
    query: str
    page_size: int
    team_id: int | None
    owner_id: int
    created_at: dt.datetime
    updated_at: dt.datetime
