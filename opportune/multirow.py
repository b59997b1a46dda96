"""Many rows in few SQLite statements.

Every SQLite statement that fires the search index's triggers (opportune/search/index.py)
makes FTS5 flush its pending terms as a new index segment when the statement's savepoint
closes. With ``executemany`` that is one segment per row, and the merging that follows cost
about five times the insert itself; a statement of a few hundred rows flushes once. So
batch writes of indexed tables go through here on SQLite (PostgreSQL's ``COPY`` and
``executemany`` have no such cost).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from django.db import connection

# Rows per statement (fewer when the parameter limit is lower).
ROWS_PER_STATEMENT = 500


def _chunks(rows: Sequence[Sequence[Any]]) -> list[Sequence[Sequence[Any]]]:
    width = len(rows[0])
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per = max(1, min(ROWS_PER_STATEMENT, limit // width))
    return [rows[start : start + per] for start in range(0, len(rows), per)]


def _values(chunk: Sequence[Sequence[Any]]) -> tuple[str, list[Any]]:
    row = "(" + ", ".join(["%s"] * len(chunk[0])) + ")"
    return ", ".join([row] * len(chunk)), [cell for cells in chunk for cell in cells]


def insert(cursor: Any, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """``INSERT INTO table (columns) VALUES (...), (...)`` (names already quoted)."""
    if not rows:
        return
    for chunk in _chunks(rows):
        values, params = _values(chunk)
        cursor.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}", params)


def update(cursor: Any, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Set ``columns`` of each row whose id is the row's last value (names already quoted):
    ``UPDATE table SET ... FROM (VALUES (...), (...)) WHERE id = ...``."""
    if not rows:
        return
    sets = ", ".join(f"{column} = v.column{i + 1}" for i, column in enumerate(columns))
    for chunk in _chunks(rows):
        values, params = _values(chunk)
        cursor.execute(
            f"UPDATE {table} SET {sets} FROM (VALUES {values}) AS v "
            f"WHERE {table}.id = v.column{len(columns) + 1}",
            params,
        )
