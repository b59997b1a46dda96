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
    "quotas_below",
    "quota_mismatch",
    "attainment",
    *(f"adjusted_{rollup}" for rollup in ROLLUPS if rollup != "closed"),
    "adjusted_by",
]


def _adjusters(row: OwnerForecast | TeamForecast | Forecast) -> str:
    if isinstance(row, Forecast):
        return ""
    return ", ".join(sorted({a.adjusted_by for a in row.adjustments if a.adjusted_by}))


def _forecast_row(level: str, name: str, row: OwnerForecast | TeamForecast | Forecast) -> list[Any]:
    figures = row.total if isinstance(row, Forecast) else row.figures
    team = row if isinstance(row, TeamForecast) else None
    return [
        level,
        name,
        *(figures.amount(r) for r in ROLLUPS),
        figures.weighted,
        *(figures.count(r) for r in ROLLUPS),
        figures.amounts["omitted"],
        row.quota,
        team.members_quota if team else None,
        team.quota_mismatch if team else False,
        row.attainment,
        *(row.adjusted[r] for r in ROLLUPS if r != "closed"),
        _adjusters(row),
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
    "quotas below",
    "attained",
    "adj. commit",
    "adj. best case",
    "adjusted by",
]


def _compact(row: list[Any]) -> list[Any]:
    full = dict(zip(FORECAST_HEADERS, row, strict=True))
    attained = full["attainment"]
    below = full["quotas_below"]
    return [
        full["name"],
        full["closed"],
        full["commit"],
        full["best_case"],
        full["pipeline"],
        full["weighted_pipeline"],
        full["pipeline_count"],
        full["quota"],
        f"{below:,.0f} (differs)" if full["quota_mismatch"] else below,
        None if attained is None else f"{attained:.0%}",
        full["adjusted_commit"],
        full["adjusted_best_case"],
        full["adjusted_by"],
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


CATEGORY_PARTS = ["Closed", "Commit (open)", "Best case only", "Pipeline only"]


def categories_table(forecast: Forecast) -> Table:
    """Per period, the raw parts that do not overlap (they add up to closed + open pipeline),
    then the cumulative figures they make."""
    headers = ["period", *CATEGORY_PARTS, "total", "commit", "best case"]
    rows = []
    for period, figures in forecast.by_period:
        parts = [figures.amounts[c] for c in ("closed", "commit", "best_case", "pipeline")]
        rows.append(
            [period.label, *parts, sum(parts), figures.amount("commit"),
             figures.amount("best_case")]
        )  # fmt: skip
    return headers, rows


def quota_table(forecast: Forecast) -> Table:
    """Per team with a quota: closed, the team's quota, the sum of the quotas one level down,
    whether they differ, and attainment (closed / team quota)."""
    headers = ["team", "closed", "team quota", "sum of quotas below", "mismatch", "attainment"]
    rows = [
        [team.name, team.figures.amount("closed"), team.quota, team.members_quota,
         "yes" if team.quota_mismatch else "", team.attainment]
        for root in forecast.teams
        for team in root.walk()
        if team.quota is not None
    ]  # fmt: skip
    return headers, rows


def history_table(forecast: Forecast) -> Table:
    """The adjustments of the rows shown, newest first: who, when, whom, old -> new, note."""
    headers = ["when", "who", "adjusted", "period", "category", "old", "new", "note"]
    rows = [
        [a.created_at.isoformat(timespec="minutes"), a.adjusted_by, a.subject, a.period,
         a.category, a.previous_amount, "withdrawn" if a.amount is None else a.amount, a.note]
        for a in forecast.history
    ]  # fmt: skip
    return headers, rows


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
