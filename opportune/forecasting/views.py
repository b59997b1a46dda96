"""The forecast, predicted forecast, analytics and pipeline pages; each table downloads as CSV
(``?csv=<table>``). Every figure comes from the same functions as the API, as the user sees it.

Charts use Chart.js 4.6.1 (the npm package's UMD build, in static/forecasting/).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from pydantic import ValidationError

from opportune.errors import DomainError
from opportune.fiscal import FiscalPeriod
from opportune.identity import policy
from opportune.identity.models import Role, Team, User
from opportune.schemas import field_errors
from opportune.web.http import AuthedRequest, render_page
from opportune.web.templatetags.opportune import field_label

from . import charts
from .analytics import (
    FunnelBy,
    FunnelRow,
    RateRow,
    WinRateBy,
    funnel,
    sales_summary,
    time_in_stage,
    win_rates,
)
from .asof import pipeline_as_of, pipeline_changes
from .forecast import forecast_for
from .periods import current_period, period_from, period_range
from .schemas import AdjustmentIn, QuotaIn
from .services import adjust_forecast, managed_team_ids, set_quota
from .tables import FORECAST_HEADERS, Table, forecast_rows

CHARTJS_VERSION = "4.6.1"


def csv_response(name: str, table: Table) -> HttpResponse:
    headers, rows = table
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    writer = csv.writer(response)
    writer.writerow(headers)
    for row in rows:
        writer.writerow("" if cell is None else str(cell).strip() for cell in row)
    return response


def _require_opportunities(user: User) -> None:
    policy.require_kind(user, "forecast")


def _periods(request: AuthedRequest, default: list[FiscalPeriod]) -> tuple[list[FiscalPeriod], str]:
    """The periods the page's form asks for; on a bad key, the default and the error."""
    first, last = request.GET.get("period", "").strip(), request.GET.get("to", "").strip()
    if not first:
        return default, ""
    try:
        return period_range(first, last or None), ""
    except DomainError as error:
        return default, error.detail


def _date(request: AuthedRequest, name: str, default: dt.date) -> tuple[dt.date, str]:
    value = request.GET.get(name, "").strip()
    if not value:
        return default, ""
    try:
        return dt.date.fromisoformat(value), ""
    except ValueError:
        return default, f"'{value}' is not a date (YYYY-MM-DD)."


def _team(request: AuthedRequest) -> int | None:
    value = request.GET.get("team", "")
    return int(value) if value.isdigit() and Team.objects.filter(pk=value).exists() else None


def _reports(user: User) -> list[User]:
    """The users whose quota or forecast ``user`` may set or adjust."""
    if policy.may_manage(user, None, set()):
        return []
    found = User.objects.filter(is_active=True, role__in=[Role.SALES_REP, Role.SALES_MANAGER])
    managed = managed_team_ids(user)
    return [subject for subject in found if policy.may_manage(user, subject, managed) is None]


# --- forecast ----------------------------------------------------------------------------------


@login_required
def forecast_page(request: AuthedRequest) -> HttpResponse:
    user = request.user
    _require_opportunities(user)
    periods, error = _periods(request, [current_period()])
    team_id = _team(request)
    forecast = forecast_for(user, periods, team_id)
    table = forecast_rows(forecast)
    if request.GET.get("csv") == "forecast":
        return csv_response(f"forecast-{periods[0].key}", table)
    rows = [dict(zip(FORECAST_HEADERS, row, strict=True)) for row in table[1]]
    for row in rows:
        row["depth"] = (len(row["name"]) - len(row["name"].lstrip(" "))) // 2
    adjustments = [a for owner in forecast.owners() for a in owner.adjustments]
    names = {owner.user_id: owner.name for owner in forecast.owners()}
    return render_page(
        request,
        "forecasting/forecast.html",
        {
            "periods": periods,
            "last_period": periods[-1],
            "period_key": request.GET.get("period", periods[0].key),
            "to_key": request.GET.get("to", ""),
            "error": error,
            "teams": Team.objects.all(),
            "team_id": team_id,
            "forecast": forecast,
            "rows": rows,
            "adjustments": [(names.get(a.user_id, a.user_id), a) for a in adjustments],
            "reports": _reports(user),
            "chart_categories": charts.categories_per_period(forecast),
            "chart_quota": charts.quota_attainment(forecast),
            "has_quotas": any(owner.quota for owner in forecast.owners()),
        },
    )


def _back(request: AuthedRequest) -> HttpResponse:
    query = request.POST.get("next_query", "")
    return redirect(reverse("forecasting:forecast") + (f"?{query}" if query else ""))


def _apply(request: AuthedRequest, schema: type[QuotaIn | AdjustmentIn], done: str) -> None:
    data: dict[str, Any] = {
        key: request.POST.get(key, "").strip() for key in schema.model_fields if key in request.POST
    }
    if data.get("amount") == "":
        data["amount"] = None
    try:
        values = schema.model_validate(data)
        if isinstance(values, QuotaIn):
            set_quota(request.user, values.user_id, values.period, values.amount)
        else:
            adjust_forecast(
                request.user,
                values.user_id,
                values.period,
                values.category,
                values.amount,
                values.note,
            )
    except ValidationError as invalid:
        for field, reasons in field_errors(invalid.errors()).items():
            messages.error(request, f"{field_label(field)}: {' '.join(reasons)}")
    except DomainError as refused:
        messages.error(request, refused.detail)
    else:
        messages.success(request, done)


@login_required
@require_POST
def quota_post(request: AuthedRequest) -> HttpResponse:
    _apply(request, QuotaIn, "Quota saved.")
    return _back(request)


@login_required
@require_POST
def adjustment_post(request: AuthedRequest) -> HttpResponse:
    _apply(request, AdjustmentIn, "Adjustment recorded.")
    return _back(request)


# --- analytics ---------------------------------------------------------------------------------


def _funnel_table(rows: list[FunnelRow]) -> Table:
    return (
        ["key", "label", "created", "worked", "qualified", "converted", "won", "conversion rate",
         "days to convert"],
        [
            [r.key, r.label, r.created, r.worked, r.qualified, r.converted, r.won,
             r.conversion_rate, r.days_to_convert]
            for r in rows
        ],
    )  # fmt: skip


def _rates_table(rows: list[RateRow]) -> Table:
    return (
        ["key", "label", "won", "lost", "win rate", "won amount", "average deal size"],
        [
            [r.key, r.label, r.won, r.lost, r.win_rate, r.won_amount, r.average_deal_size]
            for r in rows
        ],
    )


C = TypeVar("C", bound=str)

FUNNEL_BY: list[tuple[FunnelBy, str]] = [
    ("period", "Period"),
    ("source", "Source"),
    ("campaign", "Campaign"),
    ("owner", "Owner"),
]
RATES_BY: list[tuple[WinRateBy, str]] = [
    ("owner", "Owner"), ("source", "Source"), ("campaign", "Campaign"),
    ("name", "Name / product"), ("stage", "Stage reached"),
]  # fmt: skip


def _choice(request: AuthedRequest, name: str, choices: Sequence[tuple[C, str]]) -> C:
    value = request.GET.get(name, "")
    return next((key for key, _ in choices if key == value), choices[0][0])


@login_required
def analytics_page(request: AuthedRequest) -> HttpResponse:
    user = request.user
    now = current_period()
    periods, error = _periods(request, period_range(now.shifted(-3).key, now.key))
    funnel_by = _choice(request, "funnel_by", FUNNEL_BY)
    rates_by = _choice(request, "rates_by", RATES_BY)
    funnel_rows = funnel(user, periods, funnel_by)
    tables: dict[str, Table] = {"funnel": _funnel_table(funnel_rows)}
    context: dict[str, Any] = {"sees_opportunities": policy.sees_kind(user, policy.OPPORTUNITY)}
    if context["sees_opportunities"]:
        rate_rows = win_rates(user, periods, rates_by)
        summary = sales_summary(user, periods)
        stays = time_in_stage(user)
        tables["win_rates"] = _rates_table(rate_rows)
        tables["summary"] = (
            ["won", "lost", "win rate", "won amount", "average deal size", "cycle days",
             "open deals", "open amount", "velocity per day"],
            [[summary.won, summary.lost, summary.win_rate, summary.won_amount,
              summary.average_deal_size, summary.cycle_days, summary.open_count,
              summary.open_amount, summary.velocity_per_day]],
        )  # fmt: skip
        tables["time_in_stage"] = (
            ["stage", "finished stays", "average days", "median days"],
            [[s.label, s.stays, s.average_days, s.median_days] for s in stays],
        )
        context.update(
            summary=summary,
            chart_rates=charts.win_rates(rate_rows),
        )
    wanted = request.GET.get("csv", "")
    if wanted in tables:
        return csv_response(f"{wanted}-{periods[0].key}", tables[wanted])
    context.update(
        periods=periods,
        period_key=request.GET.get("period", periods[0].key),
        to_key=request.GET.get("to", periods[-1].key),
        error=error,
        funnel_by=funnel_by,
        rates_by=rates_by,
        funnel_choices=FUNNEL_BY,
        rates_choices=RATES_BY,
        tables=tables,
        chart_funnel=charts.funnel(funnel_rows),
    )
    return render_page(request, "forecasting/analytics.html", context)


@login_required
def pipeline_page(request: AuthedRequest) -> HttpResponse:
    """The pipeline trend by month, and the change between two days (the waterfall)."""
    user = request.user
    _require_opportunities(user)
    today = timezone.localdate()
    month = current_period("month")
    months, error = _periods(request, period_range(month.shifted(-11).key, month.key))
    start, start_error = _date(request, "from", current_period(today=today).start)
    end, end_error = _date(request, "to_day", today)
    scope_key = request.GET.get("scope", "").strip()
    scope = None
    if scope_key:
        try:
            scope = period_from(scope_key, "scope")
        except DomainError as refused:
            error = refused.detail
    snapshots = pipeline_as_of(user, [p.end for p in months])
    trend = [
        (p.label, s.total.amount, s.total.weighted) for p, s in zip(months, snapshots, strict=True)
    ]
    changes = pipeline_changes(user, min(start, end), max(start, end), scope)
    tables: dict[str, Table] = {
        "trend": (
            ["month", "end of month", "open deals", "open amount", "weighted"],
            [[p.key, s.day, s.total.count, s.total.amount, s.total.weighted]
             for p, s in zip(months, snapshots, strict=True)],
        ),
        "changes": (
            ["opportunity", "name", "owner id", "changes", "amount before", "amount after"],
            [[c.opportunity_id, c.name, c.owner_id, " ".join(c.kinds), c.amount_before,
              c.amount_after] for c in changes.changes],
        ),
    }  # fmt: skip
    flows = (
        [("Start", changes.start)]
        + [(kind.replace("_", " ").capitalize(), tally) for kind, tally in changes.flows.items()]
        + [("End", changes.end)]
    )
    tables["waterfall"] = (
        ["step", "deals", "amount"],
        [[label, t.count, t.amount] for label, t in flows],
    )
    wanted = request.GET.get("csv", "")
    if wanted in tables:
        return csv_response(f"pipeline-{wanted}", tables[wanted])
    return render_page(
        request,
        "forecasting/pipeline.html",
        {
            "months": months,
            "period_key": request.GET.get("period", months[0].key),
            "to_key": request.GET.get("to", months[-1].key),
            "start": min(start, end),
            "end": max(start, end),
            "scope_key": scope_key,
            "error": error or start_error or end_error,
            "tables": tables,
            "changes": changes,
            "changed": changes.changes[:50],
            "chart_trend": charts.pipeline_trend(trend),
            "chart_waterfall": charts.waterfall(changes),
        },
    )
