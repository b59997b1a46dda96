"""Chart.js configurations of the report pages, built from the same figures as their tables."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .analytics import FunnelRow, RateRow
from .asof import PipelineChanges
from .predicted import PeriodPrediction
from .tables import Table

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


def categories_per_period(table: Table) -> Chart:
    """Each period's forecast as stacked bars of the parts that do not overlap -- closed,
    commit not closed, best case beyond commit, pipeline beyond best case -- so a bar's
    height is closed + open pipeline and each cumulative figure is where a part ends.
    (Stacking the cumulative figures would add closed up to four times.)"""
    headers, rows = table
    datasets = [
        {
            "label": headers[column].capitalize(),
            "data": [_number(row[column]) for row in rows],
            "color": COLORS[key],
            "stack": "forecast",
        }
        for column, key in enumerate(("closed", "commit", "best_case", "pipeline"), start=1)
    ]
    return {
        "type": "bar",
        "money": True,
        "data": {"labels": [row[0] for row in rows], "datasets": datasets},
        "options": {"scales": {"x": {"stacked": True}, "y": {"stacked": True}}},
    }


def quota_per_team(table: Table) -> Chart:
    """Per team: closed, the team's quota (its target) and the sum of the quotas one level
    down, side by side -- a manager's quota is never drawn as a rep's."""
    headers, rows = table
    return {
        "type": "bar",
        "money": True,
        "data": {
            "labels": [row[0] for row in rows],
            "datasets": [
                {"label": headers[column].capitalize(), "data": [_number(r[column]) for r in rows],
                 "color": color}
                for column, color in ((1, COLORS["closed"]), (2, COLORS["quota"]), (3, "#b9bcc6"))
            ],
        },
        "options": {"indexAxis": "y"},
    }  # fmt: skip


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
