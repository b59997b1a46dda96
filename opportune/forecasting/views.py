"""The forecast, predicted forecast, analytics and pipeline pages; each table downloads as CSV
(``?csv=<table>``). Every figure comes from the same functions as the API, as the user sees it.

Charts use Chart.js 4.6.1 (the npm package's UMD build, in static/forecasting/).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
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
from opportune.web.http import AuthedRequest, render_page, wants_fragment
from opportune.web.templatetags.opportune import field_label

from . import charts
from .analytics import (
    FunnelBy,
    FunnelRow,
    RateRow,
    WinRateBy,
    funnel,
    rate_table,
    sales_summary,
    time_in_stage,
)
from .asof import pipeline_as_of, pipeline_changes
from .forecast import (
    ADJUSTABLE,
    ROLLUPS,
    Forecast,
    OwnerForecast,
    TeamForecast,
    cumulative,
    forecast_for,
)
from .periods import current_period, period_from, period_range
from .schemas import AdjustmentIn, QuotaIn
from .services import adjust_forecast, managed_team_ids, set_quota
from .tables import Table, categories_table, forecast_rows, history_table, quota_table

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


def _periods_from(query: QueryDict, default: list[FiscalPeriod]) -> tuple[list[FiscalPeriod], str]:
    """The periods a page's query asks for; on a bad key, the default and the error."""
    first, last = query.get("period", "").strip(), query.get("to", "").strip()
    if not first:
        return default, ""
    try:
        return period_range(first, last or None), ""
    except DomainError as error:
        return default, error.detail


def _periods(request: AuthedRequest, default: list[FiscalPeriod]) -> tuple[list[FiscalPeriod], str]:
    return _periods_from(request.GET, default)


def _date(request: AuthedRequest, name: str, default: dt.date) -> tuple[dt.date, str]:
    value = request.GET.get(name, "").strip()
    if not value:
        return default, ""
    try:
        return dt.date.fromisoformat(value), ""
    except ValueError:
        return default, f"'{value}' is not a date (YYYY-MM-DD)."


def _team_from(query: QueryDict, user: User) -> int | None:
    """The team asked for, if it is one of the user's view (else the whole view)."""
    value = query.get("team", "")
    if not value.isdigit():
        return None
    return int(value) if policy.visible_teams(user).filter(pk=value).exists() else None


def _reports(user: User) -> list[User]:
    """The users whose quota ``user`` may set."""
    if policy.may_manage(user, None, set()):
        return []
    found = User.objects.filter(is_active=True, role__in=[Role.SALES_REP, Role.SALES_MANAGER])
    managed = managed_team_ids(user)
    return [subject for subject in found if policy.may_manage(user, subject, managed) is None]


# --- forecast ----------------------------------------------------------------------------------

Node = OwnerForecast | TeamForecast | Forecast
PAGE_KEYS = ("period", "to", "team")


def _grid(forecast: Forecast, user: User) -> list[dict[str, Any]]:
    """The roll-up's rows, each with its raw and adjusted figures, who adjusted it, and
    whether ``user`` may adjust it where it stands (``policy.may_adjust``)."""
    adjusts = policy.may_adjust(user, user, set()) is None
    managed = managed_team_ids(user) if adjusts and not user.is_admin else set()
    rows: list[dict[str, Any]] = []

    def add(level: str, depth: int, node: Node, subject: User | Team | None) -> None:
        figures = node.total if isinstance(node, Forecast) else node.figures
        team = node if isinstance(node, TeamForecast) else None
        key = ""
        if isinstance(subject, Team):
            key = f"team-{subject.pk}"
        elif subject is not None:
            key = f"user-{subject.pk}"
        rows.append({
            "level": level, "depth": depth, "key": key,
            "name": "Total" if isinstance(node, Forecast) else node.name,
            "raw": {rollup: figures.amount(rollup) for rollup in ROLLUPS},
            "adjusted": node.adjusted, "weighted": figures.weighted,
            "open_deals": figures.count("pipeline"), "quota": node.quota,
            "quotas_below": team.members_quota if team else None,
            "mismatch": team.quota_mismatch if team else False,
            "attainment": node.attainment,
            "adjusted_by": "" if isinstance(node, Forecast) else ", ".join(
                sorted({a.adjusted_by for a in node.adjustments if a.adjusted_by})),
            "editable": adjusts and subject is not None
            and policy.may_adjust(user, subject, managed) is None,
        })  # fmt: skip

    def person(owner: OwnerForecast) -> User | None:
        if owner.user_id is None or owner.heads is not None:
            return None  # a manager's own figure is the team's row
        return User(pk=owner.user_id, team_id=owner.team_id)

    def team(node: TeamForecast, depth: int) -> None:
        add("team", depth, node, Team(pk=node.team_id))
        for member in node.members:
            add("owner", depth + 1, member, person(member))
        for child in node.teams:
            team(child, depth + 1)

    for root in forecast.teams:
        team(root, 0)
    for owner in forecast.unassigned:
        add("owner", 0, owner, person(owner))
    add("total", 0, forecast, None)
    return rows


def _editing(value: str) -> tuple[str, str] | None:
    """The grid cell asked for editing: ``team-3:commit`` or ``user-5:best_case``."""
    key, _, category = value.partition(":")
    kind, _, pk = key.partition("-")
    if kind in ("team", "user") and pk.isdigit() and category in ADJUSTABLE:
        return key, category
    return None


def _with_cells(
    rows: list[dict[str, Any]], one_period: bool, editing: tuple[str, str] | None, focus: str
) -> list[dict[str, Any]]:
    """Each row's adjustable cells: raw and adjusted value, and whether the cell is open for
    editing or takes the focus back. A range is adjusted period by period, not as a whole."""
    for row in rows:
        kind, _, pk = row["key"].partition("-")
        row["cells"] = [
            {
                "category": category,
                "label": category.replace("_", " "),
                "id": f"{row['key']}:{category}",
                "field": f"{kind}_id",
                "pk": pk,
                "raw": row["raw"][category],
                "adjusted": row["adjusted"][category],
                "editable": row["editable"] and one_period,
                "editing": editing == (row["key"], category),
                "focus": focus == f"{row['key']}:{category}",
            }
            for category in ADJUSTABLE
        ]
    return rows


def _forecast_answer(
    request: AuthedRequest, query: QueryDict, problem: str = "", editing: str = ""
) -> HttpResponse:
    """The forecast page for ``query`` (its period, range and team), or, to htmx, only its
    figures (stats, grid, history) with one cell in edit mode or a problem shown."""
    user = request.user
    _require_opportunities(user)
    periods, error = _periods_from(query, [current_period()])
    team_id = _team_from(query, user)
    forecast = forecast_for(user, periods, team_id)
    tables: dict[str, Table] = {
        "forecast": forecast_rows(forecast),
        "categories": categories_table(forecast),
        "quota": quota_table(forecast),
        "history": history_table(forecast),
    }
    wanted = query.get("csv", "")
    if wanted in tables:
        return csv_response(f"{wanted}-{periods[0].key}", tables[wanted])
    page_query = urlencode({name: query.get(name, "") for name in PAGE_KEYS if query.get(name)})
    return render_page(
        request,
        "forecasting/forecast.html",
        {
            "periods": periods,
            "last_period": periods[-1],
            "period_key": query.get("period", periods[0].key),
            "to_key": query.get("to", ""),
            "error": error,
            "teams": policy.visible_teams(user),
            "team_id": team_id,
            "forecast": forecast,
            "raw_total": cumulative(forecast.total),
            "page_query": page_query,
            "rows": _with_cells(
                _grid(forecast, user),
                len(periods) == 1,
                _editing(editing or query.get("edit", "")),
                query.get("focus", ""),
            ),
            "problem": problem,
            "reports": _reports(user),
            "tables": tables,
            "chart_categories": charts.categories_per_period(tables["categories"]),
            "chart_quota": charts.quota_per_team(tables["quota"]),
        },
        fragment="figures",
    )


@login_required
def forecast_page(request: AuthedRequest) -> HttpResponse:
    return _forecast_answer(request, request.GET)


def _back(request: AuthedRequest) -> HttpResponse:
    query = request.POST.get("next_query", "")
    return redirect(reverse("forecasting:forecast") + (f"?{query}" if query else ""))


def _apply(request: AuthedRequest, schema: type[QuotaIn | AdjustmentIn]) -> str:
    """Validate and record the posted quota or adjustment; the problem, if any."""
    data: dict[str, Any] = {
        key: request.POST.get(key, "").strip() for key in schema.model_fields if key in request.POST
    }
    for key in ("amount", "user_id", "team_id"):
        if data.get(key) == "":
            data[key] = None
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
                team_id=values.team_id,
            )
    except ValidationError as invalid:
        return " ".join(
            f"{field_label(field)}: {' '.join(reasons)}"
            for field, reasons in field_errors(invalid.errors()).items()
        )
    except DomainError as refused:
        return refused.detail
    return ""


@login_required
@require_POST
def quota_post(request: AuthedRequest) -> HttpResponse:
    problem = _apply(request, QuotaIn)
    messages.add_message(
        request, messages.ERROR if problem else messages.SUCCESS, problem or "Quota saved."
    )
    return _back(request)


@login_required
@require_POST
def adjustment_post(request: AuthedRequest) -> HttpResponse:
    """Record an adjustment; to htmx (the grid's inline editing), answer the recomputed
    figures with the focus back on the cell, or the cell still open with the problem."""
    problem = _apply(request, AdjustmentIn)
    if wants_fragment(request):
        query = QueryDict(request.POST.get("next_query", ""), mutable=True)
        cell = request.POST.get("cell", "")
        if not problem:
            query["focus"] = cell
        return _forecast_answer(request, query, problem, editing=cell if problem else "")
    messages.add_message(
        request, messages.ERROR if problem else messages.SUCCESS, problem or "Adjustment recorded."
    )
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
RATES_SHOWN = 50  # groups on the page; the CSV has them all
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
    wanted = request.GET.get("csv", "")
    if context["sees_opportunities"]:
        rates = rate_table(user, periods, rates_by, None if wanted == "win_rates" else RATES_SHOWN)
        rate_rows = rates.rows
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
            rate_groups=rates.groups,
            chart_rates=charts.win_rates(rate_rows),
        )
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


CHANGES_SHOWN = 50  # changed deals listed on the pipeline page


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
    wanted = request.GET.get("csv", "")
    changes = pipeline_changes(
        user,
        min(start, end),
        max(start, end),
        scope,
        limit=None if wanted == "changes" else CHANGES_SHOWN,  # the CSV holds them all
    )
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
            "changed": changes.changes,
            "chart_trend": charts.pipeline_trend(trend),
            "chart_waterfall": charts.waterfall(changes),
        },
    )
