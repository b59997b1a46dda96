"""The ``history_written`` receiver: the history rows of one transaction, gathered and told
once it commits, so that a bulk write or an import batch (many ``write_history`` calls in
one transaction) is judged as a whole by the storm rule. Nothing is told for a rollback."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from opportune.audit.models import FieldChange

_local = threading.local()


class _Pending:
    def __init__(self) -> None:
        self.rows: list[FieldChange] = []
        self.done = False
        self.callback: Callable[[], None] = self.flush

    def flush(self) -> None:
        from .delivery import deliver
        from .rules import notices_from

        self.done = True
        rows, self.rows = self.rows, []
        deliver(notices_from(rows), timezone.now())


def _registered(pending: _Pending | None) -> bool:
    """Whether this transaction will still run ``pending`` (a rollback drops it)."""
    connection = transaction.get_connection()
    if pending is None or pending.done or not connection.in_atomic_block:
        return False
    return any(callback is pending.callback for _, callback, _ in connection.run_on_commit)


def collect_after_commit(sender: Any, rows: list[FieldChange], **_: Any) -> None:
    pending: _Pending | None = getattr(_local, "pending", None)
    if _registered(pending):
        assert pending is not None
        pending.rows += rows
        return
    pending = _local.pending = _Pending()
    pending.rows += rows
    # robust: the write is committed; a failure to notify is logged, never the write's error.
    transaction.on_commit(pending.callback, robust=True)


def forget_pending() -> None:
    """Start a new gathering. For tests: their transaction never commits, so the callback
    the fixtures' writes registered never runs, and later writes must not join it."""
    _local.pending = None
