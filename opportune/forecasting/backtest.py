"""Replaying history: for each past period, forecast from the pipeline as it stood at the
period's start and compare with what closed.

Three forecasts of each period P, all from the situation at T = the first instant of P:

- ``opportune``: the predicted forecast (``prediction``), learned from history before T.
- ``static``: Salesforce's default, each open deal's probability (its stage's default unless
  overridden) times its amount, for the deals whose close date falls in P or has passed.
- ``naive_bayes``: Odoo's predictive lead scoring, a naive Bayes over frequencies of won and
  lost deals before T: the stage (a won deal counts in every stage, a lost one in the stages
  up to the one it was lost from), the owner's team and the lead source, with Odoo's 0.1
  smoothing; applied to the same deals as ``static``.

Two targets: ``total`` is every amount won with a close date in P; ``pipeline`` only what was
won in P from the deals open at T, the part that all three forecast from the same deals
(``opportune`` without its new-deal term). The intervals of the baselines come from the same
Monte Carlo over their probabilities; coverage counts the periods whose actual amount lies
inside the 80% interval.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from opportune.fiscal import FiscalPeriod, PeriodKind, period_containing, periods_between
from opportune.identity.models import User

from .asof import end_of_day
from .learning import Situation, StageInfo, Timeline, load_timelines, situations, stage_table
from .prediction import MIN_CLOSED_TO_LEARN, SIMULATIONS, learn, past_errors, predict_from

METHODS = ("opportune", "static", "naive_bayes")
SMOOTHING = 0.1


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


@dataclass
class Score:
    """Mean absolute percentage error, mean signed error (bias) and interval coverage."""

    mape: float
    bias: float
    coverage: float


def score(results: list[PeriodResult], target: str, method: str) -> Score:
    errors, signed, covered = [], [], 0
    for result in results:
        actual = result.actual_total if target == "total" else result.actual_pipeline
        estimate = (result.total if target == "total" else result.pipeline)[method]
        if actual:
            errors.append(abs(estimate.expected - actual) / actual)
            signed.append((estimate.expected - actual) / actual)
        covered += estimate.covers(actual)
    count = len(results) or 1
    return Score(
        mape=sum(errors) / len(errors) if errors else math.nan,
        bias=sum(signed) / len(signed) if signed else math.nan,
        coverage=covered / count,
    )


# --- the baselines ------------------------------------------------------------------------------


def _due(deal: Situation, period: FiscalPeriod) -> bool:
    """Counted by a close-date forecast of ``period``: closing in it, or already past due."""
    return deal.in_pipeline() and deal.state.close_date <= period.end


def _bernoulli(deals: list[tuple[float, float]], simulations: int, seed: int) -> Estimate:
    """Sum of amounts each won with its probability: mean, and 10th/90th percentiles."""
    rng = random.Random(seed)
    totals = sorted(
        sum(amount for amount, chance in deals if rng.random() < chance) for _ in range(simulations)
    )
    return Estimate(
        sum(a * p for a, p in deals),
        totals[int(0.1 * (len(totals) - 1))],
        totals[int(0.9 * (len(totals) - 1))],
    )


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
    timelines: list[Timeline], stages: dict[int, StageInfo], kind: PeriodKind
) -> list[FiscalPeriod]:
    """Every complete past period with at least ``MIN_CLOSED_TO_LEARN`` closed deals before it."""
    closes = sorted(row.at for t in timelines for row in t.rows if stages[row.stage_id].is_closed)
    if len(closes) <= MIN_CLOSED_TO_LEARN:
        return []
    first = period_containing(timezone.localtime(closes[MIN_CLOSED_TO_LEARN]).date(), kind).next()
    last = period_containing(timezone.localtime(closes[-1]).date(), kind)
    today = timezone.localdate()
    if last.end >= today:
        last = period_containing(today, kind).previous()
    return periods_between(first, last) if first.start <= last.start else []


def _moment(period: FiscalPeriod) -> dt.datetime:
    return end_of_day(period.start - dt.timedelta(days=1))


def backtest(
    viewer: User,
    kind: PeriodKind = "quarter",
    periods: list[FiscalPeriod] | None = None,
    simulations: int = SIMULATIONS,
) -> list[PeriodResult]:
    stages = stage_table()
    timelines = load_timelines(viewer)
    periods = periods if periods is not None else backtest_periods(timelines, stages, kind)
    results = []
    final = {t.opportunity_id: t.rows[-1] for t in timelines}
    for number, period in enumerate(periods):
        moment = _moment(period)
        found = situations(timelines, moment, stages)
        model = learn(found, moment)
        won_in_period = {
            pk: row.amount
            for pk, row in final.items()
            if stages[row.stage_id].is_won and period.contains(row.close_date)
        }
        open_at_start = {d.timeline.opportunity_id for d in found if d.in_pipeline()}
        result = PeriodResult(
            period,
            actual_total=sum(won_in_period.values()),
            actual_pipeline=sum(a for pk, a in won_in_period.items() if pk in open_at_start),
        )
        errors = past_errors(timelines, stages, moment, period)
        for target, include_new in (("total", True), ("pipeline", False)):
            [predicted] = predict_from(
                found,
                model,
                [period],
                simulations,
                seed=number,
                include_new_deals=include_new,
                errors=errors if include_new else None,
            )
            getattr(result, target)["opportune"] = Estimate(
                predicted.expected, predicted.low, predicted.high
            )
        due = [d for d in found if _due(d, period)]
        bayes = NaiveBayes(found, stages)
        static = _bernoulli(
            [(d.state.amount, d.state.probability / 100) for d in due], simulations, number
        )
        scored = _bernoulli([(d.state.amount, bayes.chance(d)) for d in due], simulations, number)
        for target in ("total", "pipeline"):
            getattr(result, target)["static"] = static
            getattr(result, target)["naive_bayes"] = scored
        results.append(result)
    return results
