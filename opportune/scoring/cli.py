"""``opportune score fit|show|rollback``: fit, inspect and roll back the scoring models."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opportune.cli import _Parser

CommandMaker = Callable[..., argparse.ArgumentParser]


def _out(text: str = "") -> None:
    print(text, flush=True)


def card_lines(fitted: Any) -> list[str]:
    """A fit's model card, as text."""
    card = fitted.card
    metrics = card["metrics"]

    def figure(name: str) -> str:
        value = metrics.get(name)
        return "n/a" if value is None else f"{value:.3f}"

    lines = [
        f"{fitted.target} model {fitted.pk} fitted {fitted.fitted_at:%Y-%m-%d %H:%M} "
        f"in {fitted.fit_seconds:.1f} s{' (active)' if fitted.is_active else ''}",
        f"  rows {fitted.rows}, positives {fitted.positives}; model {card['model']}, "
        f"calibration {card['calibration']}",
        f"  later-half CV: ROC AUC {figure('roc_auc')}, PR AUC {figure('pr_auc')}, "
        f"Brier {figure('brier')}, ECE {figure('ece')}",
        "  importances: "
        + ", ".join(f"{i['feature']} {i['importance']:.3f}" for i in card["importances"][:6]),
    ]
    return lines


def cmd_score_fit(args: argparse.Namespace) -> int:
    from .leads import fit_leads
    from .opportunity import fit_opportunities

    fitted = fit_leads() if args.target == "lead" else fit_opportunities()
    for line in card_lines(fitted):
        _out(line)
    return 0


def cmd_score_show(args: argparse.Namespace) -> int:
    from .models import ScoringModel

    fits = list(ScoringModel.objects.filter(target=args.target).defer("blob"))
    if not fits:
        _out(f"No {args.target} model yet: run 'opportune score fit'.")
    for fitted in fits:
        for line in card_lines(fitted):
            _out(line)
    return 0


def cmd_score_rollback(args: argparse.Namespace) -> int:
    from django.utils import timezone

    from . import leads, opportunity
    from .store import roll_back

    fitted = roll_back(args.target)
    if args.target == "lead":
        leads.score_open()
    else:
        opportunity.score_open(timezone.now())
    _out(f"The {args.target} model of {fitted.fitted_at:%Y-%m-%d %H:%M} is active again.")
    return 0


def add_commands(commands: argparse._SubParsersAction[_Parser], command: CommandMaker) -> None:
    """Register ``score fit``, ``score show`` and ``score rollback``."""
    score = commands.add_parser(
        "score", help="Predictive scoring models.", description="Predictive scoring models."
    )
    actions = score.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, handler, text in (
        ("fit", cmd_score_fit, "Fit a model on the history and re-score every open record."),
        ("show", cmd_score_show, "Show the stored fits' model cards."),
        ("rollback", cmd_score_rollback, "Make the previous fit the active one again."),
    ):
        parser = command(actions, name, handler, text)
        parser.add_argument("--target", choices=["opportunity", "lead"], default="opportunity")
