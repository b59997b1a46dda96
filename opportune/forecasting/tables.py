"""Reports as flat tables (headers and rows): the CSV downloads and the CLI print these."""

from __future__ import annotations

from typing import Any

from .backtest import METHODS, PeriodResult, score
from .forecast import ROLLUPS, Forecast, OwnerForecast, TeamForecast

Table = tuple[list[str], list[list[Any]]]

FORECAST_HEADERS = [
    "level",
    "name",
    *(f"{rollup}" for rollup in ROLLUPS),
    "weighted_pipeline",
    *(f"{rollup}_count" for rollup in ROLLUPS),
    "omitted",
    "quota",
    "attainment",
    "adjusted_commit",
    "adjusted_best_case",
]


def _forecast_row(level: str, name: str, row: OwnerForecast | TeamForecast | Forecast) -> list[Any]:
    figures = row.total if isinstance(row, Forecast) else row.figures
    return [
        level,
        name,
        *(figures.amount(r) for r in ROLLUPS),
        figures.weighted,
        *(figures.count(r) for r in ROLLUPS),
        figures.amounts["omitted"],
        row.quota,
        row.attainment,
        row.adjusted["commit"],
        row.adjusted["best_case"],
    ]


COMPACT_HEADERS = [
    "name",
    "closed",
    "commit",
    "best case",
    "pipeline",
    "weighted",
    "open deals",
    "quota",
    "attained",
    "adj. commit",
    "adj. best case",
]


def _compact(row: list[Any]) -> list[Any]:
    full = dict(zip(FORECAST_HEADERS, row, strict=True))
    attained = full["attainment"]
    return [
        full["name"],
        full["closed"],
        full["commit"],
        full["best_case"],
        full["pipeline"],
        full["weighted_pipeline"],
        full["pipeline_count"],
        full["quota"],
        None if attained is None else f"{attained:.0%}",
        full["adjusted_commit"],
        full["adjusted_best_case"],
    ]


def forecast_rows(forecast: Forecast, compact: bool = False) -> Table:
    """One row per team (indented by depth) and per member under it, then the total;
    ``compact`` keeps the columns a terminal has room for."""
    rows: list[list[Any]] = []

    def team(node: TeamForecast, depth: int) -> None:
        rows.append(_forecast_row("team", "  " * depth + node.name, node))
        for member in node.members:
            rows.append(_forecast_row("owner", "  " * (depth + 1) + member.name, member))
        for child in node.teams:
            team(child, depth + 1)

    for root in forecast.teams:
        team(root, 0)
    for owner in forecast.unassigned:
        rows.append(_forecast_row("owner", owner.name, owner))
    rows.append(_forecast_row("total", "Total", forecast))
    if compact:
        return COMPACT_HEADERS, [_compact(row) for row in rows]
    return FORECAST_HEADERS, rows


def _money(value: float) -> str:
    return f"{value:,.0f}"


def backtest_rows(results: list[PeriodResult], target: str) -> Table:
    """Per period: the actual amount and each method's expected amount [80% interval], a star
    marking an actual outside the interval."""
    headers = ["period", "actual"] + [f"{m} [80% interval]" for m in METHODS]
    rows = []
    for result in results:
        actual = result.actual(target)
        rows.append(
            [result.period.key, _money(actual)]
            + [
                f"{_money(e.expected)} [{_money(e.low)} - {_money(e.high)}]"
                + ("" if e.covers(actual) else " *")
                for e in (result.estimates(target)[m] for m in METHODS)
            ]
        )
    return headers, rows


SCORE_HEADERS = [
    "method",
    "mean abs error",
    "mean abs % error",
    "bias",
    "80% interval coverage",
    "pinball loss",
]


def backtest_scores(results: list[PeriodResult], target: str) -> Table:
    rows = []
    for method in METHODS:
        found = score(results, target, method)
        rows.append(
            [
                method,
                _money(found.mae),
                f"{found.mape:.1%}",
                f"{found.bias:+.1%}",
                f"{found.coverage:.0%}",
                _money(found.pinball),
            ]
        )
    return SCORE_HEADERS, rows
