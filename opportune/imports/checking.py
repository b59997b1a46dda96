"""Reading and checking the next batches of a file in helper processes while this one writes.

Most of a lead import's time per row is pure Python: parsing, mapping, validation by the
shared schema, match keys (E.164 phones). None of it reads the database (``Importer.check``
with ``checks_without_database``), so helper processes read the file and check its batches
ahead, helper k of n taking batches k, k + n, k + 2n..., while this process settles and
writes them in file order. Everything that touches the database (in-file and existing
duplicates, assignment turns, inserts, progress) stays here, in one transaction per batch,
exactly as without helpers.

Helpers are forked, so they start with the importer as loaded (mapping, owners, statuses).
They never use the database connections they inherit, hold no transaction, and die with the
importing process.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import queue
import signal
import sys
from collections.abc import Callable, Iterator
from itertools import count
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from typing import Any

from django.conf import settings
from django.db import connections

from .importers import Importer
from .reading import Row
from .rows import CheckedRow, Issue

Checked = list[CheckedRow | list[Issue]]
Batches = Callable[[], Iterator[list[Row]]]
# Batches a helper may check ahead of the writing: memory stays flat whatever the file size.
AHEAD = 2
PR_SET_PDEATHSIG = 1  # prctl(2)

# What a helper works with, set before the fork. And the connections a helper inherited:
# referenced until it exits (multiprocessing ends helpers with os._exit, without
# finalizers), because closing a PostgreSQL one would end the parent's session too.
_importer: Importer[Any] | None = None
_batches: Batches | None = None
_inherited: list[Any] = []


def helper_count() -> int:
    """``OPPORTUNE_IMPORT_HELPERS``, by default one per core beyond the first, at most two."""
    configured = settings.OPPORTUNE_IMPORT_HELPERS
    if configured is not None:
        return configured
    return max(0, min(2, (os.cpu_count() or 1) - 1))


class HelperFailed(RuntimeError):
    pass


def _die_with(parent: int) -> None:
    """End this helper when the importing process ends, however it ends (a ``kill -9``
    included): on Linux the kernel sends SIGKILL; elsewhere the loop checks its parent."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the worker's graceful-stop handler
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the worker to handle
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the line above
        os._exit(1)


def _let_go_of_connections() -> None:
    """Drop the database connections inherited from the importing process without closing
    them (closing a PostgreSQL one would end that process's session too). Their sockets are
    pointed at /dev/null: a helper that outlived its parent for a moment must not keep the
    parent's session, and the transaction holding the job's row, open on the server."""
    null = os.open(os.devnull, os.O_RDWR)
    for connection in connections.all(initialized_only=True):
        raw = connection.connection
        socket = getattr(getattr(raw, "pgconn", None), "socket", None)
        if isinstance(socket, int) and socket >= 0:
            os.dup2(null, socket)
        _inherited.append(raw)
        connection.connection = None  # a query here would open a connection of its own
    os.close(null)


def _help(index: int, helpers: int, results: Queue[Any], parent: int) -> None:
    _die_with(parent)
    _let_go_of_connections()
    assert _importer is not None and _batches is not None
    try:
        for number, rows in enumerate(_batches()):
            if os.getppid() != parent:
                os._exit(1)
            if number % helpers == index:
                results.put((len(rows), _importer.check(rows)))
    except BaseException as exc:
        results.put(HelperFailed(f"A checking helper failed: {exc!r}"))
    else:
        results.put(None)  # the end of the file
    results.close()
    results.join_thread()


class Checker:
    """``checked()`` yields each batch's size and checked rows, in file order."""

    def __init__(self, importer: Importer[Any], batches: Batches, helpers: int) -> None:
        self.importer = importer
        self.batches = batches
        self.helpers = helpers if importer.checks_without_database else 0
        self.processes: list[BaseProcess] = []
        self.results: list[Queue[Any]] = []

    def __enter__(self) -> Checker:
        global _importer, _batches
        if self.helpers:
            _importer, _batches = self.importer, self.batches
            context = multiprocessing.get_context("fork")
            self.results = [context.Queue(maxsize=AHEAD) for _ in range(self.helpers)]
            for index, results in enumerate(self.results):
                process = context.Process(
                    target=_help, args=(index, self.helpers, results, os.getpid()), daemon=True
                )
                process.start()
                self.processes.append(process)
        return self

    def __exit__(self, *exc: object) -> None:
        global _importer, _batches
        for process in self.processes:
            if process.is_alive():
                process.terminate()
            process.join()
        self.processes, self.results = [], []
        _importer, _batches = None, None

    def checked(self) -> Iterator[tuple[int, Checked]]:
        if not self.processes:
            for rows in self.batches():
                yield len(rows), self.importer.check(rows)
            return
        for number in count():
            found = self._next(number % self.helpers)
            if found is None:
                return
            yield found

    def _next(self, index: int) -> tuple[int, Checked] | None:
        while True:
            try:
                found: tuple[int, Checked] | HelperFailed = self.results[index].get(timeout=1)
            except queue.Empty:
                process = self.processes[index]
                if not process.is_alive():
                    raise HelperFailed(
                        f"A checking helper stopped unexpectedly (exit code {process.exitcode})."
                    ) from None
                continue
            if isinstance(found, HelperFailed):
                raise found
            return found
