"""A fitted predicted-forecast model, and the prediction it makes from deals as they stand.

``prediction.learn`` reads the history as of a moment into curves and rates; ``FittedModel``
keeps them as plain numbers (JSON, stored in ``ForecastModel.parameters``) in a form that
answers each deal's chance of being won in each period in a few arithmetic steps:

- per curve (one per open stage with at least ``MIN_STAGE_EVENTS`` outcomes, and one by days
  since creation), ``alive[d]``, the chance of still being open after day ``d``, and
  ``won[d]``, the cumulative chance of having been won by day ``d``. A deal open ``a`` days
  is won between days ``d1`` and ``d2`` with chance ``(won[d2] - won[d1 - 1]) / alive[a - 1]``;
- the histogram of close-date slips (how late won deals closed against the date they carried);
- the rate at which deals arrive, their chance and time to be won, and the mean won amount;
- how much more often deals are won in each month of a quarter (the quarter-end push).

The same code serves the backtest (``backtest.py``) and the stored model's answers, so the
backtest measures what users are shown. Intervals come from the model's own past errors
(``interval``), not only from the luck of each deal.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from opportune.fiscal import FiscalPeriod, start_month_setting

from .learning import CompetingRisks, Situation

VERSION = 1
MIN_STAGE_EVENTS = 20
MIN_SLIPS = 20
# The intervals' prior: a relative error of this spread, worth PRIOR_WEIGHT replayed periods.
PRIOR_RELATIVE_ERROR = 0.25
PRIOR_WEIGHT = 2
CALIBRATION_WINDOW = 12
Z80 = 1.2816  # the 90th percentile of the standard normal: a central 80% interval
SLIP_RANGE = (-366, 731)
OVERDUE = dt.timedelta(days=1)  # every close date before today reads as today - OVERDUE
ANY_STAGE = 0  # the stage of a group of deals in stages without their own curve


@dataclass(frozen=True)
class Curve:
    events: int
    alive: list[float]
    won: list[float]

    @classmethod
    def of(cls, risks: CompetingRisks) -> Curve:
        won, running, before = [], 0.0, 1.0
        for hazard, alive in zip(risks.won_hazard, risks.survival, strict=True):
            running += before * hazard
            won.append(running)
            before = alive
        return cls(risks.events, list(risks.survival), won)

    def _alive_before(self, age: int) -> float:
        return 1.0 if age <= 0 else self.alive[min(age - 1, len(self.alive) - 1)]

    def _won_by(self, day: int) -> float:
        return 0.0 if day < 0 or not self.won else self.won[min(day, len(self.won) - 1)]

    def chance(self, age: int, first: int, last: int) -> float:
        """Chance that a deal open ``age`` days is won between days ``first`` and ``last``."""
        if age >= len(self.alive):
            return 0.0
        before = self._alive_before(age)
        first = max(first, age)
        if last < first or before <= 0:
            return 0.0
        return max(0.0, (self._won_by(last) - self._won_by(first - 1)) / before)

    def as_json(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "alive": [round(v, 7) for v in self.alive],
            "won": [round(v, 7) for v in self.won],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Curve:
        return cls(int(data["events"]), list(data["alive"]), list(data["won"]))


@dataclass(frozen=True)
class Deals:
    """Open deals alike in stage, days and close date (one row of a grouped query)."""

    stage_id: int
    entered: dt.date  # first day in the current stage
    created: dt.date
    close_date: dt.date
    probability: int
    amount: float  # the group's total
    amount_squares: float
    count: int
    # The deals' stored per-deal win probability in whole percent (``win_percent``), read only
    # when the fit chose per-deal chances; None: not scored, the curve's chance stands.
    win_percent: int | None = None


def win_percent(probability: float) -> int:
    """A win probability to the whole percent, as the read's SQL computes it
    (``win_percent.WinPercent``: floor(p * 100 + 0.5), the same IEEE steps), so grouping by it
    is exact."""
    return math.floor(probability * 100 + 0.5)


@dataclass
class Forecast:
    """Expected closed-won amounts per period, by source, with the spread of the deals' luck."""

    already_won: list[float]
    pipeline: list[float]
    new_deals: list[float]
    variance: list[float]
    reachable: list[int]

    def expected(self, index: int) -> float:
        return self.already_won[index] + self.pipeline[index] + self.new_deals[index]

    def to_come(self, index: int) -> float:
        return self.pipeline[index] + self.new_deals[index]


@dataclass
class FittedModel:
    moment: dt.datetime
    curves: dict[int, Curve]
    from_creation: Curve
    slip_counts: list[int]  # cumulative count of slips <= SLIP_RANGE[0] + index
    realization: float
    arrivals_per_day: float
    won_mean: float
    won_square_mean: float
    quarter_months: tuple[float, float, float]
    errors: dict[str, list[float]] = field(default_factory=dict)
    # Chosen at fit time by backtest (``fitting.choose_deal_chances``): a deal's total chance
    # of being won is its stored per-deal win probability instead of its curve's.
    per_deal: bool = False
    # Answers shared by many groups of deals (``deal_chances``): a curve's total chance at an
    # age, and the share of the slips landing in each period from a close date. A read over a
    # million deals meets thousands of groups but far fewer ages and close dates.
    _totals: dict[tuple[int, int], float] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _shares: dict[tuple[object, ...], list[float]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @classmethod
    def of(cls, model: Any) -> FittedModel:
        """From ``prediction.Model`` (learned from situations at its moment)."""
        amounts = model.won_amounts
        counts = [0] * (SLIP_RANGE[1] - SLIP_RANGE[0] + 1)
        for slip in model.slips:
            counts[min(max(slip, SLIP_RANGE[0]), SLIP_RANGE[1]) - SLIP_RANGE[0]] += 1
        running, cumulative = 0, []
        for count in counts:
            running += count
            cumulative.append(running)
        return cls(
            moment=model.moment,
            curves={
                stage: Curve.of(risks)
                for stage, risks in model.by_stage.items()
                if risks.events >= MIN_STAGE_EVENTS
            },
            from_creation=Curve.of(model.from_creation),
            slip_counts=cumulative,
            realization=model.realization,
            arrivals_per_day=model.arrivals_per_day,
            won_mean=sum(amounts) / len(amounts) if amounts else 0.0,
            won_square_mean=sum(a * a for a in amounts) / len(amounts) if amounts else 0.0,
            quarter_months=model.quarter_months,
        )

    @property
    def outcomes(self) -> int:
        return self.from_creation.events

    # --- storage -------------------------------------------------------------------------------

    def as_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "moment": self.moment.isoformat(),
            "curves": {str(stage): curve.as_json() for stage, curve in self.curves.items()},
            "from_creation": self.from_creation.as_json(),
            "slip_counts": self.slip_counts,
            "realization": self.realization,
            "arrivals_per_day": self.arrivals_per_day,
            "won_mean": self.won_mean,
            "won_square_mean": self.won_square_mean,
            "quarter_months": list(self.quarter_months),
            "errors": self.errors,
            "per_deal": self.per_deal,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FittedModel:
        first, second, third = data["quarter_months"]
        return cls(
            moment=dt.datetime.fromisoformat(data["moment"]),
            curves={int(k): Curve.from_json(v) for k, v in data["curves"].items()},
            from_creation=Curve.from_json(data["from_creation"]),
            slip_counts=list(data["slip_counts"]),
            realization=float(data["realization"]),
            arrivals_per_day=float(data["arrivals_per_day"]),
            won_mean=float(data["won_mean"]),
            won_square_mean=float(data["won_square_mean"]),
            quarter_months=(first, second, third),
            errors={k: list(v) for k, v in data.get("errors", {}).items()},
            per_deal=bool(data.get("per_deal", False)),
        )

    # --- chances -------------------------------------------------------------------------------

    def _slips_between(self, low: int, high: int) -> int:
        """How many slips lie in [low, high] days."""
        low, high = max(low, SLIP_RANGE[0]), min(high, SLIP_RANGE[1])
        if high < low or not self.slip_counts:
            return 0
        upper = self.slip_counts[high - SLIP_RANGE[0]]
        return upper - (self.slip_counts[low - SLIP_RANGE[0] - 1] if low > SLIP_RANGE[0] else 0)

    def month_weight(self, period: FiscalPeriod) -> float:
        """The average quarter-month weight over the period's months."""
        weights, month = [], period.start.replace(day=1)
        while month <= period.end:
            weights.append(self.quarter_months[(month.month - start_month_setting()) % 3])
            month = (month + dt.timedelta(days=32)).replace(day=1)
        return sum(weights) / len(weights)

    def deal_chances(
        self,
        deals: Deals,
        today: dt.date,
        periods: Sequence[FiscalPeriod],
        weights: Sequence[float] | None = None,
    ) -> list[float]:
        """The chance that one of these open deals is won in each period (from ``today`` on).

        With ``per_deal`` (chosen by backtest) and a stored probability, the deals' total
        chance is that probability and the curve gives only the timing (and reach: a deal
        older than its curve has no chance either way)."""
        curve, start = self._curve_of(deals.stage_id), deals.entered
        if curve is None:
            curve, start = self.from_creation, deals.created
        if curve.events < MIN_STAGE_EVENTS:
            # Too little history: the deal's own probability on its close date, as Salesforce.
            day = max(deals.close_date, today)
            return [deals.probability / 100 if p.contains(day) else 0.0 for p in periods]
        age = max(0, (today - start).days)
        close = deals.close_date
        eligible = self._slips_between((today - close).days, SLIP_RANGE[1])
        chances: list[float]
        if close >= today and eligible >= MIN_SLIPS:
            total = self._totals.get((id(curve), age))
            if total is None:
                total = self._totals[(id(curve), age)] = curve.chance(age, age, len(curve.won))
            key = (close, today, *periods)
            shares = self._shares.get(key)
            if shares is None:
                shares = self._shares[key] = [
                    self._slips_between((p.start - close).days, (p.end - close).days) / eligible
                    for p in periods
                ]
            chances = [total * share for share in shares]
            rest = total - sum(chances)
        else:
            chances = [
                curve.chance(
                    age, age if p.start <= today else (p.start - start).days, (p.end - start).days
                )
                for p in periods
            ]
            rest = curve.chance(age, (periods[-1].end - start).days + 1, len(curve.won))
        if weights is None:
            weights = [self.month_weight(p) for p in periods]
        if self.per_deal and deals.win_percent is not None:
            total = sum(chances) + rest
            scale = deals.win_percent / 100 / total if total > 0 else 0.0
            chances, rest = [c * scale for c in chances], rest * scale
        return _reweighted(chances, rest, weights)

    def new_deal_wins(self, today: dt.date, periods: Sequence[FiscalPeriod]) -> list[float]:
        """Expected number of deals created from ``today`` on and won in each period."""
        curve = self.from_creation
        if not self.arrivals_per_day or curve.events < MIN_STAGE_EVENTS:
            return [0.0] * len(periods)
        found = []
        for period in periods:
            expected, day = 0.0, today
            while day <= period.end:
                first = max((period.start - day).days, 0)
                expected += curve.chance(0, first, (period.end - day).days)
                day += dt.timedelta(days=1)
            found.append(expected * self.arrivals_per_day)
        # The quarter-end push moves new wins between months; on average it moves none.
        mean = sum(self.quarter_months) / 3
        return [w * self.month_weight(p) / mean for w, p in zip(found, periods, strict=True)]

    # --- grouping: what a group's chances depend on --------------------------------------------

    def chance_key(self, deals: Deals, today: dt.date) -> tuple[object, ...]:
        """The part of ``deals`` that ``deal_chances`` reads: deals with the same key have the
        same chances. A stage with a curve reads its stage, first day in it and close date; any
        other stage the creation day and close date (from the creation curve) or, without
        one, the probability and close date; a close date before ``today`` (``OVERDUE``) reads
        only as overdue; with per-deal chances, the stored probability in whole percent joins
        the curves' keys. ``predicted`` groups the open deals in SQL by these keys."""
        close = max(deals.close_date, today - OVERDUE)
        win = deals.win_percent if self.per_deal else None
        if self._curve_of(deals.stage_id) is not None:
            return ("stage", deals.stage_id, deals.entered, close, win)
        if self.from_creation.events >= MIN_STAGE_EVENTS:
            return ("created", deals.created, close, win)
        return ("own", deals.probability, max(deals.close_date, today))

    def _curve_of(self, stage_id: int) -> Curve | None:
        curve = self.curves.get(stage_id)
        return curve if curve is not None and curve.events >= MIN_STAGE_EVENTS else None

    def curve_stages(self, today: dt.date) -> dict[int, dt.date]:
        """Per stage with its own curve, the first day a deal may have entered it and still
        have a chance: deals open longer than the curve reaches have none."""
        return {
            stage: today - dt.timedelta(days=len(curve.alive) - 1)
            for stage, curve in self.curves.items()
            if self._curve_of(stage) is not None
        }

    def created_since(self, today: dt.date) -> dt.date | None:
        """The first creation day with a chance on the creation curve (None: no such curve)."""
        if self.from_creation.events < MIN_STAGE_EVENTS:
            return None
        return today - dt.timedelta(days=len(self.from_creation.alive) - 1)

    # --- the forecast --------------------------------------------------------------------------

    def forecast(
        self,
        open_deals: Iterable[Deals],
        already_won: Sequence[float],
        today: dt.date,
        periods: Sequence[FiscalPeriod],
        arrival_share: float = 1.0,
        include_new_deals: bool = True,
    ) -> Forecast:
        """What the deals open today and those still to come are expected to bring in."""
        count = len(periods)
        realization = self.realization * math.exp(self.pipeline_shift(periods[0].kind))
        result = Forecast(
            list(already_won), [0.0] * count, [0.0] * count, [0.0] * count, [0] * count
        )
        groups = list(open_deals)
        if groups:
            from .chance_arrays import chance_table

            weights = [self.month_weight(p) for p in periods]
            chances = chance_table(self, groups, today, periods, weights)
            amounts = np.array([g.amount for g in groups]) * realization
            squares = np.array([g.amount_squares for g in groups]) * realization**2
            counts = np.array([g.count for g in groups], dtype=np.int64)
            for index in range(count):
                chance = chances[:, index]
                reached = chance > 0
                result.pipeline[index] += float(np.sum(amounts * chance, where=reached))
                spread = squares * chance * (1 - chance)
                result.variance[index] += float(np.sum(spread, where=reached))
                result.reachable[index] += int(np.sum(counts, where=reached))
        if include_new_deals:
            wins = self.new_deal_wins(today, periods)
            for index, expected in enumerate(wins):
                result.new_deals[index] = expected * arrival_share * self.won_mean
                result.variance[index] += expected * arrival_share * self.won_square_mean
        return result

    def pipeline_shift(self, kind: str) -> float:
        """The log factor correcting what the open deals are expected to bring, from the past
        errors of that part alone (log of actual over expected, before this correction),
        shrunk toward none by ``PRIOR_WEIGHT`` pseudo-periods: the open pipeline's deals may
        win less (or more) often than the deals that closed before them did, as when deals
        that will never close pile up in it."""
        errors = self.errors.get(f"pipeline:{kind}", [])[-CALIBRATION_WINDOW:]
        return sum(errors) / (len(errors) + PRIOR_WEIGHT)

    def calibrated(self, forecast: Forecast, index: int, kind: str) -> tuple[float, float, float]:
        """The expected amount of a period and its 80% interval, from the model's own past
        errors on periods of the same kind (log of actual over expected of what was still to
        be won, the last ``CALIBRATION_WINDOW`` of them).

        The errors are taken as normal in log space, their mean and spread shrunk toward a
        prior (no bias, a ``PRIOR_RELATIVE_ERROR`` spread) by ``PRIOR_WEIGHT`` pseudo-periods,
        so a handful of replayed periods neither claims a narrow interval nor leaves the
        interval undefined; what is already won is certain. Without any error, a normal
        interval over the deals' own luck and the prior spread."""
        won, to_come = forecast.already_won[index], forecast.to_come(index)
        errors = self.errors.get(kind, [])[-CALIBRATION_WINDOW:]
        if not errors:
            spread = Z80 * math.sqrt(
                forecast.variance[index] + (PRIOR_RELATIVE_ERROR * to_come) ** 2
            )
            return won + to_come, won + max(0.0, to_come - spread), won + to_come + spread
        count = len(errors)
        mean = sum(errors) / count
        squares = sum((e - mean) ** 2 for e in errors) + PRIOR_WEIGHT * PRIOR_RELATIVE_ERROR**2
        sd = math.sqrt(squares / (count - 1 + PRIOR_WEIGHT))
        shift = sum(errors) / (count + PRIOR_WEIGHT)
        half = Z80 * sd * math.sqrt(1 + 1 / (count + PRIOR_WEIGHT))
        return (
            won + to_come * math.exp(shift),
            won + to_come * math.exp(shift - half),
            won + to_come * math.exp(shift + half),
        )


def _reweighted(chances: list[float], rest: float, weights: Sequence[float]) -> list[float]:
    """Moved toward the months of a quarter where deals close more often (``weights`` per
    period), keeping the deal's total chance."""
    total = sum(chances) + rest
    weighted = [c * w for c, w in zip(chances, weights, strict=True)]
    scale = sum(weighted) + rest
    return [w * total / scale for w in weighted] if scale > 0 else chances


def quantile(ordered: Sequence[float], fraction: float) -> float:
    """Linear interpolation between the closest ranks of a sorted list."""
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def deals_from(
    found: Iterable[Situation], win_percents: dict[int, int] | None = None
) -> list[Deals]:
    """The open deals among situations (as the backtest replays them), one group each, with
    their per-deal win probability as of then if given."""
    from django.utils import timezone

    zone = timezone.get_current_timezone()
    groups = []
    for deal in found:
        if deal.won or not deal.in_pipeline():
            continue
        stage = deal.state.stage_id
        entered = deal.entries.get(stage, deal.stage_entered_at)
        amount = deal.state.amount
        groups.append(
            Deals(
                stage,
                entered.astimezone(zone).date(),
                deal.created_at.astimezone(zone).date(),
                deal.state.close_date,
                deal.state.probability,
                amount,
                amount * amount,
                1,
                (win_percents or {}).get(deal.timeline.opportunity_id),
            )
        )
    return groups


def period_index(periods: Sequence[FiscalPeriod], day: dt.date) -> int | None:
    starts = [p.start for p in periods]
    if day < starts[0] or day > periods[-1].end:
        return None
    return bisect.bisect_right(starts, day) - 1
