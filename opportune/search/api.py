"""GET /api/v1/search: the global search, as the user of the token sees the records."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router

from opportune.identity.auth import actor

from . import engine
from .schemas import SearchOut, SearchQuery

router = Router(tags=["search"])


@router.get("/search", response=SearchOut, summary="Search leads, accounts, contacts, deals")
def search(request: HttpRequest, params: Query[SearchQuery]) -> SearchOut:
    results = engine.search(actor(request), params.q, kinds=params.kind_list(), limit=params.limit)
    return SearchOut.model_validate(results)
