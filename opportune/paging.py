"""Keyset pagination shared by every list, API and UI alike: an opaque cursor, any sort.

A page is ``ORDER BY <column>, id LIMIT n+1`` after the last row seen, so page 1,000 costs
what page 1 costs: no OFFSET and no COUNT(*). The cursor carries the last row's sort value
and id, signed, so nobody can hand-craft one. The API refuses a bad cursor (422 naming
``cursor``); the web lists restart at the first page (``opportune.web.pagination``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from django.core import signing
from django.db.models import Model, Q, QuerySet
from ninja import Schema
from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer

from opportune.errors import field_error

M = TypeVar("M", bound=Model)
T = TypeVar("T")

MAX_LIMIT = 200
_SALT = "opportune.cursor"
_PK_COLUMNS = {"pk", "id"}


class ListParams(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT, description="Page size (1-200).")
    cursor: str | None = Field(None, description="The `next` value of the previous page.")


# A list's total is counted up to this many rows, then reported as "10,000+".
COUNT_CAP = 10_000


def capped_count(queryset: QuerySet[Any], cap: int = COUNT_CAP) -> tuple[int, bool]:
    """(rows, whether there are more than ``cap``): ``COUNT(*)`` over a ``LIMIT cap+1``
    subquery of ids, one query that stops reading at ``cap + 1`` rows however large the
    list (an exact ``COUNT(*)`` of a million visible rows is what keyset paging avoids)."""
    found = queryset.order_by().values("pk")[: cap + 1].count()
    return min(found, cap), found > cap


class Page(BaseModel, Generic[T]):
    """A page of a list: ``items`` and the ``next`` cursor; ``count``/``count_capped`` only
    when the request asked for them (``count=true``), so the default response is unchanged."""

    items: list[T]
    next: str | None
    count: int | None = Field(
        None, description="With count=true: the rows matching, counted up to 10,000."
    )
    count_capped: bool | None = Field(
        None, description="With count=true: true when there are more than `count` rows."
    )

    @model_serializer(mode="wrap")
    def _without_unasked_count(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if self.count is None:
            data.pop("count", None)
            data.pop("count_capped", None)
        return data


@dataclass
class KeysetPage(Generic[M]):
    rows: list[M]
    next_cursor: str | None
    previous_cursor: str | None

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_cursor or self.previous_cursor)

    def as_api(self) -> dict[str, Any]:
        return {"items": self.rows, "next": self.next_cursor}


class BadCursor(ValueError):
    """The cursor was not given out by this installation (or not for this sort)."""


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


def page_of(
    queryset: QuerySet[M], order: str, cursor: str | None, limit: int = 50
) -> KeysetPage[M]:
    """One page of ``queryset`` ordered by ``order`` ("column" or "-column", never null),
    the primary key breaking ties. ``cursor`` comes from a previous page of the same order;
    any other raises ``BadCursor``."""
    descending = order.startswith("-")
    field = order.lstrip("-")
    on_pk = field in _PK_COLUMNS
    field = "pk" if on_pk else field
    position = _decode(cursor, field)
    backwards = bool(position and position["back"])
    if position:
        pk = position["pk"]
        op = "lt" if descending != backwards else "gt"  # walking towards smaller values?
        if on_pk:
            queryset = queryset.filter(**{f"pk__{op}": pk})
        else:
            value = _typed(position["v"])
            queryset = queryset.filter(
                Q(**{f"{field}__{op}": value}) | Q(**{field: value, f"pk__{op}": pk})
            )
    reverse = descending != backwards
    columns = ["pk"] if on_pk else [field, "pk"]
    ordering = [f"-{c}" for c in columns] if reverse else columns
    rows = list(queryset.order_by(*ordering)[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    has_next = more if not backwards else True
    has_previous = bool(position) and (more if backwards else True)
    return KeysetPage(
        rows=rows,
        next_cursor=_encode(rows[-1], field, back=False) if rows and has_next else None,
        previous_cursor=_encode(rows[0], field, back=True) if rows and has_previous else None,
    )


def keyset_page(
    queryset: QuerySet[M], limit: int, cursor: str | None, order: str = "-pk"
) -> dict[str, Any]:
    """An API page (``{"items", "next"}``); a cursor this API did not give out is a 422."""
    try:
        return page_of(queryset, order, cursor, limit).as_api()
    except BadCursor as exc:
        raise field_error("cursor", "This cursor is not one this API gave out.") from exc


def sign_cursor(data: dict[str, Any]) -> str:
    """An opaque cursor carrying ``data`` (plain JSON values), signed so nobody forges one."""
    return signing.dumps(data, salt=_SALT, compress=True)


def read_cursor(cursor: str) -> dict[str, Any]:
    """The data of a cursor ``sign_cursor`` gave out; any other is a 422 naming ``cursor``."""
    try:
        data = signing.loads(cursor, salt=_SALT)
    except signing.BadSignature as exc:
        raise field_error("cursor", "This cursor is not one this API gave out.") from exc
    if not isinstance(data, dict):
        raise field_error("cursor", "This cursor is not one this API gave out.")
    return data


def _encode(row: Model, field: str, *, back: bool) -> str:
    data: dict[str, Any] = {"o": field, "pk": row.pk, "back": back}
    if field != "pk":
        value: Any = row
        for part in field.split("__"):
            value = getattr(value, part)
        data["v"] = _plain(value)
    return sign_cursor(data)


def _decode(cursor: str | None, field: str) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        data = signing.loads(cursor, salt=_SALT)
    except signing.BadSignature as exc:
        raise BadCursor(cursor) from exc
    if not isinstance(data, dict) or "pk" not in data or data.get("o") != field:
        raise BadCursor(cursor)
    return data
