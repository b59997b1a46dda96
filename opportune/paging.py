"""Keyset pagination shared by every list (API and UI): newest first, an opaque cursor.

No OFFSET and no COUNT(*): a page costs one indexed range scan however deep it is.
"""

from __future__ import annotations

import base64
from typing import Any, Generic, TypeVar

from django.db.models import Model, QuerySet
from ninja import Schema
from pydantic import BaseModel, Field

from opportune.errors import field_error

M = TypeVar("M", bound=Model)
T = TypeVar("T")

MAX_LIMIT = 200


class ListParams(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT, description="Page size (1-200).")
    cursor: str | None = Field(None, description="The `next` value of the previous page.")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next: str | None


def encode_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(str(pk).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return int(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise field_error("cursor", "This cursor is not one this API gave out.") from exc


def keyset_page(queryset: QuerySet[M], limit: int, cursor: str | None) -> dict[str, Any]:
    """One page of ``queryset`` in descending primary-key order."""
    if cursor:
        queryset = queryset.filter(pk__lt=decode_cursor(cursor))
    rows = list(queryset.order_by("-pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next": encode_cursor(rows[-1].pk) if more and rows else None}
