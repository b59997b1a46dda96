"""Looking up a batch of keys (a thousand emails of an import batch) on indexed columns.

Two things make the ORM's plain ``field__in=keys`` slow there on PostgreSQL, both measured
on 1,000,000 leads with 4,000 keys (``benchmarks/import.py`` runs this query per batch):

- ``IN (%s, %s, ...)`` sends, binds and parses one parameter per key; ``= ANY(%s)`` sends one
  array (34 ms -> 11 ms);
- the planner, pricing each index probe at the default ``random_page_cost``, prefers a
  parallel scan of the whole table (200 ms) to a few thousand probes (11 ms). Inside
  ``index_probes()`` it may not scan when an index serves.

On SQLite both are plain ``IN`` lists, which its planner always probes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import BooleanField, Expression, F
from django.db.models.sql.compiler import SQLCompiler


class AnyOf(Expression):
    """``field = ANY(keys)`` as a filter: ``queryset.filter(AnyOf("email_key", keys))``."""

    conditional = True

    def __init__(self, field: str, keys: Collection[Any]) -> None:
        super().__init__(output_field=BooleanField())
        self.target: Any = F(field)
        self.keys = list(keys)

    def get_source_expressions(self) -> list[Any]:
        return [self.target]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.target,) = exprs

    def as_sql(self, compiler: SQLCompiler, connection: Any) -> tuple[str, Any]:
        if not self.keys:
            raise EmptyResultSet
        column, params = compiler.compile(self.target)
        if connection.vendor == "postgresql":
            return f"{column} = ANY(%s)", [*params, self.keys]
        marks = ", ".join(["%s"] * len(self.keys))
        return f"{column} IN ({marks})", [*params, *self.keys]


@contextmanager
def index_probes() -> Iterator[None]:
    """Within the block (one transaction), PostgreSQL answers key lookups by their indexes."""
    with transaction.atomic():
        if connection.vendor != "postgresql":
            yield
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('enable_seqscan'), "
                "set_config('enable_seqscan', 'off', true)"
            )
            before = cursor.fetchone()[0]
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('enable_seqscan', %s, true)", [before])
