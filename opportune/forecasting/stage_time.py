"""Time in stage: the finished stays in each open stage, their count, total, median and 80th
percentile days, read from the stored stage stays (``stays.py``: how they are stored and kept
exact) with the dirty deals' stays read live from the history.

Exact percentiles without sorting every stay: (1) counts and sums per stage and whole-day
bucket, (2) only the stored stays at the wanted ranks of the buckets that hold them, merged
with the few live ones (``time_in_stage``); with more dirty deals than ``MANY_DIRTY`` (nothing
stored yet), the one ranked statement (``_ranked_time_in_stage``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection

from opportune.identity.models import User
from opportune.opportunities.models import Stage

from . import history_sql as sql
from .forecast import ZERO
from .models import StageStay
from .stays import MANY_DIRTY, STAY, days_float, dirty_ids, dirty_now, live_stays

# --- time in stage ------------------------------------------------------------------------------


@dataclass
class StageTime:
    """The finished stays in one open stage: how many, their total, median and 80th
    percentile days (longer than the 80th percentile is unusual)."""

    stage_id: int
    label: str
    stays: int = 0
    total_days: Decimal = ZERO
    median_days: Decimal | None = None
    usual_days: Decimal | None = None

    @property
    def average_days(self) -> Decimal | None:
        return (self.total_days / self.stays).quantize(Decimal("0.01")) if self.stays else None


def _stored_parts(viewer: User) -> tuple[list[tuple[str, list[Any]]], bool]:
    """``SELECT opportunity_id, stage_id, days`` of the stored finished stays the viewer
    sees, as one statement per owner condition: ``owner_id IN (...) OR owner_id IS NULL``
    makes SQLite scan the whole covering index, each alone seeks it. And whether the viewer
    sees every stay (then read in stage and days order: ``stage_stay_days``)."""
    from opportune.identity import policy

    finished = StageStay.objects.filter(left_at__isnull=False).order_by()
    scope = policy.visible_owners(viewer, policy.OPPORTUNITY)
    if scope is None or scope.everyone:  # a rule that is not a list of owners, or everyone
        querysets = [finished.visible_to(viewer)]
    else:
        querysets = []
        if scope.owner_ids:
            querysets.append(finished.filter(owner_id__in=sorted(scope.owner_ids)))
        if scope.unowned:
            querysets.append(finished.filter(owner__isnull=True))
    parts = []
    for found in querysets:
        try:
            text, params = found.values(
                "opportunity_id", "stage_id", "days"
            ).query.sql_with_params()
        except EmptyResultSet:
            continue
        if connection.vendor == "sqlite" and scope is not None and not scope.everyone:
            # a list of owners: SQLite would walk a stage's days on ``stage_stay_days``
            # across every owner (846 ms for a region's manager at 1M, 167 ms on this one)
            text = text.replace(
                f'FROM "{STAY}"', f'FROM "{STAY}" INDEXED BY stage_stay_finished', 1
            )
        parts.append((text, list(params)))
    return parts, scope is not None and scope.everyone


def _bucket(column: str, whole: bool) -> str:
    """Whole days (a stay's bucket: floor, days are never negative); PostgreSQL's CAST
    rounds, SQLite's truncates. One bucket per stage when the viewer sees every stay: the
    index in (stage, days) order then walks to a rank with no sort at all."""
    if whole:
        return "0"
    if connection.vendor == "postgresql":
        return f"CAST(FLOOR({column}) AS INTEGER)"
    return f"CAST({column} AS INTEGER)"


@dataclass
class _Stage:
    """One stage's finished stays as read in step one: stored counts and sums per whole-day
    bucket, and the dirty deals' live stays (few) by bucket."""

    stored: dict[int, list[Any]]  # bucket -> [count, total]
    live: dict[int, list[float]]

    def count(self, bucket: int) -> int:
        return int(self.stored.get(bucket, [0])[0]) + len(self.live.get(bucket, []))

    def locate(self, rank: int) -> tuple[int, int]:
        """The bucket holding the ``rank``-th (from 0) shortest stay, and its rank there."""
        for bucket in sorted({*self.stored, *self.live}):
            if rank < self.count(bucket):
                return bucket, rank
            rank -= self.count(bucket)
        raise ValueError(rank)


def _ranks(stays: int) -> tuple[int, int, int]:
    """The positions (from 0) of the median's two middle stays and of the 80th percentile."""
    return (stays + 1) // 2 - 1, (stays + 2) // 2 - 1, (4 * stays + 4) // 5 - 1


def time_in_stage(viewer: User) -> list[StageTime]:
    """Finished stays in each open stage with their count, total, median and 80th-percentile
    days, exact, in four statements whatever the data: the stages; the dirty deals (written
    since the build: few); step one, counts and sums per stage and whole-day bucket of the
    stored stays the viewer sees (the dirty deals' left out) with the dirty deals' live stays
    beside them; step two, only the stored stays at the wanted ranks of the buckets holding
    them (``ORDER BY days LIMIT .. OFFSET ..`` on the covering index's seek), merged with the
    live ones there. Ranking every stay with a window sorted them all: seconds at 1M deals.
    More dirty deals than ``MANY_DIRTY`` (nothing stored yet): the one ranked statement."""
    stages = {
        s.pk: s for s in Stage.objects.select_related("pipeline").order_by("pipeline", "order")
    }
    found = {
        pk: StageTime(pk, f"{s.pipeline.name}: {s.label}")
        for pk, s in stages.items()
        if not s.is_closed
    }
    dirty = dirty_now()
    if len(dirty) > MANY_DIRTY:
        return _ranked_time_in_stage(viewer, found)
    parts, whole = _stored_parts(viewer)
    clean, clean_params = "", []
    if dirty:
        clean = f"AND q.opportunity_id NOT IN ({', '.join(['%s'] * len(dirty))})"
        clean_params = list(dirty)
    selects, params = [], []
    bucket = _bucket("q.days", whole)
    grouped = "q.stage_id" if whole else f"q.stage_id, {bucket}"
    for text, part_params in parts:
        selects.append(
            f"SELECT q.stage_id, {bucket}, COUNT(*), SUM(q.days), 0 FROM ({text}) q "
            f"WHERE 1 = 1 {clean} GROUP BY {grouped}"
        )
        params += part_params + clean_params
    if dirty:
        live, live_params = live_stays(
            viewer, only=", ".join(["%s"] * len(dirty)), only_params=dirty
        )
        selects.append(
            f"SELECT stage_id, NULL, 1, {days_float('left_at', 'entered_at')}, 1 "
            f"FROM ({live}) live WHERE left_at IS NOT NULL"
        )
        params += live_params
    if not selects:
        return []
    read: dict[int, _Stage] = {}
    for stage_id, bucket, count, total, is_live in sql.fetch(" UNION ALL ".join(selects), params):
        entry = read.setdefault(stage_id, _Stage({}, {}))
        if is_live:
            entry.live.setdefault(0 if whole else math.floor(total), []).append(float(total))
        else:
            known = entry.stored.setdefault(int(bucket), [0, 0.0])
            known[0] += count
            known[1] += total
    values = _stays_at(parts, clean, clean_params, read, whole)
    for stage_id, entry in read.items():
        if stage_id not in found:
            continue
        stays = sum(entry.count(b) for b in {*entry.stored, *entry.live})
        total = sum(float(t) for _, t in entry.stored.values()) + sum(
            sum(days) for days in entry.live.values()
        )
        first, second, usual = (values[(stage_id, r)] for r in _ranks(stays))
        result = found[stage_id]
        result.stays = stays
        result.total_days = Decimal(repr(float(total)))
        result.median_days = Decimal(repr((first + second) / 2)).quantize(Decimal("0.01"))
        result.usual_days = Decimal(repr(usual)).quantize(Decimal("0.01"))
    return [entry for entry in found.values() if entry.stays]


def _stays_at(
    parts: list[tuple[str, list[Any]]],
    clean: str,
    clean_params: list[Any],
    read: dict[int, _Stage],
    whole: bool,
) -> dict[tuple[int, int], float]:
    """Step two: the stay at each wanted rank of each stage. In its bucket, with ``m`` live
    stays there, the ``k``-th merged stay is among the live ones and the stored ones at ranks
    ``k - m`` to ``k`` (fewer than ``k - m + 1`` stored stays lie below it), so one statement
    reads only those few stored stays per rank (a seek on the covering index, a top-``k``
    sort of one bucket), and the merge happens here."""
    wanted: dict[tuple[int, int], tuple[int, int, int]] = {}  # (stage, rank) -> bucket, k, base
    requests: dict[tuple[int, int, int, int], int] = {}  # stage, bucket, base, limit -> index
    for stage_id, entry in read.items():
        stays = sum(entry.count(b) for b in {*entry.stored, *entry.live})
        for rank in _ranks(stays):
            bucket, inside = entry.locate(rank)
            base = max(0, inside - len(entry.live.get(bucket, [])))
            last = min(inside, int(entry.stored.get(bucket, [0])[0]) - 1)
            wanted[(stage_id, rank)] = (bucket, inside, base)
            if last >= base:
                requests.setdefault((stage_id, bucket, base, last - base + 1), len(requests))
    windows: dict[int, list[float]] = defaultdict(list)
    if requests:
        selects, params = [], []
        for (stage_id, bucket, base, limit), index in requests.items():
            branches = []
            for text, part_params in parts:
                within = "" if whole else "AND q.days >= %s AND q.days < %s"
                branches.append(
                    f"SELECT q.days AS days FROM ({text}) q WHERE q.stage_id = %s {within} {clean}"
                )
                bounds = [] if whole else [bucket, bucket + 1]
                params += [*part_params, stage_id, *bounds, *clean_params]
            selects.append(
                f"SELECT {index}, w.days FROM ({' UNION ALL '.join(branches)} "
                "ORDER BY days LIMIT %s OFFSET %s) w"
            )
            params += [limit, base]
        for index, days in sql.fetch(" UNION ALL ".join(selects), params):
            windows[int(index)].append(float(days))
    values = {}
    for (stage_id, rank), (bucket, inside, base) in wanted.items():
        stored = read[stage_id].stored.get(bucket, [0])[0]
        last = min(inside, int(stored) - 1)
        window = (
            windows[requests[(stage_id, bucket, base, last - base + 1)]] if last >= base else []
        )
        merged = sorted(window + read[stage_id].live.get(bucket, []))
        values[(stage_id, rank)] = merged[inside - base]
    return values


def _ranked_time_in_stage(viewer: User, found: dict[int, StageTime]) -> list[StageTime]:
    """Many dirty deals (nothing stored yet, or an old build): every visible deal's stays
    ranked by one window in one statement, the stored ones of the clean deals and the live
    ones of the dirty (a subquery of them)."""
    stored_parts, _ = _stored_parts(viewer)
    marks, ids = dirty_ids()
    live, live_params = live_stays(viewer, only=marks, only_params=ids)
    selects = [
        f"SELECT q.stage_id, q.days FROM ({text}) q WHERE q.opportunity_id NOT IN ({marks})"
        for text, _ in stored_parts
    ]
    params: list[Any] = []
    for _, part_params in stored_parts:
        params += part_params + ids
    selects.append(
        f"SELECT stage_id, {days_float('left_at', 'entered_at')} FROM ({live}) live "
        "WHERE left_at IS NOT NULL"
    )
    params += live_params
    rows = sql.fetch(
        f"""
        WITH finished AS ({" UNION ALL ".join(selects)}
        ), counted AS (
            SELECT stage_id, COUNT(*) AS stays, SUM(days) AS total
            FROM finished GROUP BY stage_id
        ), ranked AS (
            SELECT stage_id, days,
                   ROW_NUMBER() OVER (PARTITION BY stage_id ORDER BY days) AS position
            FROM finished
        )
        SELECT c.stage_id, c.stays, c.total,
               AVG(CASE WHEN r.position IN ((c.stays + 1) / 2, (c.stays + 2) / 2)
                        THEN r.days END),
               MAX(CASE WHEN r.position = (4 * c.stays + 4) / 5 THEN r.days END)
        FROM counted c
        JOIN ranked r ON r.stage_id = c.stage_id
             AND r.position IN ((c.stays + 1) / 2, (c.stays + 2) / 2, (4 * c.stays + 4) / 5)
        GROUP BY c.stage_id, c.stays, c.total
        """,
        params,
    )
    for stage_id, stays, total, median, usual in rows:
        if stage_id in found:
            entry = found[stage_id]
            entry.stays = stays
            entry.total_days = Decimal(repr(float(total)))
            entry.median_days = Decimal(repr(float(median))).quantize(Decimal("0.01"))
            entry.usual_days = Decimal(repr(float(usual))).quantize(Decimal("0.01"))
    return [entry for entry in found.values() if entry.stays]
