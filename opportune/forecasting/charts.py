"""Chart.js configurations of the report pages, built from the same figures as their tables."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .analytics import FunnelRow, RateRow
from .asof import PipelineChanges
from .forecast import Forecast
from .predicted import PeriodPrediction

Chart = dict[str, Any]
COLORS = {
    "closed": "#1f9d55",
    "commit": "#b7791f",
    "best_case": "#7c4dd6",
    "pipeline": "#2f6fdb",
    "quota": "#7b7e8a",
    "lost": "#d6404a",
}


def _number(value: Decimal | float | int | None) -> float:
    return float(value or 0)


def categories_per_period(forecast: Forecast) -> Chart:
    """Stacked bars: each period's raw closed, commit, best case and pipeline amounts."""
    labels = [period.label for period, _ in forecast.by_period]
    datasets = [
        {
            "label": label,
            "data": [_number(figures.amounts[key]) for _, figures in forecast.by_period],
            "color": COLORS[key],
            "stack": "forecast",
        }
        for key, label in (
            ("closed", "Closed"),
            ("commit", "Commit"),
            ("best_case", "Best case"),
            ("pipeline", "Pipeline"),
        )
    ]
    return {
        "type": "bar",
        "money": True,
        "data": {"labels": labels, "datasets": datasets},
        "options": {"scales": {"x": {"stacked": True}, "y": {"stacked": True}}},
    }


def quota_attainment(forecast: Forecast) -> Chart:
    owners = [row for row in forecast.owners() if row.quota]
    return {
        "type": "bar",
        "money": True,
        "data": {
            "labels": [row.name for row in owners],
            "datasets": [
                {
                    "label": "Closed",
                    "data": [_number(row.figures.amount("closed")) for row in owners],
                    "color": COLORS["closed"],
                },
                {
                    "label": "Quota",
                    "data": [_number(row.quota) for row in owners],
                    "color": COLORS["quota"],
                },
            ],
        },
        "options": {"indexAxis": "y"},
    }


def predicted(predictions: list[PeriodPrediction]) -> Chart:
    """The expected amount per period as a line, its 80% interval as floating bars."""
    return {
        "type": "bar",
        "money": True,
        "data": {
            "labels": [p.period.label for p in predictions],
            "datasets": [
                {
                    "type": "line",
                    "label": "Expected",
                    "data": [round(p.expected) for p in predictions],
                    "color": "#5b5bd6",
                },
                {
                    "label": "80% interval",
                    "data": [[round(p.low), round(p.high)] for p in predictions],
                    "color": "#7c4dd6",
                },
            ],
        },
    }


def backtest(periods: list[dict[str, Any]], target: str = "total") -> Chart:
    """Replayed periods: Opportune's 80% interval as floating bars, its expected amount and
    the actual amount as lines."""
    ours = [p["estimates"][target]["opportune"] for p in periods]
    return {
        "type": "bar",
        "money": True,
        "data": {
            "labels": [p["label"] for p in periods],
            "datasets": [
                {
                    "type": "line",
                    "label": "Actual",
                    "data": [round(p["actual"][target]) for p in periods],
                    "color": COLORS["closed"],
                },
                {
                    "type": "line",
                    "label": "Expected",
                    "data": [round(e["expected"]) for e in ours],
                    "color": "#5b5bd6",
                },
                {
                    "label": "80% interval",
                    "data": [[round(e["low"]), round(e["high"])] for e in ours],
                    "color": "#7c4dd6",
                },
            ],
        },
    }


def funnel(rows: list[FunnelRow]) -> Chart:
    steps = ("created", "worked", "qualified", "converted", "won")
    totals = [sum(getattr(row, step) for row in rows) for step in steps]
    return {
        "type": "bar",
        "data": {
            "labels": [step.capitalize() for step in steps],
            "datasets": [{"label": "Leads", "data": totals, "color": "#5b5bd6"}],
        },
        "options": {"plugins": {"legend": {"display": False}}},
    }


def win_rates(rows: list[RateRow]) -> Chart:
    shown = rows[:20]
    return {
        "type": "bar",
        "data": {
            "labels": [row.label for row in shown],
            "datasets": [
                {
                    "label": "Win rate %",
                    "data": [round(_number(row.win_rate) * 100, 1) for row in shown],
                    "color": COLORS["closed"],
                }
            ],
        },
        "options": {"indexAxis": "y", "plugins": {"legend": {"display": False}}},
    }


def pipeline_trend(points: list[tuple[str, Decimal, Decimal]]) -> Chart:
    return {
        "type": "line",
        "money": True,
        "data": {
            "labels": [label for label, _, _ in points],
            "datasets": [
                {
                    "label": "Open pipeline",
                    "data": [_number(a) for _, a, _ in points],
                    "fill": True,
                },
                {"label": "Weighted", "data": [_number(w) for _, _, w in points]},
            ],
        },
    }


def waterfall(changes: PipelineChanges) -> Chart:
    """Floating bars from the starting pipeline through each flow to the ending one."""
    steps = [
        ("Start", changes.start.amount, None),
        ("New", changes.flows["new"].amount, 1),
        ("Moved in", changes.flows["moved_in"].amount, 1),
        ("Amount changes", changes.flows["amount_changed"].amount, 1),
        ("Moved out", changes.flows["moved_out"].amount, -1),
        ("Won", changes.flows["won"].amount, -1),
        ("Lost", changes.flows["lost"].amount, -1),
        ("End", changes.end.amount, None),
    ]
    bars, level = [], Decimal(0)
    for _, amount, sign in steps:
        if sign is None:
            bars.append([0.0, _number(amount)])
            level = amount
        else:
            after = level + sign * amount
            bars.append([_number(level), _number(after)])
            level = after
    return {
        "type": "bar",
        "money": True,
        "data": {
            "labels": [label for label, _, _ in steps],
            "datasets": [{"label": "Pipeline", "data": bars, "color": "#2f6fdb"}],
        },
        "options": {"plugins": {"legend": {"display": False}}},
    }
