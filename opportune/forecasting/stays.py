"""Stored stage stays kept exact, and win rates by stage reached from them (time in stage:
``stage_time.py``).

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
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.expressions import RawSQL
from django.utils import timezone

from opportune.identity import policy
from opportune.identity.models import Role, User
from opportune.identity.visibility import OwnerScope
from opportune.opportunities.models import Opportunity, OpportunityHistory, Stage

from . import history_sql as sql
from .forecast import ZERO
from .models import DealReach, StayMark

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


def dirty_now() -> list[int]:
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


def days_float(later: str, earlier: str) -> str:
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
                   {days_float("s.left_at", "s.entered_at")}
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
            INSERT INTO {REACH} (
                opportunity_id, pipeline_id, furthest_order, owner_id, closed_on, is_won, amount
            )
            SELECT o.id, o.pipeline_id, f.furthest, o.owner_id,
                   CASE WHEN o.is_closed THEN o.close_date END, o.is_won, o.amount
            FROM (
                SELECT s.opportunity_id,
                       MAX(CASE WHEN st.is_closed THEN NULL ELSE st."order" END) AS furthest
                FROM {STAY} s
                JOIN opportunities_stage st ON st.id = s.stage_id
                {where}
                GROUP BY s.opportunity_id
            ) f
            JOIN opportunities_opportunity o ON o.id = f.opportunity_id
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


def _stored_and_live(
    scope: OwnerScope,
    closed: QuerySet[Opportunity],
    period: tuple[dt.date, dt.date] | None,
    dirty: RawSQL,
    measures: dict[str, Any],
) -> Iterable[tuple[Any, ...]]:
    """``UNION ALL`` of the clean deals' groups from the stored reach (those the scope's
    owners held at the build, closed in the period: a range of ``deal_reach_closed``; a
    stored row is a live deal's, for a delete or a restore makes it dirty) and the dirty
    deals' groups, read from the deals the viewer sees and their history. At 1M deals the
    whole company's 133,000 closed deals of a year are grouped from the reach's index alone,
    where joining each to its reach by primary key took 0.6-1.0 s."""
    stored = DealReach.objects.filter(closed_on__isnull=False)
    if period is not None:
        stored = stored.filter(closed_on__gte=period[0], closed_on__lte=period[1])
    owners = scope.q("owner")
    if owners is not None:
        stored = stored.filter(owners)
    from_history = (
        OpportunityHistory.objects.filter(opportunity=OuterRef("pk"), stage__is_closed=False)
        .order_by()
        .values("opportunity")
        .annotate(order=Max("stage__order"))
        .values("order")
    )
    live = (
        closed.filter(pk__in=dirty)
        .annotate(reached_in=F("pipeline_id"), furthest=Subquery(from_history))
        .values_list("reached_in", "furthest")
        .annotate(**measures)
    )
    kept = (
        stored.exclude(opportunity_id__in=dirty)
        .order_by()
        .values_list("pipeline_id", "furthest_order")
        .annotate(
            won=Count("closed_on", filter=Q(is_won=True)),
            lost=Count("closed_on", filter=Q(is_won=False)),
            won_amount=Sum("amount", filter=Q(is_won=True)),
        )
    )
    return kept.union(live, all=True)


def win_rates_by_stage_reached(
    viewer: User,
    closed: QuerySet[Opportunity],
    period: tuple[dt.date, dt.date] | None,
    measures: dict[str, Any],
) -> list[RateRow]:
    """Won / (won + lost) per open stage, counting every stage up to the furthest reached, of
    the ``closed`` deals (the viewer's, closed in ``period``), in one statement: where her
    rule is a list of owners (everyone for an admin or a VP), the clean deals grouped from the
    stored reach alone (its close date, outcome, amount and owner: index
    ``deal_reach_closed``), beside the dirty ones grouped from the deals and their history;
    otherwise each closed deal joined to its stored reach by primary key (the dirty ones'
    read from their history in the same statement). The groups are added up below."""
    from .analytics import RateRow

    dirty = RawSQL(*dirty_ids())
    scope = policy.visible_owners(viewer, policy.OPPORTUNITY)
    grouped: Iterable[tuple[Any, ...]]
    if scope is None:
        grouped = (
            closed.annotate(reached_in=reached_pipeline(dirty), furthest=furthest_open_stage(dirty))
            .values_list("reached_in", "furthest")
            .annotate(**measures)
        )
    else:
        grouped = _stored_and_live(scope, closed, period, dirty, measures)
    found = list(grouped)
    stages = list(
        Stage.objects.filter(is_closed=False)
        .select_related("pipeline")
        .order_by("pipeline", "order")
    )
    rows = []
    for stage in stages:
        row = RateRow(f"{stage.pipeline.key}:{stage.key}", f"{stage.pipeline.name}: {stage.label}")
        for pipeline_id, furthest_order, won, lost, won_amount in found:
            if pipeline_id == stage.pipeline_id and (furthest_order or -1) >= stage.order:
                row.won += won
                row.lost += lost
                row.won_amount += won_amount or ZERO
        if row.closed:
            rows.append(row)
    return rows
