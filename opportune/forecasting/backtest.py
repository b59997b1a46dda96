"""Replaying history: for each past period, forecast from the pipeline as it stood at the
period's start and compare with what closed.

Three forecasts of each period P, all from the situation at T = the first instant of P:

- ``opportune``: the predicted forecast, learned from history before T (``prediction.learn``)
  and answered by the same code as the stored model (``fitted.FittedModel``). Its 80%
  interval comes from its own errors on the periods replayed before P (split conformal, on
  the log of actual over expected, ``FittedModel.calibrated``), so the replay shows how
  calibrated the intervals users see have been.
- ``static``: Salesforce's default, each open deal's probability (its stage's default unless
  overridden) times its amount, for the deals whose close date falls in P or has passed.
- ``naive_bayes``: Odoo's predictive lead scoring, a naive Bayes over frequencies of won and
  lost deals before T: the stage (a won deal counts in every stage, a lost one in the stages
  up to the one it was lost from), the owner's team and the lead source, with Odoo's 0.1
  smoothing; applied to the same deals as ``static``.

Two targets: ``total`` is every amount won with a close date in P; ``pipeline`` only what was
won in P from the deals open at T, the part that all three forecast from the same deals
(``opportune`` without its new-deal term). The baselines' intervals are the normal
approximation of their sum of independent wins. Scores: mean absolute error (amount and
percentage), bias, coverage of the 80% interval and the pinball loss of its two ends.

History is read once (one query); each period's situations, model and forecast are computed
from it, in one pass, in period order.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from opportune.fiscal import FiscalPeriod, PeriodKind, period_containing, periods_between
from opportune.identity.models import User

from .asof import end_of_day
from .fitted import Z80, FittedModel, deals_from
from .learning import Situation, StageInfo, Timeline, load_timelines, situations, stage_table
from .prediction import MIN_CLOSED_TO_LEARN, learn

METHODS = ("opportune", "static", "naive_bayes")
TARGETS = ("total", "pipeline")
SMOOTHING = 0.1
# Per-deal win probabilities as of a moment, in whole percent (``scoring.replay``).
WinChances = Callable[[dt.datetime], dict[int, int]]


@dataclass
class Estimate:
    expected: float
    low: float
    high: float

    def covers(self, actual: float) -> bool:
        return self.low <= actual <= self.high


@dataclass
class PeriodResult:
    period: FiscalPeriod
    actual_total: float
    actual_pipeline: float
    total: dict[str, Estimate] = field(default_factory=dict)
    pipeline: dict[str, Estimate] = field(default_factory=dict)
    # log(actual / expected) of what was still to be won at the start: the calibration error
    error: float | None = None
    # the same of what was won from the open pipeline, before its correction
    pipeline_error: float | None = None

    def actual(self, target: str) -> float:
        return self.actual_total if target == "total" else self.actual_pipeline

    def estimates(self, target: str) -> dict[str, Estimate]:
        return self.total if target == "total" else self.pipeline


@dataclass
class Score:
    """Errors of a method over the replayed periods."""

    mae: float  # mean absolute error, in money
    mape: float  # mean absolute error relative to the actual amount
    bias: float  # mean signed relative error
    coverage: float  # share of periods whose actual lies in the 80% interval
    pinball: float  # mean pinball loss of the 10% and 90% ends, in money


def pinball(actual: float, low: float, high: float) -> float:
    """The mean quantile loss of ``low`` as the 10th and ``high`` as the 90th percentile."""

    def loss(quantile: float, predicted: float) -> float:
        gap = actual - predicted
        return max(quantile * gap, (quantile - 1) * gap)

    return (loss(0.1, low) + loss(0.9, high)) / 2


def score(results: list[PeriodResult], target: str, method: str) -> Score:
    absolute, relative, signed, losses, covered = [], [], [], [], 0
    for result in results:
        actual, estimate = result.actual(target), result.estimates(target)[method]
        absolute.append(abs(estimate.expected - actual))
        losses.append(pinball(actual, estimate.low, estimate.high))
        if actual:
            relative.append(abs(estimate.expected - actual) / actual)
            signed.append((estimate.expected - actual) / actual)
        covered += estimate.covers(actual)
    count = len(results) or 1

    def mean(values: list[float]) -> float:
        return sum(values) / len(values) if values else math.nan

    return Score(mean(absolute), mean(relative), mean(signed), covered / count, mean(losses))


# --- the baselines ------------------------------------------------------------------------------


def _due(deal: Situation, period: FiscalPeriod) -> bool:
    """Counted by a close-date forecast of ``period``: closing in it, or already past due."""
    return deal.in_pipeline() and deal.state.close_date <= period.end


def _bernoulli(deals: list[tuple[float, float]]) -> Estimate:
    """Sum of amounts each won independently with its probability: the mean, and the normal
    approximation of its 10th and 90th percentiles."""
    expected = sum(a * p for a, p in deals)
    spread = Z80 * math.sqrt(sum(a * a * p * (1 - p) for a, p in deals))
    return Estimate(expected, max(0.0, expected - spread), expected + spread)


class NaiveBayes:
    """Odoo-style frequencies of won and lost deals per feature value."""

    def __init__(self, found: list[Situation], stages: dict[int, StageInfo]) -> None:
        self.stages = stages
        self.counts: dict[tuple[str, object], list[float]] = defaultdict(lambda: [0.0, 0.0])
        self.won = self.lost = 0
        open_stages = sorted(
            ((info.order, pk) for pk, info in stages.items() if not info.is_closed)
        )
        for deal in found:
            if not deal.is_closed or deal.last_open is None:
                continue
            column = 0 if deal.won else 1
            self.won += deal.won
            self.lost += not deal.won
            reached = stages[deal.last_open.stage_id].order
            for order, pk in open_stages:
                if deal.won or order <= reached:
                    self.counts[("stage", pk)][column] += 1
            for feature in self._features(deal):
                self.counts[feature][column] += 1

    @staticmethod
    def _features(deal: Situation) -> list[tuple[str, object]]:
        return [("team", deal.timeline.team_id), ("source", deal.timeline.lead_source)]

    def chance(self, deal: Situation) -> float:
        if not (self.won and self.lost):
            return self.won / (self.won + self.lost) if self.won + self.lost else 0.0
        won = math.log(self.won / (self.won + self.lost))
        lost = math.log(self.lost / (self.won + self.lost))
        for feature in [("stage", deal.state.stage_id), *self._features(deal)]:
            counts = self.counts.get(feature, [0.0, 0.0])
            won += math.log((counts[0] + SMOOTHING) / (self.won + SMOOTHING))
            lost += math.log((counts[1] + SMOOTHING) / (self.lost + SMOOTHING))
        return 1.0 / (1.0 + math.exp(lost - won))


# --- the replay ---------------------------------------------------------------------------------


def backtest_periods(
    timelines: list[Timeline],
    stages: dict[int, StageInfo],
    kind: PeriodKind,
    today: dt.date | None = None,
) -> list[FiscalPeriod]:
    """Every complete past period with at least ``MIN_CLOSED_TO_LEARN`` closed deals before it."""
    closes = sorted(row.at for t in timelines for row in t.rows if stages[row.stage_id].is_closed)
    if len(closes) <= MIN_CLOSED_TO_LEARN:
        return []
    first = period_containing(timezone.localtime(closes[MIN_CLOSED_TO_LEARN]).date(), kind).next()
    last = period_containing(timezone.localtime(closes[-1]).date(), kind)
    today = today or timezone.localdate()
    if last.end >= today:
        last = period_containing(today, kind).previous()
    return periods_between(first, last) if first.start <= last.start else []


def _moment(period: FiscalPeriod) -> dt.datetime:
    return end_of_day(period.start - dt.timedelta(days=1))


def backtest(
    viewer: User,
    kind: PeriodKind = "quarter",
    periods: list[FiscalPeriod] | None = None,
    timelines: list[Timeline] | None = None,
    win_chances: WinChances | None = None,
) -> list[PeriodResult]:
    """Replay ``periods`` (by default every complete past one with enough history) in order;
    each period's interval is calibrated on the errors of those before it. With
    ``win_chances``, ``opportune`` takes each open deal's total chance from its per-deal win
    probability as of the period's start (timing from the curves, as the read does)."""
    stages = stage_table()
    timelines = load_timelines(viewer) if timelines is None else timelines
    periods = periods if periods is not None else backtest_periods(timelines, stages, kind)
    final = {t.opportunity_id: t.rows[-1] for t in timelines}
    won_on: dict[int, tuple[dt.date, float]] = {
        pk: (row.close_date, row.amount) for pk, row in final.items() if stages[row.stage_id].is_won
    }
    results: list[PeriodResult] = []
    errors: list[tuple[dt.date, float]] = []  # (end of period, log of actual over expected)
    pipeline_errors: list[tuple[dt.date, float]] = []
    for period in sorted(periods, key=lambda p: p.start):
        moment = _moment(period)
        found = situations(timelines, moment, stages)
        won_in_period = {pk: a for pk, (day, a) in won_on.items() if period.contains(day)}
        open_at_start = {d.timeline.opportunity_id for d in found if d.in_pipeline()}
        result = PeriodResult(
            period,
            actual_total=sum(won_in_period.values()),
            actual_pipeline=sum(a for pk, a in won_in_period.items() if pk in open_at_start),
        )
        past = [error for end, error in errors if end < period.start]
        past_pipeline = [error for end, error in pipeline_errors if end < period.start]
        chances = win_chances(moment) if win_chances is not None else None
        ours, to_come, raw_pipeline = _opportune(
            found, moment, period, past, past_pipeline, chances
        )
        result.total["opportune"], result.pipeline["opportune"] = ours
        if raw_pipeline > 0 and result.actual_pipeline > 0:
            result.pipeline_error = math.log(result.actual_pipeline / raw_pipeline)
            pipeline_errors.append((period.end, result.pipeline_error))
        actual_to_come = result.actual_total - (ours[0].expected - to_come)
        if to_come > 0 and actual_to_come > 0:
            result.error = math.log(actual_to_come / to_come)
            errors.append((period.end, result.error))
        due = [d for d in found if _due(d, period)]
        bayes = NaiveBayes(found, stages)
        static = _bernoulli([(d.state.amount, d.state.probability / 100) for d in due])
        scored = _bernoulli([(d.state.amount, bayes.chance(d)) for d in due])
        for target in TARGETS:
            result.estimates(target)["static"] = static
            result.estimates(target)["naive_bayes"] = scored
        results.append(result)
    return results


def _opportune(
    found: list[Situation],
    moment: dt.datetime,
    period: FiscalPeriod,
    errors: list[float],
    pipeline_errors: list[float],
    win_percents: dict[int, int] | None = None,
) -> tuple[tuple[Estimate, Estimate], float, float]:
    """Our estimates of the period's total and of its part from the open pipeline, the
    expected amount still to be won (what the errors are measured on) and the expected amount
    from the open pipeline before its correction."""
    model = FittedModel.of(learn(found, moment))
    model.errors = {period.kind: errors, f"pipeline:{period.kind}": pipeline_errors}
    model.per_deal = win_percents is not None
    today = timezone.localtime(moment).date() + dt.timedelta(days=1)
    already = [sum(d.state.amount for d in found if d.won and period.contains(d.state.close_date))]
    deals = deals_from(found, win_percents)
    estimates = []
    for include_new in (True, False):
        forecast = model.forecast(deals, already, today, [period], include_new_deals=include_new)
        estimates.append(Estimate(*model.calibrated(forecast, 0, period.kind)))
        if include_new:
            to_come = forecast.to_come(0)
            raw_pipeline = forecast.pipeline[0] / math.exp(model.pipeline_shift(period.kind))
    return (estimates[0], estimates[1]), to_come, raw_pipeline


def backtest_json(results: list[PeriodResult], scale: int = 1) -> dict[str, Any]:
    """Per-period estimates and the scores, as stored with a fitted model and served; amounts
    times ``scale`` (a replay on one deal in ``scale``)."""

    def scaled(values: dict[str, float | None]) -> dict[str, float | None]:
        money = ("expected", "low", "high", "mae", "pinball")
        return {k: v * scale if k in money and v is not None else v for k, v in values.items()}

    return {
        "sampled_one_deal_in": scale,
        "periods": [
            {
                "period": r.period.key,
                "label": r.period.label,
                "error": r.error,
                "actual": {t: r.actual(t) for t in TARGETS},
                "estimates": {t: {m: vars(e) for m, e in r.estimates(t).items()} for t in TARGETS},
            }
            for r in results
        ],
        "scores": {
            t: {m: vars(score(results, t, m)) for m in METHODS} if results else {} for t in TARGETS
        },
    }


def _finite(values: dict[str, float]) -> dict[str, float | None]:
    """NaN (no period to score) as null: JSON, and PostgreSQL's jsonb, have no NaN."""
    return {k: None if math.isnan(v) else v for k, v in values.items()}
