"""The sales manager's home: the team's open pipeline by stage and close period, the deals at
risk (each with its reasons), the reps' attainment and the recent wins and losses.

Every figure is over the deals the manager may see (``visible_to``, the policy's rule) and
each block is one or two set-based statements, whatever the size of the team.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import Count, DateTimeField, F, IntegerField, Max, OuterRef, Q, Subquery, Sum
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
    ``quiet_days``, or in their stage longer than ``usual`` for it; the largest first, each
    with its reasons. Two statements (the page and its count)."""
    today = now.date()
    pushes = (
        OpportunityHistory.objects.filter(
            opportunity=OuterRef("pk"), close_date__gt=F("previous_close_date")
        )
        .order_by()
        .values("opportunity")
        .annotate(n=Count("pk"))
        .values("n")
    )
    last_activity = (
        Activity.objects.filter(opportunity=OuterRef("pk"))
        .order_by()
        .values("opportunity")
        .annotate(last=Max("created_at"))
        .values("last")
    )
    quiet_since = now - dt.timedelta(days=quiet_days)
    stuck = Q(pk__in=[])
    for stage_id, days in usual.items():
        since = now - dt.timedelta(days=float(days))
        stuck |= Q(stage_id=stage_id, in_stage_since__lt=since)
    risky = (
        Opportunity.objects.visible_to(viewer)
        .filter(is_closed=False)
        .annotate(
            pushes=Coalesce(Subquery(pushes, output_field=IntegerField()), 0),
            last_touch=Coalesce(
                Subquery(last_activity, output_field=DateTimeField()), "created_at"
            ),
            in_stage_since=Coalesce("stage_changed_at", "created_at"),
        )
        .filter(Q(close_date__lt=today) | Q(pushes__gte=2) | Q(last_touch__lt=quiet_since) | stuck)
    )
    rows = []
    for deal in risky.select_related("owner", "stage", "account").order_by("-amount", "pk")[
        :RISK_ROWS
    ]:
        rows.append(AtRisk(deal, _reasons(deal, now, usual, quiet_days)))
    return RiskList(rows, risky.count(), quiet_days)


def _reasons(
    deal: Opportunity, now: dt.datetime, usual: dict[int, Decimal], quiet_days: int
) -> list[str]:
    found = []
    if deal.close_date < now.date():
        found.append(f"Close date passed ({deal.close_date:%b %-d})")
    pushes: int = getattr(deal, "pushes", 0)
    if pushes >= 2:
        found.append(f"Pushed {pushes} times")
    quiet = (now - getattr(deal, "last_touch", now)).days
    if quiet > quiet_days:
        found.append(f"No activity for {quiet} days")
    in_stage = (now - getattr(deal, "in_stage_since", now)).days
    limit = usual.get(deal.stage_id)
    if limit is not None and in_stage > limit:
        found.append(f"{in_stage} days in {deal.stage.label} (usually up to {limit:.0f})")
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


def recent_closes(viewer: User, now: dt.datetime, limit: int = 8) -> list[Opportunity]:
    """The deals won or lost in the last 30 days, newest first."""
    return list(
        Opportunity.objects.visible_to(viewer)
        .filter(is_closed=True, closed_at__gte=now - dt.timedelta(days=RECENT_DAYS))
        .select_related("owner", "account", "stage")
        .order_by("-closed_at", "-pk")[:limit]
    )
