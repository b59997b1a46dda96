"""The match keys an import has met so far, so that a key's later rows in the file are
reported and skipped.

The first million keys are kept in memory, as hashes (about 70 MB); the ones after them in
a temporary table of the importing connection, so memory stays flat whatever the file size.
The table costs one statement per batch (about 6 us per row on PostgreSQL), which files up
to a million rows never pay.
"""

from __future__ import annotations

from django.db import connection

TABLE = "opportune_import_seen"
MEMORY_KEYS = 1_000_000


class SeenKeys:
    """Use as a context manager around the import (it drops the table, if it made one)."""

    def __init__(self) -> None:
        self.hashes: set[int] = set()
        self.spilled = False

    def __enter__(self) -> SeenKeys:
        return self

    def __exit__(self, *exc: object) -> None:
        self.hashes = set()
        if self.spilled:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
            self.spilled = False

    def first_time(self, keys: list[str]) -> list[bool]:
        """For each key in order, whether no earlier batch and no earlier key of this list had
        it. An empty key never repeats."""
        unique = set(keys) - {""}
        before = {key for key in unique if hash(key) in self.hashes}
        unique -= before
        if unique and not self.spilled and len(self.hashes) + len(unique) <= MEMORY_KEYS:
            self.hashes.update(hash(key) for key in unique)
        elif unique:
            before |= self._in_table(list(unique))
        met = set(before)
        first: list[bool] = []
        for key in keys:
            first.append(not key or key not in met)
            met.add(key)
        return first

    def _in_table(self, keys: list[str]) -> set[str]:
        """Which of the keys the table had; it has them all afterwards."""
        with connection.cursor() as cursor:
            if not self.spilled:
                cursor.execute(
                    f"CREATE TEMPORARY TABLE IF NOT EXISTS {TABLE} (key TEXT PRIMARY KEY)"
                )
                cursor.execute(f"DELETE FROM {TABLE}")  # a table left by an import that crashed
                self.spilled = True
            if connection.vendor == "postgresql":  # one statement, one array parameter
                cursor.execute(
                    f"INSERT INTO {TABLE} (key) SELECT unnest(%s::text[]) "
                    "ON CONFLICT DO NOTHING RETURNING key",
                    [keys],
                )
                return set(keys) - {row[0] for row in cursor.fetchall()}
            marks = ", ".join(["%s"] * len(keys))
            cursor.execute(f"SELECT key FROM {TABLE} WHERE key IN ({marks})", keys)
            found = {row[0] for row in cursor.fetchall()}
            cursor.executemany(
                f"INSERT INTO {TABLE} (key) VALUES (%s)", [(k,) for k in keys if k not in found]
            )
            return found
