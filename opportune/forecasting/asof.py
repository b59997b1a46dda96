"""The pipeline as it stood at past moments, rebuilt from the opportunity history.

Each history row holds the five tracked values after a change, so an opportunity's state at
a moment is its newest row at or before it. The pipeline of a past day is read from the
stored daily snapshots or rebuilt by one windowed statement; the change between two days
(the waterfall) is classified in SQL by ``changes``. Owner and name are today's (the history
does not track them).

"In the pipeline" means open and in an open forecast category (pipeline, best case, commit),
optionally with a close date inside a period: the pipeline *for* that period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Sum
from django.utils import timezone

from opportune.fiscal import FiscalPeriod
from opportune.identity.models import User

from . import history_sql as sql
from . import snapshots
from . import today as today_pipeline
from .changes import CHANGE_KINDS as CHANGE_KINDS  # re-exported: callers ask asof
from .changes import CHANGE_LABELS as CHANGE_LABELS
from .changes import Change as Change
from .changes import changed_deals
from .forecast import OPEN_CATEGORIES, ZERO
from .owners import visible_deals, visible_owners
from .snapshots import end_of_day as end_of_day  # re-exported: callers ask asof


@dataclass
class Tally:
    count: int = 0
    amount: Decimal = ZERO
    weighted: Decimal = ZERO

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
        for stage, category, tally in _current(viewer, close_from, close_to, today):
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
    viewer: User, close_from: dt.date | None, close_to: dt.date | None, today: dt.date
) -> list[tuple[int, str, Tally]]:
    """The open pipeline as the deals stand now (their newest history row): the newest fresh
    stored day and the deals changed since (``today.current``); without one, one grouped
    statement per part of what the viewer sees (``owners.visible_deals``: her owners' deals
    on the index starting with the owner, the unowned ones), not a join of every deal to its
    owner's team."""
    base = today_pipeline.base(today)
    if base is not None:
        return [
            (stage, category, Tally(count, amount, weighted / 100))
            for stage, category, count, amount, weighted in today_pipeline.current(
                viewer, close_from, close_to, base
            )
        ]
    found = []
    for deals in visible_deals(viewer, visible_owners(viewer)):
        deals = deals.filter(is_closed=False, forecast_category__in=OPEN_CATEGORIES)
        if close_from is not None and close_to is not None:
            deals = deals.filter(close_date__range=(close_from, close_to))
        # Grouped by the pipeline too (a stage belongs to one: the same groups), the order of
        # the open-deal indexes: without it SQLite read the whole company's open deals through
        # the stage index and the table (1M deals: 3.0 s, 1.4 s on ``opp_open_deals``).
        grouped = (
            deals.order_by()
            .values_list("pipeline_id", "stage_id", "forecast_category")
            .annotate(n=Count("close_date"), a=Sum("amount"), w=Sum(F("amount") * F("probability")))
        )
        found += [
            (stage, category, Tally(count, sql.money(amount), sql.money(weighted) / 100))
            for _, stage, category, count, amount, weighted in grouped
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


@dataclass
class PipelineChanges:
    """How the pipeline got from ``start`` to ``end``: the waterfall.

    end = start + new + moved_in - moved_out - won - lost + amount_changed, where won and lost
    count what closed at its closing amount, and amount_changed holds every change of amount
    of a deal that stayed in or closed from the pipeline (so a deal won at a discount shows
    its discount there). ``changes`` lists the first of the ``total_changes`` changed deals
    (all of them unless a limit was asked), in order of first kind, name and id.
    """

    start_day: dt.date
    end_day: dt.date
    period: FiscalPeriod | None
    start: Tally = field(default_factory=Tally)
    end: Tally = field(default_factory=Tally)
    flows: dict[str, Tally] = field(default_factory=lambda: {k: Tally() for k in CHANGE_KINDS})
    changes: list[Change] = field(default_factory=list)
    total_changes: int = 0

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


def pipeline_changes(
    viewer: User,
    start_day: dt.date,
    end_day: dt.date,
    period: FiscalPeriod | None = None,
    *,
    limit: int | None = None,
) -> PipelineChanges:
    """The start and end pipelines (stored snapshots, or grouped in the database) and the
    flows between them with the first ``limit`` changed deals (all: None), classified in one
    statement over only the deals that changed in between (``changes.changed_deals``)."""
    result = PipelineChanges(start_day, end_day, period)
    result.start, result.end = (
        s.total for s in pipeline_as_of(viewer, [start_day, end_day], period)
    )
    found = changed_deals(viewer, end_of_day(start_day), end_of_day(end_day), period, limit=limit)
    for kind, (count, amount) in found.by_kind.items():
        result.flows[kind] = Tally(count, amount)
    result.total_changes = found.total
    result.changes = found.changes
    return result
