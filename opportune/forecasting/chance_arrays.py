"""The chances of many groups of open deals at once, as arrays (``FittedModel.forecast``).

``FittedModel.deal_chances`` says what one group's chance in each period is, in a few lookups
of a curve's cumulative arrays; a manager's read at a million deals meets about 5,000 groups,
and calling it per group cost 100-300 ms of Python. Here the same arithmetic runs over all the
groups of a curve in numpy: the ages, the days each period starts and ends after the day the
deals entered (or were created), and the slips from each close date become arrays, and the
lookups become indexing. ``deal_chances`` stays the definition (the tests compare the two to
1e-12); groups of the "own probability" branch (a creation curve with too little history)
are rare and go through it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from opportune.fiscal import FiscalPeriod

if TYPE_CHECKING:
    from .fitted import Curve, Deals, FittedModel

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]


def chance_table(
    model: FittedModel,
    groups: Sequence[Deals],
    today: dt.date,
    periods: Sequence[FiscalPeriod],
    weights: Sequence[float],
) -> Floats:
    """Per group (rows) and period (columns), the chance that one of its deals is won in the
    period: ``model.deal_chances`` of every group."""
    from .fitted import MIN_STAGE_EVENTS

    table = np.zeros((len(groups), len(periods)))
    by_curve: dict[int, tuple[Curve, list[int]]] = {}
    for row, deals in enumerate(groups):
        curve = model._curve_of(deals.stage_id)
        if curve is None:
            curve = model.from_creation
        if curve.events < MIN_STAGE_EVENTS:
            table[row] = model.deal_chances(deals, today, periods, weights)
        else:
            by_curve.setdefault(id(curve), (curve, []))[1].append(row)
    for curve, rows in by_curve.values():
        chosen = [groups[row] for row in rows]
        table[rows] = _curve_chances(model, curve, chosen, today, periods, weights)
    return table


def _curve_chances(
    model: FittedModel,
    curve: Curve,
    groups: Sequence[Deals],
    today: dt.date,
    periods: Sequence[FiscalPeriod],
    weights: Sequence[float],
) -> Floats:
    """``deal_chances`` of groups that all read ``curve`` (by stage or by creation)."""
    from .fitted import MIN_SLIPS, SLIP_RANGE

    by_stage = curve is not model.from_creation
    origin = today.toordinal()
    start = np.array(
        [(g.entered if by_stage else g.created).toordinal() for g in groups], dtype=np.int64
    )
    close = np.array([g.close_date.toordinal() for g in groups], dtype=np.int64)
    age = np.maximum(0, origin - start)
    late = origin - close  # days overdue (negative: days to the close date)
    eligible = _slips(model, late, np.full_like(late, SLIP_RANGE[1]))
    slipping = (close >= origin) & (eligible >= MIN_SLIPS)
    count = len(periods)
    chances = np.zeros((len(groups), count))
    # Close date ahead and enough slips: the curve's total chance, timed by the slips.
    total = _chance(curve, age, age, np.full_like(age, len(curve.won)))
    denominator = np.where(slipping, eligible, 1)
    for index, period in enumerate(periods):
        low = period.start.toordinal() - close
        high = period.end.toordinal() - close
        shares = _slips(model, low, high) / denominator
        chances[:, index] = np.where(slipping, total * shares, 0.0)
    rest = np.where(slipping, total - _row_sums(chances), 0.0)
    # Otherwise (overdue, or too few slips): the curve's chance within each period.
    timed = ~slipping
    for index, period in enumerate(periods):
        first = age if period.start <= today else period.start.toordinal() - start
        last = period.end.toordinal() - start
        chances[:, index] = np.where(timed, _chance(curve, age, first, last), chances[:, index])
    after = periods[-1].end.toordinal() - start + 1
    rest = np.where(timed, _chance(curve, age, after, np.full_like(age, len(curve.won))), rest)
    if model.per_deal:
        percent = np.array(
            [np.nan if g.win_percent is None else g.win_percent for g in groups], dtype=np.float64
        )
        scored = ~np.isnan(percent)
        whole = _row_sums(chances) + rest
        scale = np.divide(
            percent / 100, whole, out=np.zeros_like(whole), where=scored & (whole > 0)
        )
        scale = np.where(scored, scale, 1.0)
        chances, rest = chances * scale[:, None], rest * scale
    return _reweighted(chances, rest, np.array(weights, dtype=np.float64))


def _row_sums(chances: Floats) -> Floats:
    """Each row's sum, left to right as Python's ``sum`` adds."""
    found = np.zeros(chances.shape[0])
    for index in range(chances.shape[1]):
        found = found + chances[:, index]
    return found


def _chance(curve: Curve, age: Ints, first: Ints, last: Ints) -> Floats:
    """``Curve.chance`` of every row: won between days ``first`` and ``last`` when open ``age``."""
    alive = np.asarray(curve.alive, dtype=np.float64)
    won = np.asarray(curve.won, dtype=np.float64)
    if not len(alive):
        return np.zeros(age.shape)
    before = np.where(age <= 0, 1.0, alive[np.clip(age - 1, 0, len(alive) - 1)])
    first = np.maximum(first, age)

    def won_by(day: Ints) -> Floats:
        if not len(won):
            return np.zeros(day.shape)
        return np.where(day < 0, 0.0, won[np.clip(day, 0, len(won) - 1)])

    valid = (age < len(alive)) & (last >= first) & (before > 0)
    gained = won_by(last) - won_by(first - 1)
    found = np.divide(gained, before, out=np.zeros(age.shape), where=valid)
    return np.maximum(0.0, found)


def _slips(model: FittedModel, low: Ints, high: Ints) -> Ints:
    """``FittedModel._slips_between`` of every row: how many slips lie in [low, high] days."""
    from .fitted import SLIP_RANGE

    counts = np.asarray(model.slip_counts, dtype=np.int64)
    if not len(counts):
        return np.zeros(low.shape, dtype=np.int64)
    low, high = np.maximum(low, SLIP_RANGE[0]), np.minimum(high, SLIP_RANGE[1])
    upper = counts[np.clip(high - SLIP_RANGE[0], 0, len(counts) - 1)]
    below = np.where(
        low > SLIP_RANGE[0], counts[np.clip(low - SLIP_RANGE[0] - 1, 0, len(counts) - 1)], 0
    )
    return np.where(high < low, 0, upper - below)


def _reweighted(chances: Floats, rest: Floats, weights: Floats) -> Floats:
    """``fitted._reweighted`` of every row: moved toward the heavier months of a quarter,
    keeping each row's total chance."""
    total = _row_sums(chances) + rest
    weighted = chances * weights
    scale = _row_sums(weighted) + rest
    positive = (scale > 0)[:, None]
    moved = np.divide(
        weighted * total[:, None], scale[:, None], out=np.zeros_like(weighted), where=positive
    )
    return np.where(positive, moved, chances)
