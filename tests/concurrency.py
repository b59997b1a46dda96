"""Ordering threads in concurrency tests by what the database shows, never by sleeping.

A test that needs "A holds the row lock while B arrives" makes A wait, inside its lock,
until PostgreSQL reports another session waiting for a lock: then B has surely arrived.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import connection

TIMEOUT = 20.0


def wait_until(condition: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    """Poll ``condition`` until it holds; fail the test (not hang it) after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"Gave up waiting: {what}")
        time.sleep(0.01)


def another_session_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        # Inside a transaction PostgreSQL keeps showing the first reading of its statistics.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND datname = current_database() AND pid <> pg_backend_pid())"
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def hold_until_another_waits() -> None:
    """Called while holding a row lock: return once another session queues behind it."""
    wait_until(another_session_waits_for_a_lock, "another session to wait for the lock")
