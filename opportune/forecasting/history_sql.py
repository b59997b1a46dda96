"""Set-based SQL over the opportunity history, for the analytics that rebuild the past.

Each history row holds the five tracked values after a change, so the row is the deal's state
from its ``changed_at`` until the next row's (``LEAD`` over the deal's rows in time order):
its *span*. The state at a moment is the span that holds it: ``changed_at < moment`` and the
next change at or after it. Rows of one deal at the same instant are ordered by id, so only
the last of them holds a non-empty span, as when the rows are replayed in order.

The statements run on SQLite (>= 3.25, window functions) and PostgreSQL. Only the deals the
viewer may see take part: the policy's queryset (``Opportunity.objects.visible_to``) is
compiled into the statement as a subquery, so visibility has one definition.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import OperationalError, connection, transaction

from opportune.identity.models import User
from opportune.opportunities.models import Opportunity

from .forecast import OPEN_CATEGORIES

HISTORY = "opportunities_opportunityhistory"
STAGE = "opportunities_stage"
CHANGES = "audit_fieldchange"
SETTLE_TRIES, SETTLE_WAIT = 5, "2s"  # how long a build waits for writers in flight


def visible_ids(viewer: User) -> tuple[str, list[Any]]:
    """``SELECT id`` of the opportunities the viewer may see, and its parameters: the owner
    rule resolved to owner ids (``visible_by_owner_ids``), which the owner index serves."""
    query = Opportunity.objects.visible_by_owner_ids(viewer).order_by().values("pk").query
    try:
        sql, params = query.sql_with_params()
    except EmptyResultSet:  # a role that sees no deal
        return "SELECT id FROM opportunities_opportunity WHERE 1 = 0", []
    return sql, list(params)


def state_before(alias: str, deal: str, columns: str, *, left: bool = False) -> str:
    """A join of ``alias``: the newest history row of the deal ``deal`` (a column) before a
    moment (one ``%s``; ties at the same instant: the highest id), one probe of the index
    that holds the values (``opp_history_states``). PostgreSQL: a lateral subquery of
    ``columns`` (of ``p``), read from the index alone. SQLite: the row joined by its
    (``changed_at``, id) found as a row value ("+": not by the id, from the table), the index
    named (``INDEXED BY``: under the sampled statistics an installation keeps,
    housekeeping.py, the planner took one that is not covering)."""
    join = "LEFT JOIN" if left else "JOIN"
    if connection.vendor == "postgresql":
        return f"""{join} LATERAL (
        SELECT {columns} FROM {HISTORY} p
        WHERE p.opportunity_id = {deal} AND p.changed_at < %s
        ORDER BY p.changed_at DESC, p.id DESC LIMIT 1
    ) {alias} ON TRUE"""
    return f"""{join} {HISTORY} {alias} INDEXED BY opp_history_states
         ON {alias}.opportunity_id = {deal} AND ({alias}.changed_at, +{alias}.id) = (
        SELECT p.changed_at, p.id FROM {HISTORY} p INDEXED BY opp_history_states
        WHERE p.opportunity_id = {deal} AND p.changed_at < %s
        ORDER BY p.changed_at DESC, p.id DESC LIMIT 1
    )"""


def visible_deal(alias: str, visible: str, deal: str) -> str:
    """A join of ``alias``: the deal ``deal`` (a column) among ``visible`` (a statement of the
    deals a viewer sees, with their ``id``), one probe of the primary key per row. PostgreSQL:
    a lateral subquery (its LIMIT keeps the planner from flattening it), where a plain join
    hashed every deal the viewer sees: an admin's 19,000 changed deals this quarter met all
    1M deals (a 300 ms scan). SQLite probes the key on its own."""
    if connection.vendor == "postgresql":
        return f"""CROSS JOIN LATERAL (
        SELECT * FROM ({visible}) {alias} WHERE {alias}.id = {deal} LIMIT 1
    ) {alias}"""
    return f"JOIN ({visible}) {alias} ON {alias}.id = {deal}"


def at(moment: dt.datetime) -> Any:
    """A moment as the database compares it with stored datetimes."""
    return connection.ops.adapt_datetimefield_value(moment)


def spans(
    viewer: User, *, before: dt.datetime | None = None, also: str = ""
) -> tuple[str, list[Any]]:
    """A CTE body: the visible history rows with ``until``, the next change of the same deal
    (NULL for its newest row). ``before`` drops rows from that moment on (they hold no earlier
    state); ``also`` is a further condition on ``h`` (with no parameters)."""
    visible, params = visible_ids(viewer)
    where = [f"h.opportunity_id IN ({visible})"]
    if before is not None:
        where.append("h.changed_at < %s")
        params.append(at(before))
    if also:
        where.append(also)
    sql = f"""
        SELECT h.opportunity_id, h.stage_id, h.amount, h.probability, h.close_date,
               h.forecast_category, h.changed_at,
               LEAD(h.changed_at) OVER (
                   PARTITION BY h.opportunity_id ORDER BY h.changed_at, h.id
               ) AS until
        FROM {HISTORY} h
        WHERE {" AND ".join(where)}
    """
    return sql, params


def moments_values(moments: Sequence[dt.datetime]) -> tuple[str, list[Any]]:
    """A CTE body listing ``(idx, moment_at)``, one row per moment."""
    rows = ", ".join(["(%s, %s)"] * len(moments))
    params: list[Any] = []
    for index, moment in enumerate(moments):
        params += [index, at(moment)]
    return f"VALUES {rows}", params


def open_pipeline_filter(
    close_from: dt.date | None, close_to: dt.date | None
) -> tuple[str, list[Any]]:
    """The condition for a span "in the pipeline": an open stage, an open forecast category,
    and (for a period) a close date inside it."""
    marks = ", ".join(["%s"] * len(OPEN_CATEGORIES))
    sql = f"NOT st.is_closed AND s.forecast_category IN ({marks})"
    params: list[Any] = list(OPEN_CATEGORIES)
    if close_from is not None and close_to is not None:
        sql += " AND s.close_date >= %s AND s.close_date <= %s"
        params += [close_from, close_to]
    return sql, params


def fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def money(value: Any) -> Decimal:
    """A SUM of amounts as a Decimal (SQLite sums decimals as floats): to the cent."""
    if value is None:
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    return Decimal(repr(float(value))).quantize(Decimal("0.01"))


def days_between(later: str, earlier: str) -> str:
    """SQL for the days (fractional) from ``earlier`` to ``later``, two datetime columns."""
    if connection.vendor == "postgresql":
        return f"(EXTRACT(EPOCH FROM ({later} - {earlier})) / 86400.0)"
    return f"(julianday({later}) - julianday({earlier}))"


def settled_marks() -> tuple[int, int]:
    """The newest history row and field change ids, read once no transaction that may still
    commit a smaller id is in flight: what a stored build (snapshots, stays) may call done.

    PostgreSQL hands out ids at insert time but shows rows at commit, so a write that took
    id 10 and commits after a build read id 11 as the newest would be neither in the build
    nor newer than its marks: missed for good. A ``SHARE`` lock on both tables waits for the
    writers in flight (they hold ``ROW EXCLUSIVE``) and is released at once: every smaller
    id is then committed, and the build's reads, which start after it, see them. The wait is
    bounded (``lock_timeout``) and retried, so a long import delays a build, never every
    writer behind the queued lock. SQLite has one writer at a time, whose ids are all above
    the committed ones: its marks need no wait. Raw SQL: a migration's data step calls this
    with the schema of its time."""
    if connection.vendor != "postgresql":
        return _newest_ids()
    for attempt in range(SETTLE_TRIES):
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL lock_timeout = '{SETTLE_WAIT}'")
                    cursor.execute(f"LOCK TABLE {HISTORY}, {CHANGES} IN SHARE MODE")
                return _newest_ids()
        except OperationalError:
            if attempt == SETTLE_TRIES - 1:
                raise
    raise AssertionError("unreachable")


def _newest_ids() -> tuple[int, int]:
    [(history, changes)] = fetch(
        f"SELECT (SELECT COALESCE(MAX(id), 0) FROM {HISTORY}), "
        f"(SELECT COALESCE(MAX(id), 0) FROM {CHANGES})",
        [],
    )
    return int(history), int(changes)
