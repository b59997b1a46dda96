"""The sales manager's home: the team's open pipeline by stage and close period, the deals at
risk (each with its reasons), the reps' attainment and the recent wins and losses.

Every figure is over the deals the manager may see (``visible_to``, the policy's rule) and
each block is a fixed few set-based statements, whatever the size of the team.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import Count, F, Max, Q, Sum
from django.db.models.functions import Coalesce

from opportune.activities.models import Activity
from opportune.fiscal import FiscalPeriod
from opportune.forecasting.analytics import time_in_stage
from opportune.forecasting.models import Quota
from opportune.identity.models import Role, User
from opportune.opportunities.models import Opportunity, OpportunityHistory, Stage

ZERO = Decimal(0)
QUIET_DAYS = 14  # no activity logged on a deal for this long puts it at risk
RISK_ROWS = 10
RECENT_DAYS = 30


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
    One grouped statement."""
    buckets = {"past": Q(close_date__lt=today)}
    for index, period in enumerate(periods):
        start = max(period.start, today)
        buckets[f"p{index}"] = Q(close_date__gte=start, close_date__lte=period.end)
    buckets["later"] = Q(close_date__gt=periods[-1].end)
    measures: dict[str, Sum | Count] = {}
    for key, inside in buckets.items():
        measures[f"{key}_amount"] = Sum("amount", filter=inside)
        measures[f"{key}_count"] = Count("pk", filter=inside)
    grouped: dict[int, dict[str, Any]] = {
        row["stage_id"]: dict(row)
        for row in Opportunity.objects.visible_to(viewer)
        .filter(is_closed=False)
        .order_by()
        .values("stage_id")
        .annotate(**measures)
    }
    stages = Stage.objects.filter(pk__in=grouped).select_related("pipeline")
    lines = [
        StageLine(
            stage.pk,
            f"{stage.pipeline.name}: {stage.label}",
            [grouped[stage.pk][f"{key}_amount"] or ZERO for key in buckets],
            [grouped[stage.pk][f"{key}_count"] for key in buckets],
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
    largest first, each with its reasons. The tests are plain (not correlated) subqueries,
    read once: the deals pushed twice, the deals with a recent activity. Four statements: the
    page, its count, and the pushes and last activity of the deals on the page."""
    quiet_since = now - dt.timedelta(days=quiet_days)
    pushed = (
        OpportunityHistory.objects.filter(
            opportunity__is_closed=False, close_date__gt=F("previous_close_date")
        )
        .order_by()
        .values("opportunity")
        .annotate(n=Count("pk"))
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
    risky = (
        Opportunity.objects.visible_to(viewer)
        .filter(is_closed=False)
        .annotate(in_stage_since=Coalesce("stage_changed_at", "created_at"))
        .filter(
            Q(close_date__lt=now.date())
            | Q(pk__in=pushed)
            | (Q(created_at__lt=quiet_since) & ~Q(pk__in=active))
            | stuck
        )
    )
    deals = list(
        risky.select_related("owner", "stage", "account").order_by("-amount", "pk")[:RISK_ROWS]
    )
    ids = [deal.pk for deal in deals]
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
    return RiskList(rows, risky.count(), quiet_days)


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
    grouped by owner, the quotas of the period as stored (one row per user and period)."""
    won = dict(
        Opportunity.objects.visible_to(viewer)
        .filter(is_won=True, close_date__gte=period.start, close_date__lte=period.end)
        .order_by()
        .values_list("owner_id")
        .annotate(Sum("amount"))
    )
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
    the close-date index, as every forecast reads it)."""
    return list(
        Opportunity.objects.visible_to(viewer)
        .filter(
            is_closed=True,
            close_date__gte=today - dt.timedelta(days=RECENT_DAYS),
            close_date__lte=today,
        )
        .select_related("owner", "account", "stage")
        .order_by("-close_date", "-pk")[:limit]
    )
