"""The forecasting subcommands of ``opportune``: forecast (and forecast fit), backtest and
load maven.

``opportune.cli`` registers them with one call to ``add_commands``; each is a thin caller of
this app's own functions, and prints plain-text tables.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opportune.cli import _Parser
    from opportune.identity.models import User

CommandMaker = Callable[..., argparse.ArgumentParser]


def _out(text: str = "") -> None:
    print(text, flush=True)


def text_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Columns padded to their widest cell; numbers right-aligned."""
    cells = [[str(h) for h in headers], *[["" if c is None else str(c) for c in r] for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [
        all(_looks_numeric(row[i]) for row in cells[1:] if row[i]) for i in range(len(headers))
    ]

    def line(row: list[str]) -> str:
        return "  ".join(
            cell.rjust(width) if right else cell.ljust(width)
            for cell, width, right in zip(row, widths, numeric, strict=True)
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def _looks_numeric(text: str) -> bool:
    return text.replace(",", "").replace(".", "").replace("%", "").lstrip("-+").isdigit()


def positive_int(text: str) -> int:
    from opportune.cli import positive_int as parse

    return parse(text)


def cmd_load_maven(args: argparse.Namespace) -> int:
    from .maven import load_maven

    summary = load_maven(Path(args.directory), progress=_out)
    _out(
        f"Loaded {summary.opportunities} opportunities ({summary.history_rows} history rows), "
        f"{summary.accounts} accounts, {summary.users} users in {summary.teams} teams; "
        f"data as of {summary.as_of}."
    )
    return 0


def _viewer(username: str | None) -> User:
    """The user whose view a report shows; without one, everything (an admin's view)."""
    from opportune.errors import field_error
    from opportune.identity.models import Role, User

    if not username:
        return User(username="opportune-cli", role=Role.ADMIN, is_active=True)
    found = User.objects.filter(username=username, is_active=True).first()
    if found is None:
        raise field_error("as", f"No active user '{username}'.")
    return found


def _money(value: Decimal | float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def _percent(value: Decimal | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def cmd_forecast(args: argparse.Namespace) -> int:
    from .api import team_id_from
    from .forecast import forecast_for
    from .periods import current_period, period_range
    from .tables import forecast_rows, history_table

    periods = period_range(args.period or current_period().key, args.to)
    forecast = forecast_for(_viewer(args.as_user), periods, team_id_from(args.team))
    title = periods[0].label if len(periods) == 1 else f"{periods[0].label} - {periods[-1].label}"
    _out(f"Forecast {title} ({periods[0].start} to {periods[-1].end})")
    _out()
    headers, rows = forecast_rows(forecast, compact=True)
    _out(text_table(headers, [[_cell(c) for c in row] for row in rows]))
    if forecast.history:
        _out()
        _out("Adjustments (newest first; each replaces its row's figure in the levels above):")
        _out()
        headers, rows = history_table(forecast)
        _out(text_table(headers, [[_cell(c) for c in row] for row in rows]))
    return 0


def _cell(value: object) -> object:
    if isinstance(value, Decimal):
        return _money(value)
    return value


def cmd_backtest(args: argparse.Namespace) -> int:
    from .backtest import backtest
    from .tables import backtest_rows, backtest_scores

    results = backtest(_viewer(args.as_user), args.kind)
    if not results:
        _out("Not enough closed deals in the history to replay any period.")
        return 0
    for target, title in (
        ("total", "Everything won in the period"),
        ("pipeline", "Won in the period from the pipeline open at its start"),
    ):
        _out(f"{title} (forecast at the start of each {args.kind}; 80% intervals):")
        _out()
        headers, rows = backtest_rows(results, target)
        _out(text_table(headers, rows))
        _out()
        headers, rows = backtest_scores(results, target)
        _out(text_table(headers, rows))
        _out()
    return 0


def cmd_forecast_fit(args: argparse.Namespace) -> int:
    from opportune.opportunities.models import Pipeline

    from .fitting import describe_deal_chances, fit_all, fit_pipeline

    if args.pipeline:
        found = Pipeline.objects.filter(key=args.pipeline).first()
        if found is None:
            from opportune.errors import field_error

            raise field_error("pipeline", f"No pipeline '{args.pipeline}'.")
        fits = [fit_pipeline(found)]
    else:
        fits = fit_all()
    if not fits:
        _out("No pipeline holds deals: nothing to fit.")
    for fit in fits:
        errors = fit.parameters.get("errors", {})
        _out(
            f"{fit.pipeline.name}: learned from {fit.opportunities:,} deals "
            f"({fit.closed_deals:,} closed, {fit.history_rows:,} history rows) in "
            f"{fit.fit_seconds:.1f} s; intervals from {len(errors.get('month', []))} replayed "
            f"months and {len(errors.get('quarter', []))} quarters."
        )
        choice = fit.parameters.get("deal_chances")
        _out(describe_deal_chances(choice) + ".")
        if choice:
            _out(text_table(*_choice_rows(choice)))
    return 0


def _choice_rows(choice: dict[str, Any]) -> tuple[list[str], list[list[object]]]:
    """Both ways' backtest of everything won, per period kind (the chosen one marked)."""
    from .fitting import PER_DEAL

    headers = ["deal chances", "periods", "MAE", "MAE %", "bias", "80% coverage", "pinball"]
    rows: list[list[object]] = []
    for way, label in (("curves", "stage curves"), (PER_DEAL, "per-deal win probability")):
        for kind, scores in (choice.get(way) or {}).items():
            chosen = " (chosen)" if choice["chosen"] == way else ""

            def pct(name: str, scores: dict[str, Any] = scores) -> str:
                value = scores.get(name)
                if value is None:
                    return ""
                return f"{value:+.1%}" if name == "bias" else f"{value:.1%}"

            rows.append(
                [
                    label + chosen,
                    kind,
                    _money(scores.get("mae")),
                    pct("mape"),
                    pct("bias"),
                    pct("coverage"),
                    _money(scores.get("pinball")),
                ]
            )
    return headers, rows


def add_commands(commands: argparse._SubParsersAction[_Parser], command: CommandMaker) -> None:
    """Register ``forecast``, ``backtest`` and ``load maven``; ``command`` is
    ``opportune.cli._command``."""
    forecast = command(
        commands, "forecast", cmd_forecast, "Print the forecast of a period, rolled up by team."
    )
    forecast.add_argument("--period", help="2026-Q4, FY2027-Q1, 2026-11 or 2026 (default: now)")
    forecast.add_argument("--to", help="the last period of a range")
    forecast.add_argument("--team", help="only this team's subtree (name or id)")
    forecast.add_argument("--as", dest="as_user", help="show what this user may see")
    actions = forecast.add_subparsers(dest="action", metavar="ACTION")
    fit = command(
        actions,
        "fit",
        cmd_forecast_fit,
        "Fit the predicted-forecast model of each pipeline now (the worker does it daily).",
    )
    fit.add_argument("--pipeline", help="only this pipeline (its key)")

    replay = command(
        commands,
        "backtest",
        cmd_backtest,
        "Replay past periods: the predicted forecast against static stage probabilities "
        "and a naive Bayes model, with errors and interval coverage.",
    )
    replay.add_argument("--kind", choices=["month", "quarter"], default="quarter")
    replay.add_argument("--as", dest="as_user", help="replay what this user may see")

    load = commands.add_parser(
        "load", help="Load a public data set.", description="Load a public data set."
    )
    sources = load.add_subparsers(dest="source", required=True, metavar="SOURCE")
    maven = command(
        sources,
        "maven",
        cmd_load_maven,
        "Load the Maven Analytics CRM Sales Opportunities data (accounts, agents, deals).",
    )
    maven.add_argument("directory", help="the maven-crm folder holding the four CSV files")
