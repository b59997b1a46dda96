"""After commit, these history rows: the one helper through which the parts that react to
writes (notifications, webhooks) learn what a transaction wrote.

``write_history`` sends ``history_written`` inside the writing transaction. One receiver
here gathers the rows of the whole transaction, write by write, and once it commits hands
them to every consumer at once, as a list of batches (one batch per ``write_history`` call,
so a consumer may still judge a write on its own, as webhooks do, or the transaction as a
whole, as the notifications' storm rule does). Nothing is handed on for a rollback, and the
rows of a savepoint that rolls back are dropped while the rest of the transaction's are
kept: each batch is kept by an on-commit callback of its own, which Django discards with
its savepoint, and the gathering's hand-over is moved behind the last of them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import transaction

from .models import FieldChange

logger = logging.getLogger(__name__)

Batches = list[list[FieldChange]]
Consumer = Callable[[Batches], None]

_consumers: dict[str, Consumer] = {}
_local = threading.local()


def after_commit(name: str, consumer: Consumer) -> None:
    """Call ``consumer`` with each committed transaction's history batches (apps register
    in ``ready``; ``name`` makes registering twice harmless). A consumer's failure is
    logged, never the write's error, and does not keep the other consumers from theirs."""
    _consumers[name] = consumer


class _Gathering:
    def __init__(self) -> None:
        self.batches: Batches = []
        self.done = False

    def keep(self, batch: list[FieldChange]) -> None:
        self.batches.append(batch)

    def hand_over(self) -> None:
        self.done = True
        batches, self.batches = self.batches, []
        for name, consumer in list(_consumers.items()):
            try:
                consumer(batches)
            except Exception:  # the write is committed: tell the logs, not the writer
                logger.exception("After-commit history consumer %r failed", name)


def _entry(gathering: _Gathering | None) -> int | None:
    """Where this transaction will run ``gathering``'s hand-over (``None``: it will not, a
    rollback dropped it or it ran already)."""
    connection = transaction.get_connection()
    if gathering is None or gathering.done or not connection.in_atomic_block:
        return None
    for index, (_, callback, _) in enumerate(connection.run_on_commit):
        if callback == gathering.hand_over:
            return index
    return None


def gather(sender: Any, rows: list[FieldChange], **_: Any) -> None:
    """The ``history_written`` receiver."""
    batch = list(rows)
    connection = transaction.get_connection()
    if not connection.in_atomic_block:  # autocommit: the rows are committed already
        gathering = _Gathering()
        gathering.keep(batch)
        gathering.hand_over()
        return
    gathering: _Gathering | None = getattr(_local, "gathering", None)  # type: ignore[no-redef]
    index = _entry(gathering)
    if gathering is None or index is None:
        gathering = _local.gathering = _Gathering()
        transaction.on_commit(partial(gathering.keep, batch))
        transaction.on_commit(gathering.hand_over, robust=True)
        return
    transaction.on_commit(partial(gathering.keep, batch))
    # The hand-over goes last (keeping the savepoints it was registered under).
    connection.run_on_commit.append(connection.run_on_commit.pop(index))


def forget_pending() -> None:
    """Start a new gathering. For tests: their transaction never commits, so the hand-over
    the fixtures' writes registered never runs, and later writes must not join it."""
    _local.gathering = None
