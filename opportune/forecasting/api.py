"""/api/v1/forecast (with quotas, adjustments and the predicted forecast) and /api/v1/analytics.

Every figure is computed from what the authenticated user may see. Bad parameters answer 422
with a problem document naming the parameter.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from opportune.errors import field_error
from opportune.fiscal import FiscalPeriod
from opportune.identity.auth import actor
from opportune.identity.models import Team
from opportune.opportunities.models import Stage

from .analytics import RateRow, funnel, sales_summary, time_in_stage, win_rates
from .asof import PipelineSnapshot, pipeline_as_of, pipeline_changes
from .forecast import (
    CATEGORIES,
    ROLLUPS,
    Figures,
    Forecast,
    OwnerForecast,
    TeamForecast,
    forecast_for,
)
from .models import ForecastAdjustment, Quota
from .periods import current_period, period_from, period_range
from .prediction import predicted_forecast
from .schemas import AdjustmentIn, QuotaIn
from .services import adjust_forecast, set_quota

forecast_router = Router(tags=["forecasts"])
analytics_router = Router(tags=["analytics"])


# --- output ------------------------------------------------------------------------------------


class PeriodOut(Schema):
    key: str
    label: str
    kind: str
    start: dt.date
    end: dt.date


class FigureOut(Schema):
    amount: Decimal
    count: int


class FiguresOut(Schema):
    closed: FigureOut
    commit: FigureOut = Field(description="closed + commit")
    best_case: FigureOut = Field(description="closed + commit + best case")
    pipeline: FigureOut = Field(description="open pipeline: pipeline + best case + commit")
    weighted_pipeline: Decimal = Field(description="expected revenue of the open pipeline")
    raw: dict[str, FigureOut] = Field(description="each forecast category on its own")


class AdjustmentOut(Schema):
    user_id: int
    period: str
    category: str
    amount: Decimal | None
    note: str
    adjusted_by_id: int | None
    created_at: dt.datetime


class AdjustedOut(Schema):
    commit: Decimal
    best_case: Decimal


class OwnerOut(Schema):
    user_id: int | None
    name: str
    team_id: int | None
    figures: FiguresOut
    quota: Decimal | None
    attainment: Decimal | None = Field(description="closed / quota")
    adjusted: AdjustedOut
    adjustments: list[AdjustmentOut]


class TeamOut(Schema):
    team_id: int
    name: str
    manager_id: int | None
    figures: FiguresOut
    quota: Decimal | None
    attainment: Decimal | None
    adjusted: AdjustedOut
    members: list[OwnerOut]
    teams: list[TeamOut]


class PeriodFiguresOut(Schema):
    period: str
    figures: FiguresOut


class ForecastOut(Schema):
    period: str
    to: str | None
    periods: list[PeriodOut]
    currency: str
    total: FiguresOut
    quota: Decimal | None
    attainment: Decimal | None
    adjusted: AdjustedOut
    teams: list[TeamOut]
    unassigned: list[OwnerOut] = Field(description="owners in no team, and unowned deals")
    by_period: list[PeriodFiguresOut]


def figures_json(figures: Figures) -> dict[str, Any]:
    found: dict[str, Any] = {
        rollup: {"amount": figures.amount(rollup), "count": figures.count(rollup)}
        for rollup in ROLLUPS
    }
    found["weighted_pipeline"] = figures.weighted
    found["raw"] = {
        c: {"amount": figures.amounts[c], "count": figures.counts[c]} for c in CATEGORIES
    }
    return found


def _owner_json(row: OwnerForecast) -> dict[str, Any]:
    return {
        "user_id": row.user_id,
        "name": row.name,
        "team_id": row.team_id,
        "figures": figures_json(row.figures),
        "quota": row.quota,
        "attainment": row.attainment,
        "adjusted": row.adjusted,
        "adjustments": [vars(a) for a in row.adjustments],
    }


def _team_json(node: TeamForecast) -> dict[str, Any]:
    return {
        "team_id": node.team_id,
        "name": node.name,
        "manager_id": node.manager_id,
        "figures": figures_json(node.figures),
        "quota": node.quota,
        "attainment": node.attainment,
        "adjusted": node.adjusted,
        "members": [_owner_json(m) for m in node.members],
        "teams": [_team_json(t) for t in node.teams],
    }


def forecast_json(forecast: Forecast, to: str | None) -> dict[str, Any]:
    return {
        "period": forecast.periods[0].key,
        "to": to,
        "periods": [
            {"key": p.key, "label": p.label, "kind": p.kind, "start": p.start, "end": p.end}
            for p in forecast.periods
        ],
        "currency": settings.OPPORTUNE_CURRENCY,
        "total": figures_json(forecast.total),
        "quota": forecast.quota,
        "attainment": forecast.attainment,
        "adjusted": forecast.adjusted,
        "teams": [_team_json(t) for t in forecast.teams],
        "unassigned": [_owner_json(o) for o in forecast.unassigned],
        "by_period": [{"period": p.key, "figures": figures_json(f)} for p, f in forecast.by_period],
    }


# --- parameters --------------------------------------------------------------------------------


def team_id_from(value: str | None) -> int | None:
    """A team named by id or by name (teams are no secret: every user may list them)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    found = Team.objects.filter(**({"pk": int(value)} if value.isdigit() else {"name": value}))
    pk = found.values_list("pk", flat=True).first()
    if pk is None:
        raise field_error("team", f"No team '{value}'.")
    return pk


class ForecastParams(Schema):
    period: str | None = Field(
        None,
        max_length=12,
        description="A month, quarter or year key; the current quarter if absent.",
    )
    to: str | None = Field(None, max_length=12, description="The last period of a range.")
    team: str | None = Field(None, max_length=100, description="A team's id or name: its subtree.")


def periods_from(params: ForecastParams) -> list[FiscalPeriod]:
    return period_range(params.period or current_period().key, params.to)


# --- endpoints ---------------------------------------------------------------------------------


@forecast_router.get("", response=ForecastOut, summary="The forecast of a period or range")
def get_forecast(request: HttpRequest, params: Query[ForecastParams]) -> dict[str, Any]:
    periods = periods_from(params)
    forecast = forecast_for(actor(request), periods, team_id_from(params.team))
    return forecast_json(forecast, periods[-1].key if params.to else None)


class QuotaOut(Schema):
    id: int
    user_id: int
    period: str
    period_start: dt.date
    period_end: dt.date
    amount: Decimal
    set_by_id: int | None
    updated_at: dt.datetime


class InputFilters(Schema):
    period: str | None = Field(None, max_length=12, description="Only within this period.")
    to: str | None = Field(None, max_length=12)
    user_id: int | None = None


def _within(found, filters: InputFilters):  # type: ignore[no-untyped-def]
    if filters.period:
        periods = period_range(filters.period, filters.to)
        found = found.filter(period_start__gte=periods[0].start, period_end__lte=periods[-1].end)
    if filters.user_id is not None:
        found = found.filter(user_id=filters.user_id)
    return found


@forecast_router.get("/quotas", response=list[QuotaOut], summary="Quotas you may see")
def list_quotas(request: HttpRequest, filters: Query[InputFilters]) -> list[Quota]:
    return list(_within(Quota.objects.visible_to(actor(request)), filters)[:1000])


@forecast_router.post(
    "/quotas",
    response={200: QuotaOut, 204: None},
    summary="Set a report's quota for a period (amount null removes it)",
)
def post_quota(request: HttpRequest, payload: QuotaIn) -> Status[Quota | None]:
    quota = set_quota(actor(request), payload.user_id, payload.period, payload.amount)
    return Status(204, None) if quota is None else Status(200, quota)


@forecast_router.get(
    "/adjustments",
    response=list[AdjustmentOut],
    summary="Managers' adjustments you may see, oldest first (the newest is in force)",
)
def list_adjustments(
    request: HttpRequest, filters: Query[InputFilters]
) -> list[ForecastAdjustment]:
    return list(_within(ForecastAdjustment.objects.visible_to(actor(request)), filters)[:1000])


@forecast_router.post(
    "/adjustments",
    response={201: AdjustmentOut},
    summary="Adjust a report's commit or best case for a period (amount null withdraws it)",
)
def post_adjustment(request: HttpRequest, payload: AdjustmentIn) -> Status[ForecastAdjustment]:
    adjustment = adjust_forecast(
        actor(request),
        payload.user_id,
        payload.period,
        payload.category,
        payload.amount,
        payload.note,
    )
    return Status(201, adjustment)


# --- analytics ---------------------------------------------------------------------------------


class RangeParams(Schema):
    period: str | None = Field(
        None, max_length=12, description="First period (month/quarter/year)."
    )
    to: str | None = Field(None, max_length=12, description="Last period of the range.")


def optional_range(params: RangeParams) -> list[FiscalPeriod] | None:
    return period_range(params.period, params.to) if params.period else None


def recent_quarters(params: RangeParams, count: int = 4) -> list[FiscalPeriod]:
    if params.period:
        return period_range(params.period, params.to)
    now = current_period()
    return period_range(now.shifted(1 - count).key, now.key)


class FunnelParams(RangeParams):
    by: Literal["period", "source", "campaign", "owner"] = "period"


class FunnelRowOut(Schema):
    key: str
    label: str
    created: int
    worked: int
    qualified: int
    converted: int
    won: int
    conversion_rate: Decimal | None = Field(description="converted / created")
    days_to_convert: Decimal | None = Field(description="average days from creation to conversion")


class FunnelOut(Schema):
    periods: list[str]
    by: str
    rows: list[FunnelRowOut]


@analytics_router.get("/funnel", response=FunnelOut, summary="Lead funnel: created to won")
def get_funnel(request: HttpRequest, params: Query[FunnelParams]) -> dict[str, Any]:
    periods = recent_quarters(params)
    rows = funnel(actor(request), periods, params.by)
    return {
        "periods": [p.key for p in periods],
        "by": params.by,
        "rows": [{**vars(r), "conversion_rate": r.conversion_rate} for r in rows],
    }


class WinRateParams(RangeParams):
    by: Literal["owner", "source", "campaign", "name", "stage"] = "owner"


class RateRowOut(Schema):
    key: str
    label: str
    won: int
    lost: int
    win_rate: Decimal | None = Field(description="won / (won + lost)")
    won_amount: Decimal
    average_deal_size: Decimal | None


class WinRatesOut(Schema):
    periods: list[str] = Field(description="close-date periods; empty means all time")
    by: str
    rows: list[RateRowOut]


def rate_json(row: RateRow) -> dict[str, Any]:
    return {
        **{k: getattr(row, k) for k in ("key", "label", "won", "lost", "won_amount")},
        "win_rate": row.win_rate,
        "average_deal_size": row.average_deal_size,
    }


@analytics_router.get("/win-rates", response=WinRatesOut, summary="Win rates of closed deals")
def get_win_rates(request: HttpRequest, params: Query[WinRateParams]) -> dict[str, Any]:
    periods = optional_range(params)
    rows = win_rates(actor(request), periods, params.by)
    return {
        "periods": [p.key for p in periods or []],
        "by": params.by,
        "rows": [rate_json(r) for r in rows],
    }


class SummaryOut(Schema):
    periods: list[str]
    won: int
    lost: int
    win_rate: Decimal | None
    won_amount: Decimal
    average_deal_size: Decimal | None
    cycle_days: Decimal | None = Field(description="average days from creation to close (won)")
    open_count: int
    open_amount: Decimal
    velocity_per_day: Decimal | None = Field(
        description="open deals x win rate x average deal size / cycle days"
    )


@analytics_router.get(
    "/summary",
    response=SummaryOut,
    summary="Win rate, deal size, sales cycle and pipeline velocity",
)
def get_summary(request: HttpRequest, params: Query[RangeParams]) -> dict[str, Any]:
    periods = optional_range(params)
    found = sales_summary(actor(request), periods)
    return {
        **vars(found),
        "periods": [p.key for p in periods or []],
        "win_rate": found.win_rate,
        "velocity_per_day": found.velocity_per_day,
    }


class StageTimeOut(Schema):
    stage_id: int
    label: str
    stays: int
    average_days: Decimal | None
    median_days: Decimal | None


@analytics_router.get(
    "/time-in-stage", response=list[StageTimeOut], summary="Days spent in each open stage"
)
def get_time_in_stage(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "stage_id": s.stage_id,
            "label": s.label,
            "stays": s.stays,
            "average_days": s.average_days,
            "median_days": s.median_days,
        }
        for s in time_in_stage(actor(request))
    ]


class TallyOut(Schema):
    count: int
    amount: Decimal
    weighted: Decimal


class StageTallyOut(TallyOut):
    stage_id: int
    label: str


class AsOfParams(Schema):
    date: dt.date | None = Field(None, description="The day, included; today if absent.")
    period: str | None = Field(
        None, max_length=12, description="Only deals closing in this period."
    )


class SnapshotOut(Schema):
    date: dt.date
    period: str | None
    total: TallyOut
    by_stage: list[StageTallyOut]
    by_category: dict[str, TallyOut]


def _stage_labels() -> dict[int, str]:
    return {
        pk: f"{pipeline}: {label}"
        for pk, pipeline, label in Stage.objects.values_list("pk", "pipeline__name", "label")
    }


def snapshot_json(snapshot: PipelineSnapshot, labels: dict[int, str]) -> dict[str, Any]:
    return {
        "date": snapshot.day,
        "period": snapshot.period.key if snapshot.period else None,
        "total": vars(snapshot.total),
        "by_stage": [
            {"stage_id": pk, "label": labels.get(pk, str(pk)), **vars(tally)}
            for pk, tally in sorted(snapshot.by_stage.items())
        ],
        "by_category": {k: vars(v) for k, v in snapshot.by_category.items()},
    }


def _optional_period(key: str | None) -> FiscalPeriod | None:
    return period_from(key) if key else None


@analytics_router.get(
    "/pipeline-as-of",
    response=SnapshotOut,
    summary="The open pipeline at the end of a past day, rebuilt from history",
)
def get_pipeline_as_of(request: HttpRequest, params: Query[AsOfParams]) -> dict[str, Any]:
    day = params.date or timezone.localdate()
    [snapshot] = pipeline_as_of(actor(request), [day], _optional_period(params.period))
    return snapshot_json(snapshot, _stage_labels())


class TrendParams(RangeParams):
    pass


class TrendPointOut(Schema):
    period: str
    date: dt.date
    open: TallyOut


@analytics_router.get(
    "/pipeline-trend",
    response=list[TrendPointOut],
    summary="The open pipeline at the end of each period (the last 6 months by default)",
)
def get_pipeline_trend(request: HttpRequest, params: Query[TrendParams]) -> list[dict[str, Any]]:
    if params.period:
        periods = period_range(params.period, params.to)
    else:
        month = current_period("month")
        periods = period_range(month.shifted(-5).key, month.key)
    if len(periods) > 36:
        raise field_error("to", "A trend holds at most 36 points.")
    snapshots = pipeline_as_of(actor(request), [p.end for p in periods])
    return [
        {"period": p.key, "date": s.day, "open": vars(s.total)}
        for p, s in zip(periods, snapshots, strict=True)
    ]


class ChangesParams(Schema):
    from_: dt.date | None = Field(
        None, alias="from", description="The first day; the start of this quarter if absent."
    )
    to: dt.date | None = Field(None, description="The last day; today if absent.")
    period: str | None = Field(
        None, max_length=12, description="Only the pipeline closing in this period."
    )


class ChangeOut(Schema):
    opportunity_id: int
    name: str
    owner_id: int | None
    kinds: list[str]
    amount_before: Decimal | None
    amount_after: Decimal | None


class ChangesOut(Schema):
    from_: dt.date = Field(alias="from")
    to: dt.date
    period: str | None
    start: TallyOut
    end: TallyOut
    new: TallyOut
    moved_in: TallyOut
    moved_out: TallyOut
    won: TallyOut
    lost: TallyOut
    amount_changed: TallyOut
    changes: list[ChangeOut] = Field(description="the first 500 changed deals")


@analytics_router.get(
    "/pipeline-changes",
    response=ChangesOut,
    by_alias=True,
    summary="How the pipeline changed between two days: new, won, lost, moved, amounts",
)
def get_pipeline_changes(request: HttpRequest, params: Query[ChangesParams]) -> dict[str, Any]:
    end = params.to or timezone.localdate()
    start = params.from_ or current_period(today=end).start
    if start > end:
        raise field_error("from", "The first day comes after the last.")
    found = pipeline_changes(actor(request), start, end, _optional_period(params.period))
    return {
        "from": start,
        "to": end,
        "period": found.period.key if found.period else None,
        "start": vars(found.start),
        "end": vars(found.end),
        **{kind: vars(tally) for kind, tally in found.flows.items()},
        "changes": [vars(c) for c in found.changes[:500]],
    }


class PredictedParams(RangeParams):
    as_of: dt.date | None = Field(
        None, description="Learn from the history up to this day, included; now if absent."
    )
    simulations: int = Field(2000, ge=100, le=20000)


class PredictionOut(Schema):
    period: str
    label: str
    already_won: Decimal
    pipeline: Decimal = Field(description="expected from the deals open at the as-of moment")
    new_deals: Decimal = Field(description="expected from deals not created yet")
    expected: Decimal
    low: Decimal = Field(description="10th percentile")
    median: Decimal
    high: Decimal = Field(description="90th percentile")
    open_deals: int


class PredictedOut(Schema):
    as_of: dt.datetime
    closed_deals_learned_from: int
    win_realization: Decimal = Field(description="won amount / last open amount")
    periods: list[PredictionOut]


@forecast_router.get(
    "/predicted",
    response=PredictedOut,
    summary="Expected closed-won amount per period with an 80% interval, learned from history",
)
def get_predicted(request: HttpRequest, params: Query[PredictedParams]) -> dict[str, Any]:
    if params.period:
        periods = period_range(params.period, params.to)
    else:
        now = current_period(today=params.as_of)
        periods = period_range(now.key, now.shifted(3).key)
    model, predictions = predicted_forecast(
        actor(request), periods, params.as_of, params.simulations
    )
    money = ("already_won", "pipeline", "new_deals", "expected", "low", "median", "high")
    return {
        "as_of": model.moment,
        "closed_deals_learned_from": model.outcomes,
        "win_realization": Decimal(model.realization).quantize(Decimal("0.0001")),
        "periods": [
            {
                "period": p.period.key,
                "label": p.period.label,
                "open_deals": p.open_deals,
                **{k: Decimal(getattr(p, k)).quantize(Decimal("0.01")) for k in money},
            }
            for p in predictions
        ],
    }
