"""Keyset (cursor) pagination for the web lists: ``opportune.paging`` (the one the API uses),
except that a bad or stale cursor simply restarts at the first page instead of an error."""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet

from opportune.paging import BadCursor, KeysetPage, page_of

M = TypeVar("M", bound=Model)

Page = KeysetPage


def keyset_page(
    queryset: QuerySet[M], order: str, cursor: str | None, limit: int = 50
) -> KeysetPage[M]:
    """One page of ``queryset`` ordered by ``order`` ("field" or "-field", never null),
    with the primary key as tie-breaker. ``cursor`` comes from a previous page."""
    try:
        return page_of(queryset, order, cursor, limit)
    except BadCursor:
        return page_of(queryset, order, None, limit)
