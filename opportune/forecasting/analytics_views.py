"""The analytics pages (funnel and win rates; the pipeline's trend and changes), each report
loaded by its own request.

The page itself is only its form and a placeholder per report; each placeholder asks for its
report (htmx, ``?fragment=<report>`` with the page's query) when the page loads. The reports
run side by side (one request each, on the server's workers), the first one shows as soon as it
is ready, and no request waits for every report: at a million deals a manager's page ran four
reports in one request (0.65-1.4 s) where each alone is under 500 ms. Each report's table
downloads as CSV (``?csv=<table>``), computed alone too. Every figure comes from the same
functions as the API, as the viewer sees it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.utils import timezone

from opportune.errors import DomainError
from opportune.fiscal import FiscalPeriod
from opportune.identity import policy
from opportune.identity.models import User
from opportune.web.http import AuthedRequest, render_page, wants_fragment

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
from .pages import csv_response, day_from, periods_from, require_forecasts
from .periods import current_period, period_from, period_range
from .tables import Table

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
CHANGES_SHOWN = 50  # changed deals listed on the pipeline page


@dataclass(frozen=True)
class Report:
    """One report of a page: its fragment's name, its card's title, and what it computes
    (its context, holding ``tables``: each downloads as CSV) from the page's ask; with
    ``whole``, every row (the CSV) rather than the page's first ones."""

    name: str
    title: str
    compute: Callable[[Any, bool], dict[str, Any]]
    tables: tuple[str, ...]


def _choice(query: QueryDict, name: str, choices: Sequence[tuple[C, str]]) -> C:
    value = query.get(name, "")
    return next((key for key, _ in choices if key == value), choices[0][0])


def _answer(
    request: AuthedRequest,
    template: str,
    reports: list[Report],
    ask: Any,
    context: dict[str, Any],
    csv_name: str,
) -> HttpResponse:
    """The page's answer: a table as CSV, one report's card (to htmx), or the page with a
    placeholder per report (its address: the page's query and the report's name)."""
    query = request.GET
    wanted = query.get("csv", "")
    for holder in reports:  # the report whose table the CSV is, computed alone and whole
        if wanted in holder.tables:
            table = holder.compute(ask, True)["tables"][wanted]
            return csv_response(csv_name.format(table=wanted), table)
    fragment = query.get("fragment", "")
    asked = {name: value for name, value in query.items() if name not in ("fragment", "csv")}
    context["query"] = urlencode(asked)
    report = next((r for r in reports if r.name == fragment), None)
    if report is not None and wants_fragment(request):
        context.update(report.compute(ask, False), report=report)
        return render_page(request, template, context, fragment=report.name)
    context["reports"] = [
        (r, f"{request.path}?{urlencode({**asked, 'fragment': r.name})}") for r in reports
    ]
    return render_page(request, template, context)


# --- funnel and win rates -----------------------------------------------------------------------


@dataclass(frozen=True)
class AnalyticsAsk:
    viewer: User
    periods: list[FiscalPeriod]
    funnel_by: FunnelBy
    rates_by: WinRateBy


def _funnel(ask: AnalyticsAsk, whole: bool) -> dict[str, Any]:
    rows = funnel(ask.viewer, ask.periods, ask.funnel_by)
    return {"tables": {"funnel": _funnel_table(rows)}, "chart_funnel": charts.funnel(rows)}


def _win_rates(ask: AnalyticsAsk, whole: bool) -> dict[str, Any]:
    rates = rate_table(ask.viewer, ask.periods, ask.rates_by, None if whole else RATES_SHOWN)
    return {
        "tables": {"win_rates": _rates_table(rates.rows)},
        "rate_groups": rates.groups,
        "chart_rates": charts.win_rates(rates.rows),
    }


def _summary(ask: AnalyticsAsk, whole: bool) -> dict[str, Any]:
    summary = sales_summary(ask.viewer, ask.periods)
    table: Table = (
        ["won", "lost", "win rate", "won amount", "average deal size", "cycle days",
         "open deals", "open amount", "velocity per day"],
        [[summary.won, summary.lost, summary.win_rate, summary.won_amount,
          summary.average_deal_size, summary.cycle_days, summary.open_count,
          summary.open_amount, summary.velocity_per_day]],
    )  # fmt: skip
    return {"tables": {"summary": table}, "summary": summary}


def _time_in_stage(ask: AnalyticsAsk, whole: bool) -> dict[str, Any]:
    table: Table = (
        ["stage", "finished stays", "average days", "median days"],
        [[s.label, s.stays, s.average_days, s.median_days] for s in time_in_stage(ask.viewer)],
    )
    return {"tables": {"time_in_stage": table}}


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


SUMMARY = Report("summary", "Deal size, cycle and velocity", _summary, ("summary",))
FUNNEL = Report("funnel", "Lead funnel", _funnel, ("funnel",))
WIN_RATES = Report("win_rates", "Win rates", _win_rates, ("win_rates",))
TIME_IN_STAGE = Report("time_in_stage", "Time in stage", _time_in_stage, ("time_in_stage",))


@login_required
def analytics_page(request: AuthedRequest) -> HttpResponse:
    user = request.user
    now = current_period()
    periods, error = periods_from(request.GET, period_range(now.shifted(-3).key, now.key))
    ask = AnalyticsAsk(
        user,
        periods,
        _choice(request.GET, "funnel_by", FUNNEL_BY),
        _choice(request.GET, "rates_by", RATES_BY),
    )
    sees_opportunities = policy.sees_kind(user, policy.OPPORTUNITY)
    reports = [SUMMARY, FUNNEL, WIN_RATES, TIME_IN_STAGE] if sees_opportunities else [FUNNEL]
    context: dict[str, Any] = {
        "sees_opportunities": sees_opportunities,
        "periods": periods,
        "period_key": request.GET.get("period", periods[0].key),
        "to_key": request.GET.get("to", periods[-1].key),
        "error": error,
        "funnel_by": ask.funnel_by,
        "rates_by": ask.rates_by,
        "funnel_choices": FUNNEL_BY,
        "rates_choices": RATES_BY,
    }
    csv_name = f"{{table}}-{periods[0].key}"
    return _answer(request, "forecasting/analytics.html", reports, ask, context, csv_name)


# --- the pipeline's trend and changes ---------------------------------------------------------


@dataclass(frozen=True)
class PipelineAsk:
    viewer: User
    months: list[FiscalPeriod]
    start: dt.date
    end: dt.date
    scope: FiscalPeriod | None


def _trend(ask: PipelineAsk, whole: bool) -> dict[str, Any]:
    snapshots = pipeline_as_of(ask.viewer, [p.end for p in ask.months])
    months = list(zip(ask.months, snapshots, strict=True))
    table: Table = (
        ["month", "end of month", "open deals", "open amount", "weighted"],
        [[p.key, s.day, s.total.count, s.total.amount, s.total.weighted] for p, s in months],
    )
    trend = [(p.label, s.total.amount, s.total.weighted) for p, s in months]
    return {"tables": {"trend": table}, "chart_trend": charts.pipeline_trend(trend)}


def _changes(ask: PipelineAsk, whole: bool) -> dict[str, Any]:
    changes = pipeline_changes(
        ask.viewer, ask.start, ask.end, ask.scope, limit=None if whole else CHANGES_SHOWN
    )
    flows = (
        [("Start", changes.start)]
        + [(kind.replace("_", " ").capitalize(), tally) for kind, tally in changes.flows.items()]
        + [("End", changes.end)]
    )
    tables: dict[str, Table] = {
        "waterfall": (["step", "deals", "amount"], [[s, t.count, t.amount] for s, t in flows]),
        "changes": (
            ["opportunity", "name", "owner id", "changes", "amount before", "amount after"],
            [[c.opportunity_id, c.name, c.owner_id, " ".join(c.kinds), c.amount_before,
              c.amount_after] for c in changes.changes],
        ),
    }  # fmt: skip
    return {
        "tables": tables,
        "changes": changes,
        "changed": changes.changes,
        "chart_waterfall": charts.waterfall(changes),
    }


PIPELINE_REPORTS = [
    Report("trend", "Open pipeline at month end", _trend, ("trend",)),
    Report("changes", "Changes between two days", _changes, ("waterfall", "changes")),
]


@login_required
def pipeline_page(request: AuthedRequest) -> HttpResponse:
    """The pipeline trend by month, and the change between two days (the waterfall)."""
    user = request.user
    require_forecasts(user)
    query = request.GET
    today = timezone.localdate()
    month = current_period("month")
    months, error = periods_from(query, period_range(month.shifted(-11).key, month.key))
    start, start_error = day_from(query, "from", current_period(today=today).start)
    end, end_error = day_from(query, "to_day", today)
    scope_key = query.get("scope", "").strip()
    scope = None
    if scope_key:
        try:
            scope = period_from(scope_key, "scope")
        except DomainError as refused:
            error = refused.detail
    ask = PipelineAsk(user, months, min(start, end), max(start, end), scope)
    context: dict[str, Any] = {
        "months": months,
        "period_key": query.get("period", months[0].key),
        "to_key": query.get("to", months[-1].key),
        "start": ask.start,
        "end": ask.end,
        "scope_key": scope_key,
        "error": error or start_error or end_error,
    }
    return _answer(
        request, "forecasting/pipeline.html", PIPELINE_REPORTS, ask, context, "pipeline-{table}"
    )
