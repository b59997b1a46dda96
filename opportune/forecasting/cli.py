"""The forecasting subcommands of ``opportune``: forecast, backtest and load maven.

``opportune.cli`` registers them with one call to ``add_commands``; each is a thin caller of
this app's own functions, and prints plain-text tables.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

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


def cmd_load_maven(args: argparse.Namespace) -> int:
    from .maven import load_maven

    summary = load_maven(Path(args.directory), progress=_out)
    _out(
        f"Loaded {summary.opportunities} opportunities ({summary.history_rows} history rows), "
        f"{summary.accounts} accounts, {summary.users} users in {summary.teams} teams; "
        f"data as of {summary.as_of}."
    )
    return 0


def add_commands(commands: argparse._SubParsersAction, command: CommandMaker) -> None:
    """Register ``load maven``; ``command`` is ``opportune.cli._command``."""
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
