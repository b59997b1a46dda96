"""Keyset (cursor) pagination for the web lists: no OFFSET, no COUNT(*) of the table.

A page is ``ORDER BY <column>, id LIMIT n+1`` after the last row seen, so page 1,000 costs
what page 1 costs. The cursor is the last row's sort value and id, signed, so a user
cannot hand-craft one; a bad cursor simply restarts at the first page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from django.core import signing
from django.db.models import Model, Q, QuerySet

M = TypeVar("M", bound=Model)

_SALT = "opportune.web.cursor"


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return ["dt" if isinstance(value, dt.datetime) else "d", value.isoformat()]
    if isinstance(value, Decimal):
        return ["dec", str(value)]
    return value


def _typed(value: Any) -> Any:
    if isinstance(value, list) and len(value) == 2:
        kind, text = value
        if kind == "dt":
            return dt.datetime.fromisoformat(text)
        if kind == "d":
            return dt.date.fromisoformat(text)
        if kind == "dec":
            return Decimal(text)
    return value


@dataclass
class Page(Generic[M]):
    rows: list[M]
    next_cursor: str | None
    previous_cursor: str | None

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_cursor or self.previous_cursor)


def keyset_page(queryset: QuerySet[M], order: str, cursor: str | None, limit: int = 50) -> Page[M]:
    """One page of ``queryset`` ordered by ``order`` ("field" or "-field", never null),
    with the primary key as tie-breaker. ``cursor`` comes from a previous page."""
    descending = order.startswith("-")
    field = order.lstrip("-")
    position = _decode(cursor)
    backwards = bool(position and position["back"])
    if position:
        value, pk = _typed(position["v"]), position["pk"]
        after = descending != backwards  # walking towards smaller values
        op = "lt" if after else "gt"
        queryset = queryset.filter(
            Q(**{f"{field}__{op}": value}) | Q(**{field: value, f"pk__{op}": pk})
        )
    reverse = descending != backwards
    ordering = [f"-{field}", "-pk"] if reverse else [field, "pk"]
    rows = list(queryset.order_by(*ordering)[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    has_next = more if not backwards else True
    has_previous = bool(position) and (more if backwards else True)
    return Page(
        rows=rows,
        next_cursor=_encode(rows[-1], field, back=False) if rows and has_next else None,
        previous_cursor=_encode(rows[0], field, back=True) if rows and has_previous else None,
    )


def _encode(row: Model, field: str, *, back: bool) -> str:
    value = row
    for part in field.split("__"):
        value = getattr(value, part)
    return signing.dumps(
        {"v": _plain(value), "pk": row.pk, "back": back}, salt=_SALT, compress=True
    )


def _decode(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        data = signing.loads(cursor, salt=_SALT)
    except signing.BadSignature:
        return None
    return data if isinstance(data, dict) and "pk" in data else None
