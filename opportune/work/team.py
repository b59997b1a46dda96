"""The sales manager's home: the team's open pipeline by stage and close period, the deals at
risk (each with its reasons), the reps' attainment and the recent wins and losses.

Every figure is over the deals the manager may see, read by owner id
(``forecasting.owners.visible_deals``: her owners' deals and the unowned ones, two disjoint
parts, each a range of an index starting with the owner) rather than ``visible_to``, which
joins every deal to its owner's team: at a million deals a region's manager's page read the
whole table that way. Each block is a fixed few set-based statements per part, whatever the
size of the team.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from opportune.activities.models import Activity
from opportune.fiscal import FiscalPeriod
from opportune.forecasting.analytics import time_in_stage
from opportune.forecasting.models import Quota
from opportune.forecasting.owners import visible_deals, visible_owners
from opportune.identity.models import Role, User
from opportune.opportunities.models import Opportunity, OpportunityHistory, Stage

ZERO = Decimal(0)
QUIET_DAYS = 14  # no activity logged on a deal for this long puts it at risk
RISK_ROWS = 10
RECENT_DAYS = 30


def _parts(viewer: User) -> list[QuerySet[Opportunity]]:
    """The deals ``viewer`` sees, as disjoint parts each filtered on the owner alone."""
    return visible_deals(viewer, visible_owners(viewer))


# --- the team pipeline by stage and close period -----------------------------------------------


@dataclass
class StageLine:
    stage_id: int
    label: str
    amounts: list[Decimal]  # one per column
    counts: list[int]


@dataclass
class TeamPipeline:
    columns: list[str]
    lines: list[StageLine]
    totals: list[Decimal]


def team_pipeline(viewer: User, today: dt.date, periods: list[FiscalPeriod]) -> TeamPipeline:
    """Open deals by stage, in columns: past due, each of ``periods`` (consecutive), later.
    One grouped statement per part of what the viewer sees, by owner, pipeline and stage:
    the order of ``opp_open_by_owner``, which covers it, so both databases read the
    viewer's open deals alone, in index order; the rows (owners times stages) are added up
    by stage here. Grouped by stage alone, SQLite walked the stage index over every deal.
    """
    buckets = {"past": Q(close_date__lt=today)}
    for index, period in enumerate(periods):
        start = max(period.start, today)
        buckets[f"p{index}"] = Q(close_date__gte=start, close_date__lte=period.end)
    buckets["later"] = Q(close_date__gt=periods[-1].end)
    measures: dict[str, Sum | Count] = {}
    for key, inside in buckets.items():
        measures[f"{key}_amount"] = Sum("amount", filter=inside)
        measures[f"{key}_count"] = Count("close_date", filter=inside)  # not id: see below
    grouped: dict[int, dict[str, Any]] = {}
    for deals in _parts(viewer):
        rows = (
            deals.filter(is_closed=False)
            .order_by()
            .values("owner_id", "pipeline_id", "stage_id")
            .annotate(**measures)
        )
        for row in rows:
            values: dict[str, Any] = dict(row)
            found = grouped.setdefault(values["stage_id"], {})
            for key in measures:
                if values[key] is not None:
                    found[key] = found.get(key, 0) + values[key]
    stages = Stage.objects.filter(pk__in=grouped).select_related("pipeline")
    lines = [
        StageLine(
            stage.pk,
            f"{stage.pipeline.name}: {stage.label}",
            [grouped[stage.pk].get(f"{key}_amount") or ZERO for key in buckets],
            [grouped[stage.pk].get(f"{key}_count", 0) for key in buckets],
        )
        for stage in sorted(stages, key=lambda s: (s.pipeline_id, s.order))
    ]
    totals = [sum((line.amounts[i] for line in lines), ZERO) for i in range(len(buckets))]
    return TeamPipeline(["Past due", *(p.label for p in periods), "Later"], lines, totals)


# --- deals at risk ------------------------------------------------------------------------------


@dataclass
class AtRisk:
    deal: Opportunity
    reasons: list[str] = field(default_factory=list)


@dataclass
class RiskList:
    rows: list[AtRisk]
    total: int
    quiet_days: int


def usual_days_in_stage(viewer: User, today: dt.date) -> dict[int, Decimal]:
    """How long a stay in each open stage usually lasts: the 80th percentile of the finished
    stays the viewer may see (longer than this is unusual). It moves slowly, so it is kept
    for the day (per viewer) rather than read from the whole history on every visit."""
    key = f"work:usual-days-in-stage:{viewer.pk}:{today.isoformat()}"
    found: dict[int, Decimal] | None = cache.get(key)
    if found is None:
        found = {
            s.stage_id: s.usual_days for s in time_in_stage(viewer) if s.usual_days is not None
        }
        cache.set(key, found, 24 * 3600)
    return found


def deals_at_risk(
    viewer: User, now: dt.datetime, usual: dict[int, Decimal], quiet_days: int = QUIET_DAYS
) -> RiskList:
    """Open deals whose close date has passed, pushed twice or more, with no activity for
    ``quiet_days`` (nor created since), or in their stage longer than ``usual`` for it; the
    largest first, each with its reasons.

    Per part of what the viewer sees, the page's ids and amounts and their count read her
    open deals on ``opp_open_by_owner`` alone (every rule but the two below is on its
    columns; joining the owner, stage and account there joined every risky deal before the
    sort); the parts' first ids are merged here in the database's order and only those deals
    are read whole. The tests for pushes and activity are plain (not correlated) subqueries,
    read once; the deals pushed twice group the pushes alone (history rows that moved the
    close date later: the partial index ``opp_history_pushes``), not the whole history.
    Then the pushes and last activity of the deals on the page."""
    quiet_since = now - dt.timedelta(days=quiet_days)
    pushed = (
        OpportunityHistory.objects.filter(close_date__gt=F("previous_close_date"))
        .order_by()
        .values("opportunity")
        .annotate(n=Count("opportunity"))  # not id: the index holds the deal alone
        .filter(n__gte=2)
        .values("opportunity")
    )
    active = Activity.objects.filter(created_at__gte=quiet_since, opportunity__isnull=False).values(
        "opportunity"
    )
    stuck = Q(pk__in=[])
    for stage_id, days in usual.items():
        since = now - dt.timedelta(days=float(days))
        stuck |= Q(stage_id=stage_id, in_stage_since__lt=since)
    in_stage_since = Coalesce("stage_changed_at", "created_at")
    first: list[tuple[int, Decimal | None]] = []
    total = 0
    for part in _parts(viewer):
        risky = (
            part.filter(is_closed=False)
            .annotate(in_stage_since=in_stage_since)
            .filter(
                Q(close_date__lt=now.date())
                | Q(pk__in=pushed)
                | (Q(created_at__lt=quiet_since) & ~Q(pk__in=active))
                | stuck
            )
        )
        first += risky.order_by("-amount", "pk").values_list("pk", "amount")[:RISK_ROWS]
        total += risky.count()
    ids = [pk for pk, _ in sorted(first, key=_largest_first)[:RISK_ROWS]]
    found = Opportunity.objects.filter(pk__in=ids).annotate(in_stage_since=in_stage_since)
    by_id = {deal.pk: deal for deal in found.select_related("owner", "stage", "account")}
    deals = [by_id[pk] for pk in ids]
    pushes = dict(
        OpportunityHistory.objects.filter(
            opportunity_id__in=ids, close_date__gt=F("previous_close_date")
        )
        .order_by()
        .values_list("opportunity_id")
        .annotate(Count("pk"))
    )
    touched = dict(
        Activity.objects.filter(opportunity_id__in=ids)
        .order_by()
        .values_list("opportunity_id")
        .annotate(Max("created_at"))
    )
    rows = [
        AtRisk(deal, _reasons(deal, now, usual, quiet_days, pushes.get(deal.pk, 0),
                              touched.get(deal.pk) or deal.created_at))
        for deal in deals
    ]  # fmt: skip
    return RiskList(rows, total, quiet_days)


def _largest_first(row: tuple[int, Decimal | None]) -> tuple[int, Decimal, int]:
    """``ORDER BY amount DESC, id`` as the database sorts it: a deal without an amount comes
    first where NULL is the largest value (PostgreSQL), last where it is the smallest."""
    pk, amount = row
    if amount is None:
        return (0 if connection.features.nulls_order_largest else 2, ZERO, pk)
    return (1, -amount, pk)


def _reasons(
    deal: Opportunity,
    now: dt.datetime,
    usual: dict[int, Decimal],
    quiet_days: int,
    pushes: int,
    last_touch: dt.datetime,
) -> list[str]:
    found = []
    if deal.close_date < now.date():
        found.append(f"Close date passed ({deal.close_date:%b %-d})")
    if pushes >= 2:
        found.append(f"Pushed {pushes} times")
    quiet = (now - last_touch).days
    if quiet >= quiet_days:
        found.append(f"No activity for {quiet} days")
    in_stage = now - getattr(deal, "in_stage_since", now)
    limit = usual.get(deal.stage_id)
    if limit is not None and in_stage > dt.timedelta(days=float(limit)):
        found.append(f"{in_stage.days} days in {deal.stage.label} (usually up to {limit:.0f})")
    return found


# --- attainment ---------------------------------------------------------------------------------


@dataclass
class Attainment:
    user_id: int
    name: str
    won: Decimal
    quota: Decimal | None

    @property
    def ratio(self) -> Decimal | None:
        return (self.won / self.quota).quantize(Decimal("0.0001")) if self.quota else None


def attainment(viewer: User, period: FiscalPeriod) -> list[Attainment]:
    """Closed won against quota in ``period``, for each rep the viewer sees: the won amounts
    grouped by owner (per part of what the viewer sees, on ``opp_owner_closed``), the quotas
    of the period as stored (one row per user and period)."""
    won: dict[int, Decimal | None] = {}
    for deals in _parts(viewer):
        for owner_id, amount in (
            deals.filter(is_won=True, close_date__gte=period.start, close_date__lte=period.end)
            .order_by()
            .values_list("owner_id")
            .annotate(Sum("amount"))
        ):
            if owner_id is not None:  # an unowned deal is no rep's attainment
                won[owner_id] = amount
    quotas = dict(
        Quota.objects.visible_to(viewer)
        .filter(period_start=period.start, period_end=period.end)
        .values_list("user_id", "amount")
    )
    reps = User.objects.filter(pk__in=won.keys() | quotas.keys(), role=Role.SALES_REP)
    rows = [
        Attainment(rep.pk, rep.get_full_name() or rep.username, won.get(rep.pk) or ZERO,
                   quotas.get(rep.pk))
        for rep in reps
    ]  # fmt: skip
    return sorted(rows, key=lambda r: (-(r.ratio or -1), r.name))


# --- recent wins and losses ---------------------------------------------------------------------


def recent_closes(viewer: User, today: dt.date, limit: int = 8) -> list[Opportunity]:
    """The deals won or lost with a close date in the last 30 days, newest first (a range of
    an index starting with the owner and close date, per part of what the viewer sees; the
    parts' first rows merged here)."""
    found: list[Opportunity] = []
    for deals in _parts(viewer):
        found += (
            deals.filter(
                is_closed=True,
                close_date__gte=today - dt.timedelta(days=RECENT_DAYS),
                close_date__lte=today,
            )
            .select_related("owner", "account", "stage")
            .order_by("-close_date", "-pk")[:limit]
        )
    return sorted(found, key=lambda deal: (deal.close_date, deal.pk), reverse=True)[:limit]
