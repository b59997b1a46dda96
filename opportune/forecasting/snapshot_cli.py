"""``opportune snapshots backfill``: store the daily pipeline snapshots of past days now;
``opportune snapshots stays``: store every deal's stage stays and furthest open stage again
(``stays``).

The worker stores each finished day (``snapshots.refresh_snapshots``); a new installation, an
import of old deals or a restore fills the past on demand. Set-based and idempotent: running
it again rebuilds the same rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opportune.cli import _Parser

CommandMaker = Callable[..., argparse.ArgumentParser]


def cmd_snapshots_backfill(args: argparse.Namespace) -> int:
    from . import snapshots

    started = time.perf_counter()
    days = snapshots.history_days()
    if args.since:
        days = [d for d in days if d >= args.since]
    if args.until:
        days = [d for d in days if d <= args.until]
    if args.stale_only:
        fresh = snapshots.fresh_days(days)
        days = [d for d in days if d not in fresh]
    built = snapshots.build(days)
    seconds = time.perf_counter() - started
    print(f"Stored the pipeline snapshots of {built} days in {seconds:.1f} s.")
    return 0


def cmd_snapshots_stays(args: argparse.Namespace) -> int:
    from . import stays

    started = time.perf_counter()
    if args.dirty_only:
        count = stays.refresh()
        print(f"Stored the stays of {count} deals written since the last build", end="")
    else:
        count = stays.rebuild()
        print(f"Stored {count} stage stays and every deal's furthest stage", end="")
    print(f" in {time.perf_counter() - started:.1f} s.")
    return 0


def add_commands(commands: argparse._SubParsersAction[_Parser], command: CommandMaker) -> None:
    """Register ``snapshots backfill`` and ``snapshots stays``; ``command`` is
    ``opportune.cli._command``."""
    group = commands.add_parser(
        "snapshots",
        help="Daily snapshots of the open pipeline (trend and as-of reports).",
        description="Daily snapshots of the open pipeline (trend and as-of reports).",
    )
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    backfill = command(
        actions,
        "backfill",
        cmd_snapshots_backfill,
        "Store the snapshots of every finished day from the history (or of a range).",
    )
    backfill.add_argument("--since", type=dt.date.fromisoformat, help="first day (YYYY-MM-DD)")
    backfill.add_argument("--until", type=dt.date.fromisoformat, help="last day (YYYY-MM-DD)")
    backfill.add_argument(
        "--stale-only", action="store_true", help="only days not stored or made stale by a write"
    )
    rebuild = command(
        actions,
        "stays",
        cmd_snapshots_stays,
        "Store every deal's stage stays and furthest open stage from the history (time in "
        "stage, win rates by stage reached).",
    )
    rebuild.add_argument(
        "--dirty-only",
        action="store_true",
        help="only the deals written since the last build (what the worker runs daily)",
    )
