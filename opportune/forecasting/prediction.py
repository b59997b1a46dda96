"""What the predicted forecast learns from the history as of a moment T (nothing after T is
looked at, so the backtest can replay any past moment); ``fitted.FittedModel`` keeps it and
answers from it.

- Win chance and timing by stage: for each open stage, the competing-risks curves of winning
  and losing by days since entering it. A deal open in stage s for a days is given the
  chances that deals which had also lasted a days went on to win on each later day: stale
  deals fade, young ones keep their chance (``learning.CompetingRisks``). Stages with fewer
  than ``fitted.MIN_STAGE_EVENTS`` outcomes use the curve by days since creation instead.
- Close-date slippage: when a deal's close date is still ahead, its win day is its close date
  plus a slip drawn from how late won deals closed against the dates they carried while open
  (kept to slips that leave the deal open at T). Past-due deals follow the stage curve.
- Too little history: the deal's own probability on its close date, as Salesforce's does.
- Realization: won amounts against the last open amount (discounts, upsells).
- New deals: deals not yet created at T also close in the horizon: their arrival rate over
  the last quarter, the curve of winning by days since creation and the recent won amounts.
- The quarter-end push: how much more often deals are won in each month of a quarter.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.utils import timezone

from opportune.errors import field_error
from opportune.fiscal import FiscalPeriod, start_month_setting

from .learning import CompetingRisks, Situation, days_between

ARRIVAL_WINDOW_DAYS = 91
MIN_ARRIVAL_WINDOW_DAYS = 28
RECENT_WON_DAYS = 182
# The most months one prediction covers (8 quarters): the API and the page refuse more.
MAX_HORIZON_MONTHS = 24
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
    zone = timezone.get_current_timezone()  # once: each lookup is a context-local read
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
                if row.close_date >= row.at.astimezone(zone).date():
                    slips.append((deal.state.close_date - row.close_date).days)
    window_days = (moment - window_start).total_seconds() / 86400
    wins = [d.closed_at.astimezone(zone).date() for d in found if d.won and d.closed_at]
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
