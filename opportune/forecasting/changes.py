"""How each deal changed the pipeline between two moments: its flows, classified in SQL.

Only a deal with a history row inside the window can differ at its two ends, so only those
rows are read, with their values, from an index: every deal's by moment
(``opp_history_window``), or, for a viewer who sees some owners' deals, her owners' by the
deal's owner kept on each row (``opp_history_by_owner``, a range per owner). Their deals are
joined to the visible deals (the policy decides); each one's state at the start is its newest
row before it (ties at the same instant: the highest id), one probe of the index on (deal,
``changed_at``, id) that holds the values (``opp_history_states``), and at the end its newest
row in the window (PostgreSQL) or a probe too (SQLite). Only how the states are found is
written per database; the rules are one text for both.

Each such deal then takes at most two *kinds* (the rules, in ``_CLASSIFIED``):

- a deal in the pipeline at the start that is still in it or closed inside the period:
  ``amount_changed`` by the difference of its amounts, if they differ;
- a deal not in it at the start that is in it at the end or closed inside the period: ``new``
  (it had no row before the start) or ``moved_in``, at its amount at the end;
- a deal in it at the start that is neither: ``moved_out``, at its amount at the start;
- and besides, a deal that closed (was open, or closed the other way, at the start) with a
  close date inside the period: ``won`` or ``lost``, at its amount at the end.

One statement returns both the grouped flows (count and amount per pair of kinds) and the
first ``limit`` changed deals in the report's order (first kind, name, id): the classified
deals are a common table expression read twice, which both databases then materialize once.
Owner and name are today's, as everywhere in the history reports (the history does not track
them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet

from opportune.fiscal import FiscalPeriod
from opportune.identity.models import User
from opportune.opportunities.models import Opportunity

from . import history_sql as sql
from .forecast import OPEN_CATEGORIES
from .owners import visible_history, visible_owners

CHANGE_KINDS = ("new", "moved_in", "moved_out", "won", "lost", "amount_changed")
CHANGE_LABELS = {
    "new": "New",
    "moved_in": "Moved in",
    "moved_out": "Moved out",
    "won": "Won",
    "lost": "Lost",
    "amount_changed": "Amount changed",
}


@dataclass
class Change:
    opportunity_id: int
    name: str
    owner_id: int | None
    kinds: list[str]
    amount_before: Decimal | None
    amount_after: Decimal | None

    @property
    def labels(self) -> list[str]:
        """The kinds in words, as the page shows them."""
        return [CHANGE_LABELS[kind] for kind in self.kinds]


@dataclass
class Flows:
    """The flows by kind, (count, amount); the number of changed deals; the first of them."""

    by_kind: dict[str, tuple[int, Decimal]]
    total: int
    changes: list[Change]


# The rows inside the window ({rows}, per viewer: _window) hold the values: each deal's newest
# is its state at the end. w: those deals that are visible ({visible}: each one probed,
# history_sql.visible_deal), with their name and owner; d: their states at the end and
# (b_...) at the start, the newest rows before each (an empty start: no row before it).
# {inside_b}/{inside_a}: "in the pipeline" at the start/end; {closing_in}: the end's close
# date inside the period. The flags are 0/1 so that a missing start row (NULLs) is "not in".
# SQLite: the window's deals, then one probe per end ({end_state}, {start_state}:
# history_sql.state_before).
_STATES_BY_ID = """
WITH w AS (
    SELECT x.opportunity_id, v.name, v.owner_id
    FROM (SELECT DISTINCT y.opportunity_id FROM ({rows}) y) x {visible}
), d AS (
    SELECT w.opportunity_id, w.name, w.owner_id,
           a.stage_id, a.amount, a.close_date, a.forecast_category,
           b.id AS b_id, b.stage_id AS b_stage_id, b.amount AS b_amount,
           b.close_date AS b_close_date, b.forecast_category AS b_category
    FROM w {end_state}
    {start_state}
"""
# PostgreSQL: each deal's newest row in the window (DISTINCT ON, the end state: no probe),
# probed among the visible deals; the state at the start a lateral probe read from the index
# alone ({start_state}). d is materialized so that the stages join it once, not once per
# deal. (Joined by the ids of scalar subqueries, or by the deal's id, its planner hashed the
# whole history table: 2.2 million rows at 1M deals, for 17,000 changed deals.)
_STATES_LATERAL = """
WITH e AS (
    SELECT DISTINCT ON (y.opportunity_id) y.*
    FROM ({rows}) y ORDER BY y.opportunity_id, y.changed_at DESC, y.id DESC
), w AS (
    SELECT e.opportunity_id, v.name, v.owner_id,
           e.stage_id, e.amount, e.close_date, e.forecast_category
    FROM e {visible}
), d AS MATERIALIZED (
    SELECT w.opportunity_id, w.name, w.owner_id,
           w.stage_id, w.amount, w.close_date, w.forecast_category,
           b.id AS b_id, b.stage_id AS b_stage_id, b.amount AS b_amount,
           b.close_date AS b_close_date, b.forecast_category AS b_category
    FROM w
    {start_state}
"""
# The rows inside the window: every deal's, from the index on (changed_at, ...) alone; or, for
# a viewer who sees some owners' deals, her owners' deals' rows, one range per owner of the
# index on (deal's owner, changed_at, ...) (owners.visible_history). At 1M deals a region's
# manager's 17,000 changed deals come from their own 37,000 rows (17 ms), where checking the
# window's 85,000 deals against her 200,000 took half a second on either database.
_WINDOW_ROWS = """SELECT {columns} FROM {history} h{hint} WHERE h.changed_at >= %s{until}"""
# The state at the start, as PostgreSQL's probe reads it from the index alone.
_STATE_COLUMNS = "p.id, p.stage_id, p.amount, p.close_date, p.forecast_category"
_ROW = (
    "opportunity_id",
    "changed_at",
    "id",
    "stage_id",
    "amount",
    "close_date",
    "forecast_category",
)
_CLASSIFIED = """
{states}
), f AS (
    SELECT d.opportunity_id, d.name, d.owner_id, d.b_id AS before_id, d.b_amount AS amount_before,
           d.amount AS amount_after,
           CASE WHEN d.b_id IS NOT NULL AND NOT sb.is_closed AND {inside_b}
                THEN 1 ELSE 0 END AS was_in,
           CASE WHEN NOT sa.is_closed AND {inside_a} THEN 1 ELSE 0 END AS now_in,
           CASE WHEN sa.is_closed {closing_in}
                     AND (d.b_id IS NULL OR NOT sb.is_closed OR sb.is_won <> sa.is_won)
                THEN CASE WHEN sa.is_won THEN 2 ELSE 1 END ELSE 0 END AS closed_now
    FROM d
    JOIN {stage} sa ON sa.id = d.stage_id
    LEFT JOIN {stage} sb ON sb.id = d.b_stage_id
), g AS (
    SELECT f.opportunity_id, f.name, f.owner_id, f.amount_before, f.amount_after,
           COALESCE(f.amount_after, 0) - COALESCE(f.amount_before, 0) AS delta,
           CASE WHEN f.was_in = 1 AND (f.now_in = 1 OR f.closed_now > 0)
                THEN CASE WHEN COALESCE(f.amount_after, 0) <> COALESCE(f.amount_before, 0)
                          THEN 'amount_changed' END
                WHEN f.now_in = 1 OR f.closed_now > 0
                THEN CASE WHEN f.before_id IS NULL THEN 'new' ELSE 'moved_in' END
                WHEN f.was_in = 1 THEN 'moved_out'
           END AS kind,
           CASE f.closed_now WHEN 2 THEN 'won' WHEN 1 THEN 'lost' END AS closing
    FROM f
), c AS (
    SELECT g.opportunity_id, g.name, g.owner_id, g.amount_before, g.amount_after, g.kind,
           g.closing,
           CASE g.kind WHEN 'amount_changed' THEN g.delta
                       WHEN 'moved_out' THEN COALESCE(g.amount_before, 0)
                       ELSE COALESCE(g.amount_after, 0) END AS kind_amount,
           COALESCE(g.kind, g.closing) AS first_kind
    FROM g
    WHERE g.kind IS NOT NULL OR g.closing IS NOT NULL
)
SELECT 0 AS part, kind, closing, COUNT(*) AS n, SUM(kind_amount) AS a1,
       SUM(COALESCE(amount_after, 0)) AS a2, NULL AS first_kind, NULL AS name, NULL AS owner_id
FROM c GROUP BY kind, closing
UNION ALL
SELECT * FROM (
    SELECT 1 AS part, c.kind, c.closing, c.opportunity_id, c.amount_before, c.amount_after,
           c.first_kind{collate}, c.name{collate}, c.owner_id
    FROM c
    ORDER BY c.first_kind{collate}, c.name{collate}, c.opportunity_id
    {limit}
) listed
ORDER BY 1, 7, 8, 4
"""


def changed_deals(
    viewer: User,
    start_at: dt.datetime,
    end_at: dt.datetime,
    period: FiscalPeriod | None = None,
    *,
    limit: int | None = None,
) -> Flows:
    """The flows between ``start_at`` and ``end_at`` (for ``period``'s close dates, if given)
    over the deals the viewer may see, and the first ``limit`` changed deals (all: None)."""
    postgres = connection.vendor == "postgresql"
    rows, visible, window_params = _window(viewer, start_at, end_at, postgres=postgres)
    categories = ", ".join(["%s"] * len(OPEN_CATEGORIES))
    inside_b = f"d.b_category IN ({categories})"
    inside_a = f"d.forecast_category IN ({categories})"
    closing_in = ""
    b_params: list[Any] = list(OPEN_CATEGORIES)
    a_params: list[Any] = list(OPEN_CATEGORIES)
    c_params: list[Any] = []
    if period is not None:
        inside_b += " AND d.b_close_date >= %s AND d.b_close_date <= %s"
        inside_a += " AND d.close_date >= %s AND d.close_date <= %s"
        closing_in = "AND d.close_date >= %s AND d.close_date <= %s"
        b_params += [period.start, period.end]
        a_params += [period.start, period.end]
        c_params += [period.start, period.end]
    states = _STATES_LATERAL if postgres else _STATES_BY_ID
    statement = _CLASSIFIED.format(
        states=states.strip("\n").format(
            rows=rows,
            visible=sql.visible_deal("v", visible, ("e" if postgres else "x") + ".opportunity_id"),
            end_state=sql.state_before("a", "w.opportunity_id", _STATE_COLUMNS),
            start_state=sql.state_before("b", "w.opportunity_id", _STATE_COLUMNS, left=True),
        ),
        stage=sql.STAGE,
        inside_b=inside_b,
        inside_a=inside_a,
        closing_in=closing_in,
        # Python's order of names (code points) whatever the database's collation.
        collate=' COLLATE "C"' if postgres else "",
        limit="" if limit is None else f"LIMIT {int(limit)}",
    )
    params = [
        *window_params,
        *([] if postgres else [sql.at(end_at)]),  # the end state's probe (SQLite)
        sql.at(start_at),
        *b_params,
        *a_params,
        *c_params,
    ]
    by_kind: dict[str, tuple[int, Decimal]] = {}
    total = 0
    changes: list[Change] = []
    for part, kind, closing, n, first, second, _, name, owner in sql.fetch(statement, params):
        if part == 0:
            total += n
            if kind is not None:
                _add(by_kind, kind, n, sql.money(first))
            if closing is not None:
                _add(by_kind, closing, n, sql.money(second))
            continue
        changes.append(
            Change(
                n,
                name,
                owner,
                [k for k in (kind, closing) if k is not None],
                None if first is None else sql.money(first),
                None if second is None else sql.money(second),
            )
        )
    return Flows(by_kind, total, changes)


def _window(
    viewer: User, start: dt.datetime, end: dt.datetime, *, postgres: bool
) -> tuple[str, str, list[Any]]:
    """The rows of the deals the viewer may see (``_ROW``'s columns) between ``start`` and
    ``end``, and those deals with their name and owner, as the policy decides (which also
    leaves out the bin); the parameters of both, in that order."""
    rows, rows_params = window_rows(viewer, start, end, postgres=postgres)
    visible, visible_params = compiled(
        Opportunity.objects.visible_by_owner_ids(viewer).values("id", "name", "owner_id")
    )
    return rows, visible, [*rows_params, *visible_params]


def window_rows(
    viewer: User, start: dt.datetime, end: dt.datetime | None, *, postgres: bool
) -> tuple[str, list[Any]]:
    """The history rows (``_ROW``'s columns) from ``start`` until ``end`` (None: ever) of
    every deal, or of the deals of the owners the viewer sees (a range of the index per
    owner), and the statement's parameters. Candidates only: deals in the bin are among
    them, and the caller joins them to the deals the viewer sees."""
    owners = visible_owners(viewer)
    if owners is None:
        rows = _WINDOW_ROWS.format(
            columns=", ".join(f"h.{column}" for column in _ROW),
            history=sql.HISTORY,
            hint="" if postgres else " INDEXED BY opp_history_window",
            until="" if end is None else " AND h.changed_at < %s",
        )
        return rows, [sql.at(start)] + ([] if end is None else [sql.at(end)])
    bounds = {"changed_at__gte": start} | ({} if end is None else {"changed_at__lt": end})
    parts = [compiled(part.filter(**bounds).values(*_ROW)) for part in visible_history(owners)]
    return " UNION ALL ".join(text for text, _ in parts), [p for _, ps in parts for p in ps]


def compiled(rows: QuerySet[Any, Any]) -> tuple[str, list[Any]]:
    """A queryset's SQL and parameters, unordered; one that can find nothing (a role that
    sees no deal) as a statement of its columns that finds nothing."""
    try:
        statement, params = rows.order_by().query.sql_with_params()
    except EmptyResultSet:
        columns = ", ".join(rows.query.values_select)  # the columns' names here
        return f"SELECT {columns} FROM {rows.model._meta.db_table} WHERE 1 = 0", []
    return statement, list(params)


def _add(by_kind: dict[str, tuple[int, Decimal]], kind: str, n: int, amount: Decimal) -> None:
    count, total = by_kind.get(kind, (0, Decimal(0)))
    by_kind[kind] = (count + n, total + amount)
