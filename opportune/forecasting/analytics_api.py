"""/api/v1/analytics: funnel, win rates, sales summary, time in stage, pipeline as of a day,
its trend and its changes between two days.

Every figure is computed from what the authenticated user may see. Bad parameters answer 422
with a problem document naming the parameter.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from opportune.errors import field_error
from opportune.fiscal import FiscalPeriod
from opportune.identity import policy
from opportune.identity.auth import actor
from opportune.identity.models import User
from opportune.opportunities.models import Stage

from .analytics import RateRow, funnel, rate_table, sales_summary, time_in_stage
from .api import RangeParams, optional_range, recent_quarters
from .asof import PipelineSnapshot, pipeline_as_of, pipeline_changes
from .periods import current_period, period_from, period_range

router = Router(tags=["analytics"])


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


def _deal_reader(request: HttpRequest) -> User:
    """The API's user, if their role sees deals (else a 404, as on the analytics page)."""
    user = actor(request)
    policy.require_kind(user, policy.OPPORTUNITY)
    return user


@router.get("/funnel", response=FunnelOut, summary="Lead funnel: created to won")
def get_funnel(request: HttpRequest, params: Query[FunnelParams]) -> dict[str, Any]:
    periods = recent_quarters(params)
    rows = funnel(actor(request), periods, params.by)  # leads too: marketing reads it
    return {
        "periods": [p.key for p in periods],
        "by": params.by,
        "rows": [{**vars(r), "conversion_rate": r.conversion_rate} for r in rows],
    }


class WinRateParams(RangeParams):
    by: Literal["owner", "source", "campaign", "name", "stage"] = "owner"
    limit: int = Field(
        100, ge=1, le=1000, description="the groups with the most closed deals, at most"
    )


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
    rows: list[RateRowOut] = Field(description="most closed deals first, at most `limit`")
    groups: int = Field(description="how many groups there are in all")


def rate_json(row: RateRow) -> dict[str, Any]:
    return {
        **{k: getattr(row, k) for k in ("key", "label", "won", "lost", "won_amount")},
        "win_rate": row.win_rate,
        "average_deal_size": row.average_deal_size,
    }


@router.get("/win-rates", response=WinRatesOut, summary="Win rates of closed deals")
def get_win_rates(request: HttpRequest, params: Query[WinRateParams]) -> dict[str, Any]:
    periods = optional_range(params)
    table = rate_table(_deal_reader(request), periods, params.by, params.limit)
    return {
        "periods": [p.key for p in periods or []],
        "by": params.by,
        "rows": [rate_json(r) for r in table.rows],
        "groups": table.groups,
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


@router.get(
    "/summary",
    response=SummaryOut,
    summary="Win rate, deal size, sales cycle and pipeline velocity",
)
def get_summary(request: HttpRequest, params: Query[RangeParams]) -> dict[str, Any]:
    periods = optional_range(params)
    found = sales_summary(_deal_reader(request), periods)
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


@router.get("/time-in-stage", response=list[StageTimeOut], summary="Days spent in each open stage")
def get_time_in_stage(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "stage_id": s.stage_id,
            "label": s.label,
            "stays": s.stays,
            "average_days": s.average_days,
            "median_days": s.median_days,
        }
        for s in time_in_stage(_deal_reader(request))
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


@router.get(
    "/pipeline-as-of",
    response=SnapshotOut,
    summary="The open pipeline at the end of a past day, rebuilt from history",
)
def get_pipeline_as_of(request: HttpRequest, params: Query[AsOfParams]) -> dict[str, Any]:
    day = params.date or timezone.localdate()
    [snapshot] = pipeline_as_of(_deal_reader(request), [day], _optional_period(params.period))
    return snapshot_json(snapshot, _stage_labels())


class TrendParams(RangeParams):
    pass


class TrendPointOut(Schema):
    period: str
    date: dt.date
    open: TallyOut


@router.get(
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
    snapshots = pipeline_as_of(_deal_reader(request), [p.end for p in periods])
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


CHANGES_LISTED = 500


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
    changes: list[ChangeOut] = Field(
        description="the first 500 changed deals, by first kind, name and id"
    )
    changes_total: int = Field(description="the number of changed deals, listed or not")


@router.get(
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
    found = pipeline_changes(
        _deal_reader(request), start, end, _optional_period(params.period), limit=CHANGES_LISTED
    )
    return {
        "from": start,
        "to": end,
        "period": found.period.key if found.period else None,
        "start": vars(found.start),
        "end": vars(found.end),
        **{kind: vars(tally) for kind, tally in found.flows.items()},
        "changes": [vars(c) for c in found.changes],
        "changes_total": found.total_changes,
    }
