"""The forecast page (the roll-up grid, its quotas and adjustments); each table downloads as
CSV (``?csv=<table>``). Every figure comes from the same functions as the API, as the user sees
it. The analytics pages are in ``analytics_views``, the predicted forecast's in
``prediction_views``.

Charts use Chart.js 4.6.1 (the npm package's UMD build, in static/forecasting/).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST
from pydantic import ValidationError

from opportune.errors import DomainError
from opportune.identity import policy
from opportune.identity.models import Role, Team, User
from opportune.schemas import field_errors
from opportune.web.http import AuthedRequest, render_page, wants_fragment
from opportune.web.templatetags.opportune import field_label

from . import charts
from .forecast import (
    ADJUSTABLE,
    ROLLUPS,
    Forecast,
    OwnerForecast,
    TeamForecast,
    cumulative,
    forecast_for,
)
from .pages import csv_response, periods_from, require_forecasts
from .periods import current_period
from .schemas import AdjustmentIn, QuotaIn
from .services import adjust_forecast, managed_team_ids, set_quota
from .tables import Table, categories_table, forecast_rows, history_table, quota_table

CHARTJS_VERSION = "4.6.1"


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
    require_forecasts(user)
    periods, error = periods_from(query, [current_period()])
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
