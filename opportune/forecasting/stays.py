"""Time in stage and win rates by stage reached, from stored stage stays kept exact.

A *stay* is a deal's time in one stage: it starts at a history row whose stage differs from
the deal's previous row (``LAG``) and ends at the next such row (``LEAD`` over the starts).
Ranking every visible history row with window functions at each request took seconds at a
million deals, so the stays are stored (``StageStay``: deal, owner, stage, entered, left,
days), built by one ``INSERT ... SELECT`` (``rebuild``; ``opportune snapshots stays``; the
migration's data step) and refreshed by the worker beside the daily snapshots (``refresh``:
only the deals written since).

Exact, always: ``StayMark`` holds the newest history row and field change the stored rows
were built from. The deals with a newer history row (any write, back-dated or imported), or
whose owner or bin state changed since (reassignment, delete, restore), are *dirty*: each
read takes their stays live from the history, and the stored stays of the others, in the
same statement. History rows are append-only and a deal is purged only from the bin, so no
other write can change a deal's stays. Visibility is the deals' rule on the stored owner
(``StayQuerySet.visible_to``) for the stored part and the policy's queryset for the live part.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import BigIntegerField, Case, F, Max, OuterRef, Q, QuerySet, Subquery, When
from django.db.models.expressions import RawSQL
from django.utils import timezone

from opportune.identity.models import Role, User
from opportune.opportunities.models import Opportunity, OpportunityHistory, Stage

from . import history_sql as sql
from .forecast import ZERO
from .models import StageStay, StayMark

if TYPE_CHECKING:
    from .analytics import RateRow

STAY = "forecasting_stagestay"
MARK = "forecasting_staymark"
REACH = "forecasting_dealreach"
# Field changes after which a deal's stored stays no longer sit where a viewer looks for them.
MOVING_FIELDS = ("owner", "owner_id", "deleted_at")
MANY_DIRTY = 2000  # more dirty deals than this go into a read as a subquery, not as values


def _everything() -> User:
    """A viewer who sees every live deal: the store holds everyone's stays."""
    return User(username="opportune-stays", role=Role.ADMIN, is_active=True)


def stored_marks() -> tuple[int, int]:
    """The marks the stored stays were built from; (0, 0) when nothing is stored (every deal
    is then dirty and read live)."""
    found = StayMark.objects.values_list("history_upto", "changes_upto").first()
    return found or (0, 0)


def dirty_ids(marks: tuple[int, int] | None = None) -> tuple[str, list[Any]]:
    """``SELECT`` of the deals whose stored stays may be wrong: a history row or an owner or
    bin change newer than the marks (read now unless given). The marks go in as values, so
    the database knows how few rows lie beyond them. A refresh between reading the marks and
    the report does no harm: a deal unchanged since the older marks has the same stays."""
    history_upto, changes_upto = marks if marks is not None else stored_marks()
    fields = ", ".join(["%s"] * len(MOVING_FIELDS))
    return (
        f"""
        SELECT h.opportunity_id FROM {sql.HISTORY} h WHERE h.id > %s
        UNION
        SELECT c.record_id FROM audit_fieldchange c
        WHERE c.id > %s AND c.record_type = 'opportunity' AND c.field IN ({fields})
        """,
        [history_upto, changes_upto, *MOVING_FIELDS],
    )


def _dirty_now() -> list[int]:
    """The dirty deals' ids, the marks read in the same statement (usually few: the deals
    written since the last build)."""
    fields = ", ".join(["%s"] * len(MOVING_FIELDS))
    rows = sql.fetch(
        f"""
        SELECT h.opportunity_id FROM {sql.HISTORY} h
        WHERE h.id > (SELECT COALESCE(MAX(history_upto), 0) FROM {MARK})
        UNION
        SELECT c.record_id FROM audit_fieldchange c
        WHERE c.id > (SELECT COALESCE(MAX(changes_upto), 0) FROM {MARK})
          AND c.record_type = 'opportunity' AND c.field IN ({fields})
        """,
        list(MOVING_FIELDS),
    )
    return sorted(int(row[0]) for row in rows)


def _days_float(later: str, earlier: str) -> str:
    """Days between two datetime columns as a float, the same on both sides of a read."""
    return f"CAST({sql.days_between(later, earlier)} AS DOUBLE PRECISION)"


def live_stays(viewer: User, *, only: str = "", only_params: Any = ()) -> tuple[str, list[Any]]:
    """A CTE body: the stays of the visible deals from the history (``opportunity_id,
    stage_id, entered_at, left_at``); ``only`` further limits the deals (a ``SELECT`` of
    ids)."""
    visible, params = sql.visible_ids(viewer)
    where = f"h.opportunity_id IN ({visible})"
    if only:
        where += f" AND h.opportunity_id IN ({only})"
        params += list(only_params)
    return (
        f"""
        SELECT opportunity_id, stage_id, changed_at AS entered_at,
               LEAD(changed_at) OVER (
                   PARTITION BY opportunity_id ORDER BY changed_at, id
               ) AS left_at
        FROM (
            SELECT h.opportunity_id, h.stage_id, h.changed_at, h.id,
                   LAG(h.stage_id) OVER (
                       PARTITION BY h.opportunity_id ORDER BY h.changed_at, h.id
                   ) AS previous_stage
            FROM {sql.HISTORY} h
            WHERE {where}
        ) marked
        WHERE previous_stage IS NULL OR previous_stage <> stage_id
        """,
        params,
    )


def _insert(only: str = "", only_params: Any = ()) -> None:
    """Store the stays of every live deal (or of the deals ``only`` selects)."""
    body, params = live_stays(_everything(), only=only, only_params=only_params)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {STAY} (opportunity_id, owner_id, stage_id, entered_at, left_at, days)
            SELECT s.opportunity_id, o.owner_id, s.stage_id, s.entered_at, s.left_at,
                   {_days_float("s.left_at", "s.entered_at")}
            FROM ({body}) s
            JOIN opportunities_opportunity o ON o.id = s.opportunity_id
            """,
            params,
        )


def _insert_reach(only: str = "", only_params: Any = ()) -> None:
    """Store the pipeline and furthest open stage of every deal with stored stays (or of the
    deals ``only`` selects), from the stays just stored in the same transaction."""
    where = f"WHERE s.opportunity_id IN ({only})" if only else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {REACH} (opportunity_id, pipeline_id, furthest_order)
            SELECT s.opportunity_id, MAX(o.pipeline_id),
                   MAX(CASE WHEN st.is_closed THEN NULL ELSE st."order" END)
            FROM {STAY} s
            JOIN opportunities_stage st ON st.id = s.stage_id
            JOIN opportunities_opportunity o ON o.id = s.opportunity_id
            {where}
            GROUP BY s.opportunity_id
            """,
            list(only_params),
        )


def _set_marks(marks: tuple[int, int], now: dt.datetime) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {MARK}")
        cursor.execute(
            f"INSERT INTO {MARK} (history_upto, changes_upto, built_at) VALUES (%s, %s, %s)",
            [marks[0], marks[1], sql.at(now)],
        )


def rebuild(now: dt.datetime | None = None) -> int:
    """Store every deal's stays again (idempotent), in one transaction. The marks are taken
    before reading, so a write racing the build makes its deal dirty, never wrong. Answers
    how many stays are stored."""
    now = now or timezone.now()
    marks = sql.settled_marks()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {STAY}")
            cursor.execute(f"DELETE FROM {REACH}")
        _insert()
        _insert_reach()
        _set_marks(marks, now)
    [(count,)] = sql.fetch(f"SELECT COUNT(*) FROM {STAY}", [])
    return int(count)


def refresh(now: dt.datetime | None = None) -> int:
    """The worker's run: store again the stays of only the dirty deals and move the marks.
    Answers how many deals were dirty."""
    now = now or timezone.now()
    if not StayMark.objects.exists():
        rebuild(now)
        return Opportunity.objects.count()
    marks = sql.settled_marks()  # before reading: a write racing the refresh stays dirty
    with transaction.atomic():
        dirty, params = dirty_ids()
        found = [row[0] for row in sql.fetch(dirty, params)]
        for start in range(0, len(found), 500):
            chunk = found[start : start + 500]
            marks_sql = ", ".join(["%s"] * len(chunk))
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {STAY} WHERE opportunity_id IN ({marks_sql})", chunk)
                cursor.execute(f"DELETE FROM {REACH} WHERE opportunity_id IN ({marks_sql})", chunk)
            _insert(marks_sql, chunk)
            _insert_reach(marks_sql, chunk)
        _set_marks(marks, now)
    return len(found)


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
    dirty = _dirty_now()
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
            f"SELECT stage_id, NULL, 1, {_days_float('left_at', 'entered_at')}, 1 "
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
        f"SELECT stage_id, {_days_float('left_at', 'entered_at')} FROM ({live}) live "
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


# --- win rates by stage reached -----------------------------------------------------------------


def furthest_open_stage(dirty: RawSQL) -> Case:
    """Per deal (``OuterRef("pk")``), the order of the furthest open stage it was ever in:
    stored (``DealReach``, joined by the deal's primary key), or from its history when it is
    dirty: the marks read in the same statement."""
    from_history = (
        OpportunityHistory.objects.filter(opportunity=OuterRef("pk"), stage__is_closed=False)
        .order_by()
        .values("opportunity")
        .annotate(order=Max("stage__order"))
        .values("order")
    )
    return Case(
        When(Q(pk__in=dirty), then=Subquery(from_history)),
        default=F("reach__furthest_order"),
    )


def reached_pipeline(dirty: RawSQL) -> Case:
    """Per deal, its pipeline: stored beside the furthest stage, or the deal's own when it is
    dirty (read then, by primary key: few deals)."""
    own = Opportunity.objects.filter(pk=OuterRef("pk")).values("pipeline_id")
    return Case(
        When(Q(pk__in=dirty), then=Subquery(own)),
        default=F("reach__pipeline_id"),
        output_field=BigIntegerField(),
    )


def win_rates_by_stage_reached(
    closed: QuerySet[Opportunity], measures: dict[str, Any]
) -> list[RateRow]:
    """Won / (won + lost) per open stage, counting every stage up to the furthest reached:
    the closed deals grouped by their stored pipeline and furthest stage (``DealReach``, one
    primary-key join), the dirty ones' read from their history in the same statement."""
    from .analytics import RateRow

    dirty = RawSQL(*dirty_ids())
    grouped = list(
        closed.annotate(reached_in=reached_pipeline(dirty), furthest=furthest_open_stage(dirty))
        .values_list("reached_in", "furthest")
        .annotate(**measures)
    )
    stages = list(
        Stage.objects.filter(is_closed=False)
        .select_related("pipeline")
        .order_by("pipeline", "order")
    )
    rows = []
    for stage in stages:
        row = RateRow(f"{stage.pipeline.key}:{stage.key}", f"{stage.pipeline.name}: {stage.label}")
        for pipeline_id, furthest_order, won, lost, won_amount in grouped:
            if pipeline_id == stage.pipeline_id and (furthest_order or -1) >= stage.order:
                row.won += won
                row.lost += lost
                row.won_amount += won_amount or ZERO
        if row.closed:
            rows.append(row)
    return rows
