"""The pipeline as it stood at past moments, rebuilt from the opportunity history.

Each history row holds the five tracked values after a change, so an opportunity's state at
a moment is its newest row at or before it. One query streams the visible history in
(opportunity, time) order and yields the state at every asked moment in a single pass; the
owner and name are today's (the history does not track them).

"In the pipeline" means open and in an open forecast category (pipeline, best case, commit),
optionally with a close date inside a period: the pipeline *for* that period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Sum
from django.utils import timezone

from opportune.fiscal import FiscalPeriod
from opportune.identity.models import User
from opportune.opportunities.models import Stage

from . import history_sql as sql
from . import snapshots
from .forecast import OPEN_CATEGORIES, ZERO
from .owners import visible_deals, visible_owners
from .snapshots import end_of_day as end_of_day  # re-exported: callers ask asof


@dataclass(frozen=True)
class DealState:
    """One opportunity's tracked values at a moment."""

    opportunity_id: int
    name: str
    owner_id: int | None
    stage_id: int
    amount: Decimal | None
    probability: int
    close_date: dt.date
    forecast_category: str
    is_closed: bool
    is_won: bool

    @property
    def value(self) -> Decimal:
        return self.amount or ZERO

    def in_pipeline(self, period: FiscalPeriod | None = None) -> bool:
        if self.is_closed or self.forecast_category not in OPEN_CATEGORIES:
            return False
        return period is None or period.contains(self.close_date)


def states_at(
    viewer: User, moments: list[dt.datetime], *, changed_from: dt.datetime | None = None
) -> list[dict[int, DealState]]:
    """For each moment, the state of every opportunity the viewer may see that existed then;
    with ``changed_from``, only of the deals with a change from that moment on (the others
    are the same at every later moment). One statement: each moment joined to the spans that
    hold it, or, with ``changed_from``, each changed deal's newest row before each moment."""
    if not moments:
        return []
    if changed_from is not None:
        rows = _newest_rows_before(viewer, moments, changed_from)
    else:
        span_sql, span_params = sql.spans(viewer, before=max(moments))
        moments_sql, moments_params = sql.moments_values(moments)
        rows = sql.fetch(
            f"""
            WITH s AS ({span_sql}), m(idx, moment_at) AS ({moments_sql})
            SELECT m.idx, s.opportunity_id, o.name, o.owner_id, s.stage_id, s.amount,
                   s.probability, s.close_date, s.forecast_category
            FROM s
            JOIN m ON s.changed_at < m.moment_at
                  AND (s.until IS NULL OR s.until >= m.moment_at)
            JOIN opportunities_opportunity o ON o.id = s.opportunity_id
            """,
            span_params + moments_params,
        )
    stages = {
        pk: (closed, won)
        for pk, closed, won in Stage.objects.values_list("pk", "is_closed", "is_won")
    }
    found: list[dict[int, DealState]] = [{} for _ in moments]
    for index, opportunity, name, owner, stage, amount, probability, close, category in rows:
        closed, won = stages[stage]
        found[index][opportunity] = DealState(
            opportunity,
            name,
            owner,
            stage,
            None if amount is None else sql.money(amount),
            probability,
            _date(close),
            category,
            closed,
            won,
        )
    return found


def _newest_rows_before(
    viewer: User, moments: list[dt.datetime], changed_from: dt.datetime
) -> list[tuple[Any, ...]]:
    """The deals with a history row from ``changed_from`` to the last moment (the index on
    ``changed_at`` finds them), and for each moment each such deal's newest row before it (one
    probe of the index on (deal, changed_at) per deal and moment): the span holding the
    moment, without reading the deals' whole history. Same-instant rows: the highest id."""
    visible, params = sql.visible_ids(viewer)
    picks = []
    pick_params: list[Any] = []
    for index, moment in enumerate(moments):
        picks.append(
            f"""
            SELECT {index} AS idx, c.opportunity_id, (
                SELECT p.id FROM {sql.HISTORY} p
                WHERE p.opportunity_id = c.opportunity_id AND p.changed_at < %s
                ORDER BY p.changed_at DESC, p.id DESC LIMIT 1
            ) AS row_id
            FROM c
            """
        )
        pick_params.append(sql.at(moment))
    return sql.fetch(
        f"""
        WITH c AS (
            SELECT DISTINCT w.opportunity_id FROM {sql.HISTORY} w
            WHERE w.changed_at >= %s AND w.changed_at < %s AND w.opportunity_id IN ({visible})
        ), picked AS ({" UNION ALL ".join(picks)})
        SELECT picked.idx, h.opportunity_id, o.name, o.owner_id, h.stage_id, h.amount,
               h.probability, h.close_date, h.forecast_category
        FROM picked
        JOIN {sql.HISTORY} h ON h.id = picked.row_id
        JOIN opportunities_opportunity o ON o.id = h.opportunity_id
        """,
        [sql.at(changed_from), sql.at(max(moments)), *params, *pick_params],
    )


def _date(value: dt.date | str) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


@dataclass
class Tally:
    count: int = 0
    amount: Decimal = ZERO
    weighted: Decimal = ZERO

    def add(self, state: DealState) -> None:
        self.count += 1
        self.amount += state.value
        self.weighted += state.value * state.probability / 100

    def merge(self, other: Tally) -> None:
        self.count += other.count
        self.amount += other.amount
        self.weighted += other.weighted


@dataclass
class PipelineSnapshot:
    day: dt.date
    period: FiscalPeriod | None
    total: Tally = field(default_factory=Tally)
    by_stage: dict[int, Tally] = field(default_factory=dict)
    by_category: dict[str, Tally] = field(default_factory=dict)


def pipeline_as_of(
    viewer: User, days: list[dt.date], period: FiscalPeriod | None = None
) -> list[PipelineSnapshot]:
    """The open pipeline at the end of each day (for one period's close dates, if given), per
    stage and forecast category. Days with a fresh stored snapshot read it (``snapshots``),
    today and later days read the deals as they are, and only the other days are rebuilt
    from the history by one windowed statement."""
    found = [PipelineSnapshot(day, period) for day in days]
    if not days:
        return found
    close_from, close_to = (period.start, period.end) if period else (None, None)
    at_index: dict[dt.date, list[int]] = {}
    for index, day in enumerate(days):
        at_index.setdefault(day, []).append(index)
    fresh = snapshots.fresh_days(days)
    for row in snapshots.read(viewer, fresh, close_from, close_to) if fresh else []:
        tally = Tally(row.count, row.amount, row.amount_x_probability / 100)
        for index in at_index[row.day]:
            _add(found[index], row.stage_id, row.forecast_category, tally)
    today = timezone.localdate()
    current = [d for d in at_index if d not in fresh and d >= today]
    if current:
        for stage, category, tally in _current(viewer, close_from, close_to):
            for day in current:
                for index in at_index[day]:
                    _add(found[index], stage, category, tally)
    past = [d for d in at_index if d not in fresh and d < today]
    if past:
        for day, stage, category, tally in _rebuilt(viewer, past, close_from, close_to):
            for index in at_index[day]:
                _add(found[index], stage, category, tally)
    return found


def _add(snapshot: PipelineSnapshot, stage: int, category: str, tally: Tally) -> None:
    snapshot.total.merge(tally)
    snapshot.by_stage.setdefault(stage, Tally()).merge(tally)
    snapshot.by_category.setdefault(category, Tally()).merge(tally)


def _current(
    viewer: User, close_from: dt.date | None, close_to: dt.date | None
) -> list[tuple[int, str, Tally]]:
    """The open pipeline as the deals stand now (their newest history row): one grouped
    statement per part of what the viewer sees (``owners.visible_deals``: her owners' deals
    on the index starting with the owner, the unowned ones), not a join of every deal to its
    owner's team."""
    found = []
    for deals in visible_deals(viewer, visible_owners(viewer)):
        deals = deals.filter(is_closed=False, forecast_category__in=OPEN_CATEGORIES)
        if close_from is not None and close_to is not None:
            deals = deals.filter(close_date__range=(close_from, close_to))
        grouped = (
            deals.order_by()
            .values_list("stage_id", "forecast_category")
            .annotate(n=Count("close_date"), a=Sum("amount"), w=Sum(F("amount") * F("probability")))
        )
        found += [
            (stage, category, Tally(count, sql.money(amount), sql.money(weighted) / 100))
            for stage, category, count, amount, weighted in grouped
        ]
    return found


def _rebuilt(
    viewer: User, days: list[dt.date], close_from: dt.date | None, close_to: dt.date | None
) -> list[tuple[dt.date, int, str, Tally]]:
    """The open pipeline at the end of each day from the history: one windowed statement."""
    moments = [end_of_day(d) for d in days]
    span_sql, span_params = sql.spans(viewer, before=max(moments))
    moments_sql, moments_params = sql.moments_values(moments)
    inside, inside_params = sql.open_pipeline_filter(close_from, close_to)
    rows = sql.fetch(
        f"""
        WITH s AS ({span_sql}), m(idx, moment_at) AS ({moments_sql})
        SELECT m.idx, s.stage_id, s.forecast_category, COUNT(*), SUM(s.amount),
               SUM(s.amount * s.probability)
        FROM s
        JOIN m ON s.changed_at < m.moment_at AND (s.until IS NULL OR s.until >= m.moment_at)
        JOIN {sql.STAGE} st ON st.id = s.stage_id
        WHERE {inside}
        GROUP BY m.idx, s.stage_id, s.forecast_category
        """,
        span_params + moments_params + inside_params,
    )
    return [
        (days[index], stage, category, Tally(count, sql.money(amount), sql.money(weighted) / 100))
        for index, stage, category, count, amount, weighted in rows
    ]


# --- the change between two dates -------------------------------------------------------------

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
class PipelineChanges:
    """How the pipeline got from ``start`` to ``end``: the waterfall.

    end = start + new + moved_in - moved_out - won - lost + amount_changed, where won and lost
    count what closed at its closing amount, and amount_changed holds every change of amount
    of a deal that stayed in or closed from the pipeline (so a deal won at a discount shows
    its discount there).
    """

    start_day: dt.date
    end_day: dt.date
    period: FiscalPeriod | None
    start: Tally = field(default_factory=Tally)
    end: Tally = field(default_factory=Tally)
    flows: dict[str, Tally] = field(default_factory=lambda: {k: Tally() for k in CHANGE_KINDS})
    changes: list[Change] = field(default_factory=list)

    def balance(self) -> Decimal:
        f = self.flows
        return (
            self.start.amount
            + f["new"].amount
            + f["moved_in"].amount
            - f["moved_out"].amount
            - f["won"].amount
            - f["lost"].amount
            + f["amount_changed"].amount
        )


def _flow(tally: Tally, amount: Decimal) -> None:
    tally.count += 1
    tally.amount += amount


def pipeline_changes(
    viewer: User, start_day: dt.date, end_day: dt.date, period: FiscalPeriod | None = None
) -> PipelineChanges:
    """The start and end pipelines (grouped in the database) and the flows between them, from
    the states of only the deals that changed in between."""
    moments = [end_of_day(start_day), end_of_day(end_day)]
    result = PipelineChanges(start_day, end_day, period)
    result.start, result.end = (
        s.total for s in pipeline_as_of(viewer, [start_day, end_day], period)
    )
    before_all, after_all = states_at(viewer, moments, changed_from=moments[0])
    for opportunity_id in before_all.keys() | after_all.keys():
        before, after = before_all.get(opportunity_id), after_all.get(opportunity_id)
        was_in = before is not None and before.in_pipeline(period)
        now_in = after is not None and after.in_pipeline(period)
        if after is None:
            continue
        closed_now = (
            after.is_closed
            and (before is None or not before.is_closed or before.is_won != after.is_won)
            and (period is None or period.contains(after.close_date))
        )
        kinds: list[str] = []
        if was_in and before is not None and (now_in or closed_now):
            delta = after.value - before.value
            if delta:
                kinds.append("amount_changed")
                _flow(result.flows["amount_changed"], delta)
        elif not was_in and (now_in or closed_now):
            kinds.append("new" if before is None else "moved_in")
            _flow(result.flows[kinds[-1]], after.value)
        elif was_in and before is not None:
            kinds.append("moved_out")
            _flow(result.flows["moved_out"], before.value)
        if closed_now:
            kinds.append("won" if after.is_won else "lost")
            _flow(result.flows[kinds[-1]], after.value)
        if kinds:
            result.changes.append(
                Change(
                    opportunity_id,
                    after.name,
                    after.owner_id,
                    kinds,
                    before.amount if before else None,
                    after.amount,
                )
            )
    result.changes.sort(key=lambda c: (c.kinds[0], c.name, c.opportunity_id))
    return result
