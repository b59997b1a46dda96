"""Checking the next batches of a file in helper processes while this one writes.

Most of a lead import's time per row is pure Python: mapping, validation by the shared
schema, match keys (E.164 phones). None of it reads the database (``Importer.check`` with
``checks_without_database``), so helper processes check batches ahead while this process
settles and writes them in file order. Everything that touches the database (in-file and
existing duplicates, assignment turns, inserts, progress) stays here, in one transaction
per batch, exactly as without helpers.

Helpers are forked, so they start with the importer as loaded (mapping, owners, statuses).
They never use the database connections they inherit.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from multiprocessing.pool import AsyncResult, Pool
from types import TracebackType
from typing import Any

from django.conf import settings
from django.db import connections

from .importers import Importer
from .reading import Row
from .rows import CheckedRow, Issue

Checked = list[CheckedRow | list[Issue]]

# The importer a helper checks with, set before the fork. And the connections a helper
# inherited: referenced until it exits (multiprocessing ends helpers with os._exit, without
# finalizers), because closing a PostgreSQL one would end the parent's session too.
_importer: Importer[Any] | None = None
_inherited: list[Any] = []


def helper_count() -> int:
    """``OPPORTUNE_IMPORT_HELPERS``, by default one per core beyond the first, at most two."""
    configured = settings.OPPORTUNE_IMPORT_HELPERS
    if configured is not None:
        return configured
    return max(0, min(2, (os.cpu_count() or 1) - 1))


def _start_helper() -> None:
    for connection in connections.all(initialized_only=True):
        _inherited.append(connection.connection)
        connection.connection = None  # a query here would open a connection of its own


def _check(rows: list[Row]) -> Checked:
    assert _importer is not None
    return _importer.check(rows)


class Checker:
    """``checked(batches)`` yields each batch's size and checked rows, in file order."""

    def __init__(self, importer: Importer[Any], helpers: int) -> None:
        self.importer = importer
        self.helpers = helpers if importer.checks_without_database else 0
        self.pool: Pool | None = None

    def __enter__(self) -> Checker:
        global _importer
        if self.helpers:
            _importer = self.importer
            context = multiprocessing.get_context("fork")
            self.pool = context.Pool(self.helpers, initializer=_start_helper)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        global _importer
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None
        _importer = None

    def checked(self, batches: Iterable[list[Row]]) -> Iterator[tuple[int, Checked]]:
        if self.pool is None:
            for rows in batches:
                yield len(rows), self.importer.check(rows)
            return
        # A few batches ahead, never the whole file: memory stays flat.
        ahead: deque[tuple[int, AsyncResult[Checked]]] = deque()
        for rows in batches:
            ahead.append((len(rows), self.pool.apply_async(_check, (rows,))))
            if len(ahead) > 2 * self.helpers:
                size, result = ahead.popleft()
                yield size, result.get()
        while ahead:
            size, result = ahead.popleft()
            yield size, result.get()
