"""Deprecated: the rules about users live in ``identity.policy`` (kept while callers move)."""

from __future__ import annotations

from .models import User
from .policy import require_writer

__all__ = ["assignable_owner", "require_writer"]


def assignable_owner(owner_id: int | None, field: str = "owner_id") -> User | None:
    from .policy import LEAD
    from .policy import assignable_owner as for_kind

    return for_kind(owner_id, LEAD, field)
