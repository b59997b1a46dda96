"""An opportunity's features as of a moment T, from its history rows up to T only.

Leakage rules (tested in tests/test_opportunity_features.py):
- the deal's own rows count only if ``changed_at <= T``: stage, amount, close date, pushes
  and amount changes are those known at T;
- owner's and source's win rates count only deals closed strictly before T, smoothed
  toward the overall win rate before T (``PRIOR_WEIGHT`` pseudo-deals), so an owner with
  two deals is not rated 0% or 100%;
- the owner and lead source are the deal's current ones (they are not in the stage
  history); a deal reassigned after T is rated with its new owner's past record, which
  was itself counted before T.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from .core import Feature, Value

DAY = 86400.0
PRIOR_WEIGHT = 5.0

FEATURES = [
    Feature("stage_probability"),
    Feature("age_days"),
    Feature("days_in_stage"),
    Feature("days_to_close"),
    Feature("pushes"),
    Feature("amount_changes"),
    Feature("amount_log"),
    Feature("amount_ratio"),
    Feature("owner_win_rate"),
    Feature("owner_closed"),
    Feature("source_win_rate"),
]


@dataclass(frozen=True)
class Row:
    """One history row: the deal's state from ``at`` on."""

    at: dt.datetime
    stage_id: int
    amount: float | None
    close_date: dt.date


@dataclass
class Deal:
    id: int
    owner_id: int | None
    source: str
    rows: list[Row] = field(default_factory=list)  # oldest first

    def rows_until(self, moment: dt.datetime) -> list[Row]:
        return self.rows[: bisect.bisect_right([r.at for r in self.rows], moment)]


@dataclass
class RateBook:
    """Closings in time order, to answer "win rate of X before T" with bisections."""

    times: dict[object, list[dt.datetime]] = field(default_factory=dict)
    wins: dict[object, list[int]] = field(default_factory=dict)  # cumulative
    # (closed, won) per key when scoring only now, all closings being in the past.
    fixed: dict[object, tuple[int, int]] = field(default_factory=dict)

    @classmethod
    def of(cls, closings: Iterable[tuple[int | None, str, dt.datetime | None, bool]]) -> RateBook:
        """``closings``: (owner id, lead source, closed at, won)."""
        grouped: dict[object, list[tuple[dt.datetime, bool]]] = defaultdict(list)
        for owner, source, at, won in closings:
            if at is None:
                continue
            grouped[("all",)].append((at, won))
            if owner is not None:
                grouped[("owner", owner)].append((at, won))
            if source:
                grouped[("source", source)].append((at, won))
        book = cls()
        for key, items in grouped.items():
            items.sort(key=lambda item: item[0])
            book.times[key] = [at for at, _ in items]
            running, cumulative = 0, []
            for _, won in items:
                running += int(won)
                cumulative.append(running)
            book.wins[key] = cumulative
        return book

    def counts(self, key: object, moment: dt.datetime) -> tuple[int, int]:
        """(closed, won) strictly before the moment."""
        if self.fixed:
            return self.fixed.get(key, (0, 0))
        n = bisect.bisect_left(self.times.get(key, []), moment)
        return n, (self.wins[key][n - 1] if n else 0)

    def rate(self, key: object, moment: dt.datetime) -> float | None:
        n_all, w_all = self.counts(("all",), moment)
        if n_all == 0:
            return None
        prior = w_all / n_all
        n, w = self.counts(key, moment)
        return (w + PRIOR_WEIGHT * prior) / (n + PRIOR_WEIGHT)


def values_at(
    deal: Deal, moment: dt.datetime, book: RateBook, stage_probability: dict[int, int]
) -> list[Value] | None:
    """The feature row of ``FEATURES`` at the moment, or None if the deal did not exist yet."""
    rows = deal.rows_until(moment)
    if not rows:
        return None
    now = rows[-1]
    entered = now.at
    for row in reversed(rows):
        if row.stage_id != now.stage_id:
            break
        entered = row.at
    pushes = sum(1 for before, after in pairwise(rows) if after.close_date > before.close_date)
    changes = sum(1 for before, after in pairwise(rows) if after.amount != before.amount)
    first_amount = rows[0].amount
    return [
        stage_probability.get(now.stage_id, 0),
        (moment - rows[0].at).total_seconds() / DAY,
        (moment - entered).total_seconds() / DAY,
        (now.close_date - moment.date()).days,
        pushes,
        changes,
        None if now.amount is None else math.log10(1 + max(now.amount, 0.0)),
        now.amount / first_amount if now.amount is not None and first_amount else None,
        book.rate(("owner", deal.owner_id), moment) if deal.owner_id is not None else None,
        book.counts(("owner", deal.owner_id), moment)[0] if deal.owner_id is not None else 0,
        book.rate(("source", deal.source), moment) if deal.source else None,
    ]


def describe(name: str, value: Value) -> str:
    """A reason's words for a feature's value."""
    if value is None:
        return {
            "amount_log": "No amount",
            "amount_ratio": "No amount",
            "owner_win_rate": "Owner has no closed deals yet",
            "source_win_rate": "No lead source",
        }.get(name, f"No {name.replace('_', ' ')}")
    number = float(value)
    days = round(number)
    texts: dict[str, Callable[[], str]] = {  # lazy: only the one asked for
        "stage_probability": lambda: f"Stage (configured {number:.0f}%)",
        "age_days": lambda: f"Open for {days} days",
        "days_in_stage": lambda: f"{days} days in this stage",
        "days_to_close": lambda: (
            f"Close date in {days} days" if days >= 0 else f"Close date passed {-days} days ago"
        ),
        "pushes": lambda: f"Close date pushed {int(number)} time{'s' if int(number) != 1 else ''}",
        "amount_changes": lambda: (
            f"Amount changed {int(number)} time{'s' if int(number) != 1 else ''}"
        ),
        "amount_log": lambda: f"Amount {10**number - 1:,.0f}",
        "amount_ratio": lambda: f"Amount at {number:.0%} of the first one",
        "owner_win_rate": lambda: f"Owner's past win rate {number:.0%}",
        "owner_closed": lambda: f"Owner closed {int(number)} deals before",
        "source_win_rate": lambda: f"Lead source's past win rate {number:.0%}",
    }
    text = texts.get(name)
    return text() if text else name


def reasons(
    row: Sequence[Value], effects: Sequence[float], top: int = 3
) -> list[dict[str, object]]:
    """The top reasons by size of effect (probability points), largest first."""
    ranked = sorted(range(len(effects)), key=lambda j: -abs(effects[j]))
    out: list[dict[str, object]] = []
    for j in ranked[:top]:
        if abs(effects[j]) < 0.005:
            break
        name = FEATURES[j].name
        out.append(
            {"feature": name, "text": describe(name, row[j]), "effect": round(float(effects[j]), 4)}
        )
    return out
