"""The match keys an import has met so far, so that a key's later rows in the file are
reported and skipped.

They are kept in a temporary table of the importing connection, not in memory: a set of a
million keys held about 65 MB and grew with the file, while the import's memory must stay
flat whatever the file's size. It costs one lookup and one insert per batch.
"""

from __future__ import annotations

from types import TracebackType

from django.db import connection

TABLE = "opportune_import_seen"


class SeenKeys:
    """Use as a context manager around the import (it creates and drops the table)."""

    def __enter__(self) -> SeenKeys:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {TABLE} (key TEXT PRIMARY KEY)")
            cursor.execute(f"DELETE FROM {TABLE}")  # a table left by an import that crashed
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")

    def first_time(self, keys: list[str]) -> list[bool]:
        """For each key in order, whether no earlier batch and no earlier key of this list had
        it. An empty key never repeats."""
        unique = list(set(keys) - {""})
        before: set[str] = set()
        if unique:
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":  # one statement, one array parameter
                    cursor.execute(
                        f"INSERT INTO {TABLE} (key) SELECT unnest(%s::text[]) "
                        "ON CONFLICT DO NOTHING RETURNING key",
                        [unique],
                    )
                    before = set(unique) - {row[0] for row in cursor.fetchall()}
                else:
                    marks = ", ".join(["%s"] * len(unique))
                    cursor.execute(f"SELECT key FROM {TABLE} WHERE key IN ({marks})", unique)
                    before = {row[0] for row in cursor.fetchall()}
                    new = [(key,) for key in unique if key not in before]
                    cursor.executemany(f"INSERT INTO {TABLE} (key) VALUES (%s)", new)
        met = set(before)
        first: list[bool] = []
        for key in keys:
            first.append(not key or key not in met)
            met.add(key)
        return first
