"""What the opportunity history says, as of a moment: the material of the predicted forecast,
its backtest and the baselines.

A deal's situation at a moment T is read from its history rows before T: its state then,
whether and when it had closed, and when it entered each open stage. Durations are counted
in whole days and estimated with a discrete competing-risks (Aalen-Johansen) estimator, so
deals still open at T count as "not closed yet" (censored) instead of being ignored: a
stage where deals linger is not mistaken for one where they close fast.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import FloatField
from django.db.models.functions import Cast

from opportune.identity.models import User
from opportune.opportunities.models import Opportunity, OpportunityHistory, Stage

from .forecast import OPEN_CATEGORIES


class Row(NamedTuple):
    """A history row: the deal's state from ``at`` on. A named tuple, not a dataclass: a fit
    at a million deals builds two million of them, and a tuple is built several times
    faster."""

    at: dt.datetime
    stage_id: int
    amount: float
    probability: int
    close_date: dt.date
    category: str


@dataclass
class Timeline:
    """One opportunity's history, oldest row first, with the features the baselines use."""

    opportunity_id: int
    team_id: int | None
    lead_source: str
    rows: list[Row] = field(default_factory=list)


@dataclass(frozen=True)
class StageInfo:
    order: int
    probability: int
    is_closed: bool
    is_won: bool


def stage_table() -> dict[int, StageInfo]:
    return {
        pk: StageInfo(order, probability, closed, won)
        for pk, order, probability, closed, won in Stage.objects.values_list(
            "pk", "order", "default_probability", "is_closed", "is_won"
        )
    }


def load_timelines(
    viewer: User, before: dt.datetime | None = None, pipeline_id: int | None = None
) -> list[Timeline]:
    """Every visible opportunity's history (before a moment, and in a pipeline, if given), in
    one query."""
    deals = Opportunity.objects.visible_to(viewer)
    if pipeline_id is not None:
        deals = deals.filter(pipeline_id=pipeline_id)
    rows = OpportunityHistory.objects.filter(opportunity__in=deals.values("pk"))
    if before is not None:
        rows = rows.filter(changed_at__lt=before)
    query = rows.order_by("opportunity_id", "changed_at", "pk").values_list(
        "opportunity_id",
        "opportunity__owner__team_id",
        "opportunity__lead_source",
        "changed_at",
        "stage_id",
        Cast("amount", FloatField()),
        "probability",
        "close_date",
        "forecast_category",
    )
    found: list[Timeline] = []
    for pk, team, source, at, stage, amount, probability, close, category in _raw(query):
        if not found or found[-1].opportunity_id != pk:
            found.append(Timeline(pk, team, source or ""))
        if at.tzinfo is None:  # SQLite: stored in UTC, read naive
            at = at.replace(tzinfo=dt.UTC)
        found[-1].rows.append(Row(at, stage, amount or 0.0, probability, close, category))
    return found


def _raw(query: Any) -> Iterator[tuple[Any, ...]]:
    """The rows of a values_list query read by the database driver alone, in chunks: at two
    million history rows, Django's per-value converters (a Decimal per amount, a time zone
    check per moment) took most of a fit's reading time. The driver gives dates and moments
    already (SQLite's registered converters, psycopg's types); the amount is cast to a float
    in SQL."""
    sql, params = query.query.sql_with_params()
    # A server-side cursor on PostgreSQL (as ``iterator()`` uses): two million rows stay in
    # the database until fetched.
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(5000):
            yield from chunk


@dataclass
class Situation:
    """A deal as it stood at a moment."""

    timeline: Timeline
    state: Row
    created_at: dt.datetime
    closed_at: dt.datetime | None  # when it entered its closed stage, if closed then
    won: bool
    entries: dict[int, dt.datetime]  # open stage -> first entry
    stage_entered_at: dt.datetime  # start of the current run in its stage
    last_open: Row | None  # the last row while open (the stage it was lost or won from)

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    def in_pipeline(self) -> bool:
        return not self.is_closed and self.state.category in OPEN_CATEGORIES


def situation(
    timeline: Timeline, moment: dt.datetime, stages: dict[int, StageInfo]
) -> Situation | None:
    """The deal at ``moment`` (its rows before it), or None if it did not exist yet."""
    rows = [row for row in timeline.rows if row.at < moment]
    if not rows:
        return None
    entries: dict[int, dt.datetime] = {}
    closed_at: dt.datetime | None = None
    stage_entered_at = rows[0].at
    last_open: Row | None = None
    previous_stage: int | None = None
    for row in rows:
        info = stages[row.stage_id]
        was_closed = previous_stage is not None and stages[previous_stage].is_closed
        if row.stage_id != previous_stage:
            stage_entered_at = row.at
        if info.is_closed:
            if not was_closed:
                closed_at = row.at
        else:
            closed_at = None
            entries.setdefault(row.stage_id, row.at)
            last_open = row
        previous_stage = row.stage_id
    state = rows[-1]
    return Situation(
        timeline=timeline,
        state=state,
        created_at=rows[0].at,
        closed_at=closed_at,
        won=closed_at is not None and stages[state.stage_id].is_won,
        entries=entries,
        stage_entered_at=stage_entered_at,
        last_open=last_open,
    )


def situations(
    timelines: Iterable[Timeline], moment: dt.datetime, stages: dict[int, StageInfo]
) -> list[Situation]:
    found = (situation(t, moment, stages) for t in timelines)
    return [s for s in found if s is not None]


def days_between(start: dt.datetime, end: dt.datetime) -> int:
    """Whole days from ``start`` to ``end`` (0 if before): a timedelta's ``days`` is the floor
    of its length in days, exactly, without going through float seconds."""
    return max(0, (end - start).days)


class CompetingRisks:
    """Discrete-time cumulative incidence of winning and losing, by whole days since a start.

    ``samples`` are (days, outcome) with outcome "won", "lost" or None for a deal still open
    when observed (censored after ``days`` full days).
    """

    def __init__(self, samples: Iterable[tuple[int, str | None]]) -> None:
        samples = list(samples)
        horizon = max((d for d, _ in samples), default=0) + 2
        won = [0] * horizon
        lost = [0] * horizon
        leaving = [0] * horizon  # leave the risk set after this day
        for days, outcome in samples:
            if outcome == "won":
                won[days] += 1
                leaving[days] += 1
            elif outcome == "lost":
                lost[days] += 1
                leaving[days] += 1
            elif days > 0:
                leaving[days - 1] += 1  # open for ``days`` full days: at risk on days 0..days-1
        self.events = sum(won) + sum(lost)
        self.won_hazard: list[float] = []
        self.survival: list[float] = []  # probability of still being open after day t
        at_risk = len(samples) - sum(1 for d, o in samples if o is None and d == 0)
        alive = 1.0
        for day in range(horizon):
            hazard_won = won[day] / at_risk if at_risk else 0.0
            hazard_lost = lost[day] / at_risk if at_risk else 0.0
            self.won_hazard.append(hazard_won)
            alive *= 1.0 - hazard_won - hazard_lost
            self.survival.append(max(alive, 0.0))
            at_risk -= leaving[day]

    def win_days(self, age: int) -> list[tuple[int, float]]:
        """For a deal open ``age`` days, (day, probability of being won on that day) for each
        later day with a chance, given that it has not closed before day ``age``."""
        if age >= len(self.survival):
            return []
        before = self.survival[age - 1] if age > 0 else 1.0
        if before <= 0:
            return []
        found = []
        for day in range(age, len(self.won_hazard)):
            alive = self.survival[day - 1] if day > 0 else 1.0
            chance = alive / before * self.won_hazard[day]
            if chance > 0:
                found.append((day, chance))
        return found

    def win_chance(self, age: int) -> float:
        return sum(p for _, p in self.win_days(age))


def decimal(value: float) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))
