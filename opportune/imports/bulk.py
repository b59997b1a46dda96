"""Inserting many rows of one model fast: plain tuples, ids taken up front when the caller
needs them, multi-row ``INSERT`` statements on SQLite (opportune/multirow.py) and ``COPY``
on PostgreSQL. Django's ``bulk_create``
compiles every value of every row through its field machinery, which costs more than the
insert itself at a million rows; here each value is converted once per type, and the
database does the rest.

The caller must run inside a transaction (ids are reserved within it).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from django.db import connection, models
from django.utils import timezone

from opportune import multirow


class RowInserter:
    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.table = model._meta.db_table
        self.fields = [f for f in model._meta.concrete_fields if not f.generated]
        self.columns = [str(f.column) for f in self.fields]
        self.attnames = [f.attname for f in self.fields]
        self.defaults = {
            f.attname: (None if f.primary_key else f.get_default()) for f in self.fields
        }
        self.auto_now = [
            f.attname
            for f in self.fields
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        ]
        # DateTimeField is a DateField; JSON (custom field values) goes as its text.
        typed = (models.DecimalField, models.DateField, models.JSONField)
        self.typed = [
            i
            for i, f in enumerate(self.fields)
            if isinstance(f, typed) and f.attname not in self.auto_now
        ]

    def reserve_ids(self, count: int) -> list[int]:
        """``count`` fresh primary keys (the transaction holds the table's write lock on
        SQLite; PostgreSQL hands them out from the sequence)."""
        if count == 0:
            return []
        quoted = connection.ops.quote_name(self.table)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [self.table, count],
                )
                return [row[0] for row in cursor.fetchall()]
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {quoted}")
            top = cursor.fetchone()[0]
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [self.table])
            found = cursor.fetchone()
            start = max(top, found[0] if found else 0) + 1
            return list(range(start, start + count))

    def _adapt(self, value: Any) -> Any:
        """A value as the database takes it; dates as ISO text, which psycopg copies several
        times faster than date objects (the auto_now time is adapted once per batch)."""
        if isinstance(value, Decimal) and connection.vendor == "sqlite":
            return str(value)
        if isinstance(value, dict | list):
            return json.dumps(value)
        if isinstance(value, dt.datetime):
            value = connection.ops.adapt_datetimefield_value(value)
        elif isinstance(value, dt.date):
            value = connection.ops.adapt_datefield_value(value)
        return value.isoformat() if isinstance(value, dt.date) else value

    def insert(self, rows: list[dict[str, Any]], *, with_ids: bool = True) -> list[int]:
        """Insert the rows ({attname: value}, missing ones take the field default); answer
        their ids in order, or nothing without ``with_ids`` (the database numbers them then,
        which spares reserving the ids first)."""
        ids = self.reserve_ids(len(rows)) if with_ids else []
        names = self.attnames if with_ids else [n for n in self.attnames if n != "id"]
        columns = [self.columns[self.attnames.index(n)] for n in names]
        typed = [names.index(self.attnames[i]) for i in self.typed if self.attnames[i] in names]
        now = self._adapt(timezone.now())
        defaults = dict(self.defaults)
        for name in self.auto_now:
            defaults[name] = now
        adapt = self._adapt
        tuples = []
        for n, row in enumerate(rows):
            values = {**defaults, **row}
            if with_ids:
                values["id"] = ids[n]
            cells = [values[name] for name in names]
            for i in typed:
                if cells[i] is not None:
                    cells[i] = adapt(cells[i])
            tuples.append(cells)
        quoted_names = [connection.ops.quote_name(c) for c in columns]
        quoted_columns = ", ".join(quoted_names)
        quoted = connection.ops.quote_name(self.table)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                raw = cursor.cursor  # the psycopg cursor under Django's wrapper
                with raw.copy(f"COPY {quoted} ({quoted_columns}) FROM STDIN") as copy:
                    for cells in tuples:
                        copy.write_row(cells)
            else:
                multirow.insert(cursor, quoted, quoted_names, tuples)
        return ids
