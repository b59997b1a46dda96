"""A deal's stored per-deal win probability in whole percent, computed in SQL exactly as
``fitted.win_percent`` computes it in Python (floor(p * 100 + 0.5): the same IEEE double
steps on SQLite, PostgreSQL and Python), so the predicted read can group open deals by it and
lose nothing (``test_predicted_grouping``). Native on both databases: SQLite's ``CAST(... AS
INTEGER)`` truncates, which is the floor of a value that is never negative."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Func, IntegerField


class WinPercent(Func):
    """``WinPercent("win_score__probability")``: NULL for a deal without a stored score."""

    output_field = IntegerField()
    template = "CAST(FLOOR(%(expressions)s * 100 + 0.5) AS INTEGER)"

    def __init__(self, field: str, **extra: Any) -> None:
        super().__init__(F(field), **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="CAST(%(expressions)s * 100 + 0.5 AS INTEGER)", **extra
        )
