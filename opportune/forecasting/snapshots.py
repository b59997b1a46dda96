"""Stored daily snapshots of the open pipeline, as Salesforce's historical trending keeps them.

The pipeline at the end of a day is rebuilt from the opportunity history by one windowed
statement (``history_sql``), which at a million deals reads millions of history rows. So the
worker stores each finished day once, aggregated by (day, owner, pipeline, stage, forecast
category, close month) with count, amount and the sum of amount x probability
(``PipelineSnapshot``), and ``opportune snapshots backfill`` fills past days the same way. A
trend or an "as of" then reads a day's few thousand rows filtered by the viewer's owner rule
(``SnapshotQuerySet.visible_to``), and only days without a fresh snapshot are computed live.

Stored figures must equal the live computation, which uses today's owners and ignores deals
in the recycle bin. A ``SnapshotDay`` keeps the newest history row and field change its rows
were built from; a day is *stale* when a later history row is dated before the day's end
(back-dated history, imports) or a later field change moved a deal's owner or bin state and
that deal existed by the day's end. Stale days are read live (exact, slower) until the
worker's next run builds them again (``refresh``), so a read never serves a wrong figure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django_tasks import task

from opportune.identity.models import Role, User
from opportune.opportunities.models import OpportunityHistory

from . import history_sql as sql
from .models import PipelineSnapshot, SnapshotDay

SNAPSHOT = "forecasting_pipelinesnapshot"
CHUNK_DAYS = 31  # days built per statement: bounds the joined rows one statement holds
# Field changes after which a deal's share of past days is no longer where it was stored.
MOVING_FIELDS = ("owner", "owner_id", "deleted_at")
REFRESH_EVERY = dt.timedelta(hours=24)


def _everything() -> User:
    """A viewer who sees every live deal: snapshots hold everyone's rows, grouped by owner."""
    return User(username="opportune-snapshots", role=Role.ADMIN, is_active=True)


def end_of_day(day: dt.date) -> dt.datetime:
    """The first instant after ``day`` in the installation's time zone: "as of" a date includes
    everything that happened on it."""
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))


def _month_of(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(DATE_TRUNC('month', {column}) AS DATE)"
    return f"DATE({column}, 'start of month')"


def _insert_days(days: Sequence[dt.date]) -> None:
    """One INSERT ... SELECT: the open pipeline at the end of each day, grouped."""
    moments = [end_of_day(d) for d in days]
    span_sql, span_params = sql.spans(_everything(), before=max(moments))
    inside, inside_params = sql.open_pipeline_filter(None, None)
    rows = ", ".join(["(%s, %s)"] * len(days))
    moment_params: list[Any] = []
    for day, moment in zip(days, moments, strict=True):
        moment_params += [day, sql.at(moment)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {SNAPSHOT} (day, owner_id, pipeline_id, stage_id, forecast_category,
                                    close_month, count, amount, amount_x_probability)
            WITH s AS ({span_sql}), m(day, moment_at) AS (VALUES {rows})
            SELECT m.day, o.owner_id, st.pipeline_id, s.stage_id, s.forecast_category,
                   {_month_of("s.close_date")}, COUNT(*), COALESCE(SUM(s.amount), 0),
                   COALESCE(SUM(s.amount * s.probability), 0)
            FROM s
            JOIN {sql.STAGE} st ON st.id = s.stage_id
            JOIN m ON s.changed_at < m.moment_at
                  AND (s.until IS NULL OR s.until >= m.moment_at)
            JOIN opportunities_opportunity o ON o.id = s.opportunity_id
            WHERE {inside}
            GROUP BY m.day, o.owner_id, st.pipeline_id, s.stage_id, s.forecast_category,
                     {_month_of("s.close_date")}
            """,
            span_params + moment_params + inside_params,
        )
        # The same days summed over close months (close_month empty): a read without a
        # period scans these, a fraction of the rows when owners hold deals in many months.
        marks = ", ".join(["%s"] * len(days))
        cursor.execute(
            f"""
            INSERT INTO {SNAPSHOT} (day, owner_id, pipeline_id, stage_id, forecast_category,
                                    close_month, count, amount, amount_x_probability)
            SELECT day, owner_id, pipeline_id, stage_id, forecast_category, NULL, SUM(count),
                   SUM(amount), SUM(amount_x_probability)
            FROM {SNAPSHOT}
            WHERE day IN ({marks}) AND close_month IS NOT NULL
            GROUP BY day, owner_id, pipeline_id, stage_id, forecast_category
            """,
            list(days),
        )


def build(days: Iterable[dt.date], *, now: dt.datetime | None = None) -> int:
    """Store the snapshots of these finished days (replacing any stored): idempotent. The
    marks are taken before reading, so a write racing the build makes the day stale, never
    wrong. Answers how many days were built."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    wanted = sorted({d for d in days if d < today})  # a day is stored once it is over
    for start in range(0, len(wanted), CHUNK_DAYS):
        chunk = wanted[start : start + CHUNK_DAYS]
        marks = sql.settled_marks()
        with transaction.atomic():
            PipelineSnapshot.objects.filter(day__in=chunk).delete()
            SnapshotDay.objects.filter(day__in=chunk).delete()
            _insert_days(chunk)
            SnapshotDay.objects.bulk_create(
                SnapshotDay(day=d, built_at=now, history_upto=marks[0], changes_upto=marks[1])
                for d in chunk
            )
    return len(wanted)


def history_days(now: dt.datetime | None = None) -> list[dt.date]:
    """Every finished day from the first history row on: what a full backfill stores."""
    now = now or timezone.now()
    earliest = OpportunityHistory.objects.order_by("changed_at").values_list(
        "changed_at", flat=True
    )[:1]
    if not earliest:
        return []
    day = timezone.localdate(earliest[0])
    today = timezone.localdate(now)
    return [day + dt.timedelta(days=i) for i in range((today - day).days)]


def stale_from(history_upto: int, changes_upto: int) -> dt.datetime | None:
    """The earliest moment whose pipeline a write after these marks may have changed: the
    date of a newer history row, or the first row of a deal whose owner or bin state changed
    since. Days ending at or before it are still exact. One statement.

    The newer rows are picked by id in a subquery of their own: with ``MIN(changed_at)``
    beside ``id > mark``, SQLite walks the index on ``changed_at`` from its start looking
    for a newer row, all of it when there is none (290 ms at a million deals, on every
    trend and "as of" read)."""
    marks = ", ".join(["%s"] * len(MOVING_FIELDS))
    rows = sql.fetch(
        f"""
        SELECT MIN(x) FROM (
            SELECT MIN(n.changed_at) AS x FROM (
                SELECT h.changed_at FROM {sql.HISTORY} h WHERE h.id > %s ORDER BY h.id
            ) n
            UNION ALL
            SELECT MIN(h.changed_at) AS x FROM {sql.HISTORY} h
            WHERE h.opportunity_id IN (
                SELECT c.record_id FROM audit_fieldchange c
                WHERE c.id > %s AND c.record_type = 'opportunity' AND c.field IN ({marks})
            )
        ) t
        """,
        [history_upto, changes_upto, *MOVING_FIELDS],
    )
    found = rows[0][0] if rows else None
    if found is None or isinstance(found, dt.datetime):
        return found
    parsed = dt.datetime.fromisoformat(str(found))  # SQLite answers text
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, dt.UTC)


def fresh_days(days: Sequence[dt.date]) -> set[dt.date]:
    """Which of these days have stored snapshots that are still exact (two statements).
    They are checked against the oldest of their marks: a day built later may be read live
    although it is exact, never the other way."""
    return _fresh(list(SnapshotDay.objects.filter(day__in=set(days))))


def newest_fresh(days: Sequence[dt.date]) -> dt.date | None:
    """The newest of these days with a stored snapshot, if it is still exact, checked
    against its own marks (two statements)."""
    newest = SnapshotDay.objects.filter(day__in=set(days)).order_by("-day").first()
    return newest.day if newest is not None and _fresh([newest]) else None


def _fresh(stored: list[SnapshotDay]) -> set[dt.date]:
    if not stored:
        return set()
    since = stale_from(min(s.history_upto for s in stored), min(s.changes_upto for s in stored))
    return {s.day for s in stored if since is None or end_of_day(s.day) <= since}


@dataclass(frozen=True)
class StoredRow:
    day: dt.date
    stage_id: int
    forecast_category: str
    count: int
    amount: Decimal
    amount_x_probability: Decimal


def read(
    viewer: User, days: Iterable[dt.date], close_from: dt.date | None, close_to: dt.date | None
) -> list[StoredRow]:
    """The stored rows the viewer sees for these days, summed over owners and close months:
    one grouped statement. A period is whole months, so its close months are its own."""
    rows = PipelineSnapshot.objects.visible_to(viewer).filter(day__in=set(days))
    if close_from is not None and close_to is not None:
        rows = rows.filter(close_month__gte=close_from.replace(day=1), close_month__lte=close_to)
    else:
        rows = rows.filter(close_month__isnull=True)  # the rows summed over close months
    grouped = (
        rows.order_by()
        .values_list("day", "stage_id", "forecast_category")
        .annotate(Sum("count"), Sum("amount"), Sum("amount_x_probability"))
    )
    return [
        StoredRow(day, stage, category, count, sql.money(amount), sql.money(weighted))
        for day, stage, category, count, amount, weighted in grouped
    ]


def refresh(now: dt.datetime | None = None, *, since: dt.date | None = None) -> int:
    """The worker's daily run: build every finished day (from ``since``, else from the first
    history row) that has no snapshot or a stale one, and move the marks of the days found
    still exact to now's, so that an old write stops making them look stale. Answers how
    many days were built."""
    now = now or timezone.now()
    days = [d for d in history_days(now) if since is None or d >= since]
    marks = sql.settled_marks()  # before the check: a write racing it is newer than these marks
    fresh = fresh_days([*days, *SnapshotDay.objects.values_list("day", flat=True)])
    built = build([d for d in days if d not in fresh], now=now)
    SnapshotDay.objects.filter(day__in=fresh).update(history_upto=marks[0], changes_upto=marks[1])
    return built


@task()
def refresh_snapshots() -> int:
    """Daily: store yesterday's pipeline and rebuild stale days, store the stage stays of the
    deals written since the last run (``stays.refresh``); queues its next run."""
    from . import stays

    built = refresh()
    stays.refresh()
    if refresh_snapshots.get_backend().supports_defer:
        refresh_snapshots.using(run_after=timezone.now() + REFRESH_EVERY).enqueue()
    return built


def schedule_snapshots() -> None:
    """Enqueue a refresh now unless one is waiting or running (database backend)."""
    from django_tasks_db.models import DBTaskResult

    if not refresh_snapshots.get_backend().supports_defer:
        return
    waiting = DBTaskResult.objects.filter(
        task_path=refresh_snapshots.module_path, status__in=["READY", "RUNNING"]
    )
    if not waiting.exists():
        refresh_snapshots.enqueue()
