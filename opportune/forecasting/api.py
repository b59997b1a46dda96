"""/api/v1/forecast, with quotas, adjustments and the predicted forecast.

Every figure is computed from what the authenticated user may see. Bad parameters answer 422
with a problem document naming the parameter.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from opportune.errors import field_error
from opportune.fiscal import FiscalPeriod
from opportune.identity import policy
from opportune.identity.auth import actor
from opportune.identity.models import Team, User
from opportune.schemas import RecordId

from .forecast import (
    CATEGORIES,
    ROLLUPS,
    Figures,
    Forecast,
    OwnerForecast,
    TeamForecast,
    forecast_for,
)
from .models import AdjustmentQuerySet, ForecastAdjustment, Quota, QuotaQuerySet
from .periods import current_period, period_range
from .prediction_api import predicted_router
from .schemas import AdjustmentIn, QuotaIn
from .services import adjust_forecast, set_quota

forecast_router = Router(tags=["forecasts"])


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
    id: int
    user_id: int | None = Field(description="the adjusted user (a manager stands for their team)")
    team_id: int | None = Field(description="the adjusted team")
    period: str
    category: str
    amount: Decimal | None = Field(description="the new figure; null withdrew the adjustment")
    previous_amount: Decimal | None = Field(description="the figure it replaced (old -> new)")
    note: str
    adjusted_by_id: int | None
    created_at: dt.datetime


class AdjustmentHistoryOut(AdjustmentOut):
    subject: str = Field(description="the name of the adjusted row")
    adjusted_by: str = Field(description="the name of who adjusted")


class AdjustedOut(Schema):
    closed: Decimal
    commit: Decimal
    best_case: Decimal
    pipeline: Decimal = Field(description="open pipeline, raised so closed + it >= best case")


class OwnerOut(Schema):
    user_id: int | None
    name: str
    team_id: int | None
    figures: FiguresOut
    quota: Decimal | None
    attainment: Decimal | None = Field(description="closed / quota")
    adjusted: AdjustedOut = Field(description="after the adjustments in force at and below it")
    adjustments: list[AdjustmentHistoryOut] = Field(
        description="the adjustments in force on this row"
    )


class ForecastTeamOut(Schema):
    team_id: int
    name: str
    manager_id: int | None
    figures: FiguresOut
    quota: Decimal | None = Field(
        description="the team's target: its manager's quota, else the sum of the quotas below"
    )
    manager_quota: Decimal | None
    members_quota: Decimal | None = Field(
        description="sum of the members' and sub-teams' quotas: information, never added"
    )
    quota_mismatch: bool = Field(description="the manager's quota differs from members_quota")
    attainment: Decimal | None
    adjusted: AdjustedOut
    adjustments: list[AdjustmentHistoryOut]
    members: list[OwnerOut]
    teams: list[ForecastTeamOut]


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
    teams: list[ForecastTeamOut]
    unassigned: list[OwnerOut] = Field(description="owners in no team, and unowned deals")
    by_period: list[PeriodFiguresOut]
    history: list[AdjustmentHistoryOut] = Field(
        description="the adjustments of these rows, newest first"
    )


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
        "manager_quota": node.manager_quota,
        "members_quota": node.members_quota,
        "quota_mismatch": node.quota_mismatch,
        "attainment": node.attainment,
        "adjusted": node.adjusted,
        "adjustments": [vars(a) for a in node.adjustments],
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
        "history": [vars(a) for a in forecast.history],
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


def _forecaster(request: HttpRequest) -> User:
    """The API's user, if their role sees deals and forecasts (else a 404, as on the pages)."""
    user = actor(request)
    policy.require_kind(user, "forecast")
    return user


@forecast_router.get("", response=ForecastOut, summary="The forecast of a period or range")
def get_forecast(request: HttpRequest, params: Query[ForecastParams]) -> dict[str, Any]:
    periods = periods_from(params)
    forecast = forecast_for(_forecaster(request), periods, team_id_from(params.team))
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


Rows = TypeVar("Rows", QuotaQuerySet, AdjustmentQuerySet)


class InputFilters(Schema):
    period: str | None = Field(None, max_length=12, description="Only within this period.")
    to: str | None = Field(None, max_length=12)
    user_id: RecordId | None = None
    team_id: RecordId | None = Field(None, description="Adjustments of this team only.")


def _within(found: Rows, filters: InputFilters) -> Rows:
    if filters.period:
        periods = period_range(filters.period, filters.to)
        found = found.filter(period_start__gte=periods[0].start, period_end__lte=periods[-1].end)
    if filters.user_id is not None:
        found = found.filter(user_id=filters.user_id)
    if filters.team_id is not None and isinstance(found, AdjustmentQuerySet):
        found = found.filter(team_id=filters.team_id)
    return found


@forecast_router.get("/quotas", response=list[QuotaOut], summary="Quotas you may see")
def list_quotas(request: HttpRequest, filters: Query[InputFilters]) -> list[Quota]:
    return list(_within(Quota.objects.visible_to(_forecaster(request)), filters)[:1000])


@forecast_router.post(
    "/quotas",
    response={200: QuotaOut, 204: None},
    summary="Set a report's quota for a period (amount null removes it)",
)
def post_quota(request: HttpRequest, payload: QuotaIn) -> Status[Quota | None]:
    quota = set_quota(_forecaster(request), payload.user_id, payload.period, payload.amount)
    return Status(204, None) if quota is None else Status(200, quota)


@forecast_router.get(
    "/adjustments",
    response=list[AdjustmentOut],
    summary="The adjustments history you may see, oldest first (the newest is in force)",
)
def list_adjustments(
    request: HttpRequest, filters: Query[InputFilters]
) -> list[ForecastAdjustment]:
    return list(
        _within(ForecastAdjustment.objects.visible_to(_forecaster(request)), filters)[:1000]
    )


@forecast_router.post(
    "/adjustments",
    response={201: AdjustmentOut},
    summary="Adjust the rolled-up commit or best case of a user or team below you (or your "
    "own) for a period; it replaces that figure upward (amount null withdraws it)",
)
def post_adjustment(request: HttpRequest, payload: AdjustmentIn) -> Status[ForecastAdjustment]:
    adjustment = adjust_forecast(
        _forecaster(request),
        payload.user_id,
        payload.period,
        payload.category,
        payload.amount,
        payload.note,
        team_id=payload.team_id,
    )
    return Status(201, adjustment)


# --- period ranges (shared with analytics_api) -------------------------------------------------


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


# --- the predicted forecast and its backtest (prediction_api) ---------------------------------

forecast_router.add_router("", predicted_router)
