"""The predicted forecast: expected closed-won amount per future period, with an 80% interval.

Learned from the history as of a moment T (nothing after T is looked at, so the backtest can
replay any past moment):

- Win chance and timing by stage: for each open stage, the competing-risks curves of winning
  and losing by days since entering it. A deal open in stage s for a days is given the
  chances that deals which had also lasted a days went on to win on each later day: stale
  deals fade, young ones keep their chance (``learning.CompetingRisks``). Stages with fewer
  than ``MIN_STAGE_EVENTS`` outcomes use the curve by days since creation instead.
- Close-date slippage: when a deal's close date is still ahead, its win day is its close date
  plus a slip drawn from how late won deals closed against the dates they carried while open
  (kept to slips that leave the deal open at T). Past-due deals follow the stage curve.
- Too little history (fewer than ``MIN_STAGE_EVENTS`` outcomes at all): the deal's own
  probability on its close date, as Salesforce's forecast does.
- Realization: won amounts against the last open amount (discounts, upsells).
- New deals: deals not yet created at T also close in the horizon. Their arrival rate over
  the last quarter, the curve of winning by days since creation and the recent won amounts
  give a compound Poisson term.

A Monte Carlo over the open deals (each won in at most one period, independently) and the
new deals gives the distribution of each period's total; the interval is its 10th to 90th
percentile. Deals won before T with a close date in a period count as already won.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
import statistics
from collections import defaultdict
from dataclasses import dataclass

from django.utils import timezone

from opportune.errors import field_error
from opportune.fiscal import FiscalPeriod, start_month_setting
from opportune.identity.models import User

from .asof import end_of_day
from .learning import (
    CompetingRisks,
    Situation,
    StageInfo,
    Timeline,
    days_between,
    load_timelines,
    situations,
    stage_table,
)

MIN_STAGE_EVENTS = 20
MIN_SLIPS = 20
ARRIVAL_WINDOW_DAYS = 91
MIN_ARRIVAL_WINDOW_DAYS = 28
RECENT_WON_DAYS = 182
SIMULATIONS = 2000
# The most months one prediction covers (8 quarters): the API and the page refuse more.
MAX_HORIZON_MONTHS = 24
CALIBRATION_PERIODS = 4
MIN_CALIBRATION_ERRORS = 3
MIN_CLOSED_TO_LEARN = 30
SEASON_PRIOR_WINS = 30


@dataclass
class Model:
    moment: dt.datetime
    by_stage: dict[int, CompetingRisks]
    from_creation: CompetingRisks
    slips: list[int]
    realization: float
    arrivals_per_day: float
    won_amounts: list[float]
    # Relative rate of closing in the first, second and third month of a fiscal quarter.
    quarter_months: tuple[float, float, float] = (1.0, 1.0, 1.0)

    def timing_weight(self, day: dt.date) -> float:
        return self.quarter_months[(day.month - start_month_setting()) % 3]

    @property
    def outcomes(self) -> int:
        return self.from_creation.events


def learn(found: list[Situation], moment: dt.datetime) -> Model:
    """Everything the prediction needs, from the deals' situations at ``moment``."""
    by_stage: dict[int, list[tuple[int, str | None]]] = defaultdict(list)
    from_creation: list[tuple[int, str | None]] = []
    slips: list[int] = []
    won_amount = open_amount = 0.0
    recent_won: list[float] = []
    first_created = min((s.created_at for s in found), default=moment)
    window_start = max(moment - dt.timedelta(days=ARRIVAL_WINDOW_DAYS), first_created)
    arrivals = 0
    for deal in found:
        if deal.created_at >= window_start:
            arrivals += 1
        if not (deal.is_closed or deal.in_pipeline()):
            continue  # open but omitted from the forecast: no evidence either way
        end = deal.closed_at or moment
        outcome = ("won" if deal.won else "lost") if deal.is_closed else None
        from_creation.append((days_between(deal.created_at, end), outcome))
        for stage_id, entered in deal.entries.items():
            by_stage[stage_id].append((days_between(entered, end), outcome))
        if deal.won and deal.last_open is not None and deal.closed_at is not None:
            won_amount += deal.state.amount
            open_amount += deal.last_open.amount
            if deal.closed_at >= moment - dt.timedelta(days=RECENT_WON_DAYS):
                recent_won.append(deal.state.amount)
            for row in deal.timeline.rows:
                if row.at >= deal.closed_at:
                    break
                if row.close_date >= timezone.localtime(row.at).date():
                    slips.append((deal.state.close_date - row.close_date).days)
    window_days = (moment - window_start).total_seconds() / 86400
    wins = [timezone.localtime(d.closed_at).date() for d in found if d.won and d.closed_at]
    return Model(
        moment=moment,
        by_stage={stage: CompetingRisks(samples) for stage, samples in by_stage.items()},
        from_creation=CompetingRisks(from_creation),
        slips=sorted(slips),
        realization=won_amount / open_amount if open_amount else 1.0,
        arrivals_per_day=arrivals / window_days if window_days >= MIN_ARRIVAL_WINDOW_DAYS else 0.0,
        won_amounts=recent_won,
        quarter_months=quarter_month_weights(wins, timezone.localtime(moment).date()),
    )


def quarter_month_weights(closes: list[dt.date], today: dt.date) -> tuple[float, float, float]:
    """How much more often deals are won in each month of a quarter than on average (the
    quarter-end push), from the wins before ``today``; even until every month of a quarter
    has been seen for ``MIN_ARRIVAL_WINDOW_DAYS`` days."""
    if not closes:
        return (1.0, 1.0, 1.0)
    start = start_month_setting()
    counts, days = [0, 0, 0], [0, 0, 0]
    for day in closes:
        counts[(day.month - start) % 3] += 1
    day = min(closes)
    while day < today:
        days[(day.month - start) % 3] += 1
        day += dt.timedelta(days=1)
    if min(days) < MIN_ARRIVAL_WINDOW_DAYS:
        return (1.0, 1.0, 1.0)
    # Shrunk toward "no pattern" by SEASON_PRIOR_WINS wins spread evenly over the days seen.
    per_day = (sum(counts) + SEASON_PRIOR_WINS) / sum(days)
    prior = [SEASON_PRIOR_WINS * d / sum(days) for d in days]
    first, second, third = (
        (c + p) / d / per_day for c, p, d in zip(counts, prior, days, strict=True)
    )
    return (first, second, third)


def _reweighted(model: Model, days: list[tuple[dt.date, float]]) -> list[tuple[dt.date, float]]:
    """Move each chance toward the months of the quarter where deals close more often,
    keeping the deal's total chance."""
    total = sum(chance for _, chance in days)
    weighted = [(day, chance * model.timing_weight(day)) for day, chance in days]
    weighted_total = sum(c for _, c in weighted)
    if not (total and weighted_total):
        return days
    return [(day, chance * total / weighted_total) for day, chance in weighted]


@dataclass
class PeriodPrediction:
    period: FiscalPeriod
    already_won: float
    pipeline: float  # expected from the deals open at T
    new_deals: float  # expected from deals created after T
    expected: float  # the mean of the simulations (after calibration by past errors)
    low: float  # 10th percentile
    median: float
    high: float  # 90th percentile
    open_deals: int  # open deals with a chance to be won in the period


class _Periods:
    def __init__(self, periods: list[FiscalPeriod]) -> None:
        self.periods = periods
        self.starts = [p.start for p in periods]
        self.last_day = periods[-1].end

    def index(self, day: dt.date) -> int | None:
        if day < self.starts[0] or day > self.last_day:
            return None
        return bisect.bisect_right(self.starts, day) - 1


def win_chances(
    deal: Situation,
    model: Model,
    periods: _Periods,
    cache: dict[tuple[object, ...], list[float]],
) -> list[float]:
    """The chance that an open deal is won in each period."""
    today = timezone.localtime(model.moment).date()
    stage = deal.state.stage_id
    curve = model.by_stage.get(stage)
    start = deal.entries.get(stage, deal.stage_entered_at)
    if curve is None or curve.events < MIN_STAGE_EVENTS:
        curve, start, stage = model.from_creation, deal.created_at, -1
    close = deal.state.close_date
    if curve.events < MIN_STAGE_EVENTS:
        # Too little history: the deal's probability on its close date, as Salesforce does.
        chances = [0.0] * len(periods.periods)
        index = periods.index(max(close, today))
        if index is not None:
            chances[index] = deal.state.probability / 100
        return chances
    age = days_between(start, model.moment)
    eligible = model.slips[bisect.bisect_left(model.slips, (today - close).days) :]
    use_slips = close >= today and len(eligible) >= MIN_SLIPS
    key = (stage, age, close if use_slips else timezone.localtime(start).date())
    if key in cache:
        return cache[key]
    chances = [0.0] * len(periods.periods)
    if use_slips:
        total = curve.win_chance(age)
        days = [(close + dt.timedelta(days=slip), total / len(eligible)) for slip in eligible]
    else:
        first_day = timezone.localtime(start).date()
        days = [
            (max(first_day + dt.timedelta(days=day), today), chance)
            for day, chance in curve.win_days(age)
        ]
    for day, chance in _reweighted(model, days):
        index = periods.index(day)
        if index is not None:
            chances[index] += chance
    cache[key] = chances
    return chances


def new_deal_wins(model: Model, periods: _Periods) -> list[float]:
    """The expected number of wins in each period from deals created after T."""
    expected = [0.0] * len(periods.periods)
    if not model.arrivals_per_day:
        return expected
    curve = model.from_creation.win_days(0)
    day = timezone.localtime(model.moment).date()
    while day <= periods.last_day:
        wins = [(day + dt.timedelta(days=offset), chance) for offset, chance in curve]
        for won_on, chance in _reweighted(model, wins):
            index = periods.index(won_on)
            if index is not None:
                expected[index] += model.arrivals_per_day * chance
        day += dt.timedelta(days=1)
    return expected


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _sum_of(rng: random.Random, amounts: list[float], count: int, mean: float, sd: float) -> float:
    if count <= 30:
        return sum(rng.choice(amounts) for _ in range(count))
    return count * mean + math.sqrt(count) * sd * rng.gauss(0, 1)


def _percentile(ordered: list[float], fraction: float) -> float:
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class Expectation:
    """What the open deals and the deals to come are expected to bring in each period."""

    already: list[float]
    pipeline: list[float]
    new_wins: list[float]  # expected number of won new deals
    new_amount: float  # mean amount of a won deal
    deals: list[tuple[float, list[float]]]  # amount, cumulative chance per period
    reachable: list[int]

    def total(self, index: int) -> float:
        return self.already[index] + self.pipeline[index] + self.new_wins[index] * self.new_amount


def expectation(
    found: list[Situation], model: Model, periods: list[FiscalPeriod], include_new_deals: bool
) -> Expectation:
    ranges = _Periods(periods)
    cache: dict[tuple[object, ...], list[float]] = {}
    result = Expectation(
        already=[0.0] * len(periods),
        pipeline=[0.0] * len(periods),
        new_wins=[0.0] * len(periods),
        new_amount=0.0,
        deals=[],
        reachable=[0] * len(periods),
    )
    for deal in found:
        if deal.won:
            index = ranges.index(deal.state.close_date)
            if index is not None:
                result.already[index] += deal.state.amount
            continue
        if not deal.in_pipeline():
            continue
        chances = win_chances(deal, model, ranges, cache)
        if sum(chances) <= 1e-9:
            continue
        amount = deal.state.amount * model.realization
        cumulative, running = [], 0.0
        for index, chance in enumerate(chances):
            result.pipeline[index] += amount * chance
            result.reachable[index] += chance > 0
            running += chance
            cumulative.append(running)
        result.deals.append((amount, cumulative))
    if include_new_deals and model.won_amounts:
        result.new_wins = new_deal_wins(model, ranges)
        result.new_amount = statistics.fmean(model.won_amounts)
    return result


def past_errors(
    timelines: list[Timeline],
    stages: dict[int, StageInfo],
    moment: dt.datetime,
    first: FiscalPeriod,
    count: int = CALIBRATION_PERIODS,
) -> list[float]:
    """log(actual / expected) of the same forecast made at the start of each of the last
    ``count`` periods that were over by ``moment``, judged by what was known at ``moment``."""
    today = timezone.localtime(moment).date()
    won_by_then = [
        (deal.state.close_date, deal.state.amount)
        for deal in situations(timelines, moment, stages)
        if deal.won
    ]
    errors: list[float] = []
    period = first.previous()
    while period.end >= today:
        period = period.previous()
    for _ in range(count):
        start = end_of_day(period.start - dt.timedelta(days=1))
        found = situations(timelines, start, stages)
        if sum(deal.is_closed for deal in found) < MIN_CLOSED_TO_LEARN:
            break
        expected = expectation(found, learn(found, start), [period], True).total(0)
        actual = sum(amount for day, amount in won_by_then if period.contains(day))
        if expected > 0 and actual > 0:
            errors.append(math.log(actual / expected))
        period = period.previous()
    return errors


def predict_from(
    found: list[Situation],
    model: Model,
    periods: list[FiscalPeriod],
    simulations: int = SIMULATIONS,
    seed: int = 0,
    include_new_deals: bool = True,
    errors: list[float] | None = None,
) -> list[PeriodPrediction]:
    """The predicted forecast of ``periods`` from the deals' situations at the model's moment.

    With ``errors`` (past log errors, at least ``MIN_CALIBRATION_ERRORS`` of them), each
    simulation scales what is not yet won by one of them drawn at random, so the interval
    reflects how wrong the forecast has been, not only the luck of each deal."""
    expected = expectation(found, model, periods, include_new_deals)
    amounts = model.won_amounts or [0.0]
    mean_amount = statistics.fmean(amounts)
    sd_amount = statistics.pstdev(amounts) if len(amounts) > 1 else 0.0
    errors = errors if errors and len(errors) >= MIN_CALIBRATION_ERRORS else [0.0]

    rng = random.Random(seed)
    totals: list[list[float]] = [[] for _ in periods]
    for _ in range(simulations):
        sums = [0.0] * len(periods)
        for amount, cumulative in expected.deals:
            draw = rng.random()
            if draw < cumulative[-1]:
                sums[bisect.bisect_right(cumulative, draw)] += amount
        for index, mean_count in enumerate(expected.new_wins):
            count = _poisson(rng, mean_count)
            sums[index] += _sum_of(rng, amounts, count, mean_amount, sd_amount)
        factor = math.exp(rng.choice(errors))
        for index, total in enumerate(sums):
            totals[index].append(expected.already[index] + total * factor)
    found_periods = []
    for index, period in enumerate(periods):
        ordered = sorted(totals[index])
        found_periods.append(
            PeriodPrediction(
                period=period,
                already_won=expected.already[index],
                pipeline=expected.pipeline[index],
                new_deals=expected.new_wins[index] * mean_amount,
                expected=statistics.fmean(ordered) if ordered else expected.total(index),
                low=_percentile(ordered, 0.1) if ordered else expected.total(index),
                median=_percentile(ordered, 0.5) if ordered else expected.total(index),
                high=_percentile(ordered, 0.9) if ordered else expected.total(index),
                open_deals=expected.reachable[index],
            )
        )
    return found_periods


def predicted_forecast(
    viewer: User,
    periods: list[FiscalPeriod],
    as_of: dt.date | None = None,
    simulations: int = SIMULATIONS,
) -> tuple[Model, list[PeriodPrediction]]:
    """The predicted forecast as ``viewer`` may see it, from history up to the end of
    ``as_of`` (now if None)."""
    moment = end_of_day(as_of) if as_of else timezone.now()
    stages: dict[int, StageInfo] = stage_table()
    timelines = load_timelines(viewer, before=moment)
    found = situations(timelines, moment, stages)
    model = learn(found, moment)
    errors = past_errors(timelines, stages, moment, periods[0])
    return model, predict_from(found, model, periods, simulations, errors=errors)


def require_horizon(periods: list[FiscalPeriod]) -> None:
    """Simulating costs simulations x open deals x periods: a range beyond
    ``MAX_HORIZON_MONTHS`` is refused (422 on ``to``)."""
    first, last = periods[0].start, periods[-1].end
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    if months > MAX_HORIZON_MONTHS:
        raise field_error(
            "to",
            f"Predict at most {MAX_HORIZON_MONTHS} months ({MAX_HORIZON_MONTHS // 3} quarters) "
            f"at once; this range covers {months}.",
        )
