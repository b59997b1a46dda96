"""The read computes the chances of all its groups of deals at once, as arrays
(``chance_arrays.chance_table``): every row must equal ``FittedModel.deal_chances`` of that group,
the definition, on every branch (slips ahead, overdue, too old for the curve, per-deal
probabilities, a deal's own probability without a curve)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.utils import timezone

from opportune.fiscal import FiscalPeriod, period_containing, periods_between
from opportune.forecasting.chance_arrays import chance_table
from opportune.forecasting.fitted import Deals, FittedModel
from opportune.forecasting.fitting import fit_all
from opportune.forecasting.models import ForecastModel
from opportune.forecasting.periods import current_period, period_range
from opportune.opportunities.models import Opportunity

from . import test_predicted_grouping as grouping
from .conftest import deal_alone
from .test_predicted_grouping import _without_new_deals_or_errors

world = grouping.world

TODAY = dt.date(2026, 7, 10)


def _periods(today: dt.date) -> list[FiscalPeriod]:
    first = period_containing(today, "month")
    return periods_between(first, first.shifted(4))


def _curve(length: int, step: float) -> dict[str, Any]:
    return {
        "events": 100,
        "alive": [max(0.0, 1.0 - 1.2 / length * d) for d in range(length)],
        "won": [step * d for d in range(length)],
    }


def _parameters(per_deal: bool, creation_events: int = 100) -> dict[str, Any]:
    """Two stage curves, one too thin to count, a creation curve, slips from -30 to +60 days,
    and a quarter-end push."""
    slips = [0] * 1098
    running = 0
    for index in range(len(slips)):
        running += 1 if 336 <= index <= 426 and index % 3 else 0
        slips[index] = running
    return {
        "moment": "2026-07-10T12:00:00+00:00",
        "curves": {
            "1": _curve(120, 0.004),
            "2": _curve(400, 0.001),
            "3": {**_curve(50, 0.01), "events": 5},
        },
        "from_creation": {**_curve(300, 0.0015), "events": creation_events},
        "slip_counts": slips,
        "realization": 0.9,
        "arrivals_per_day": 0.0,
        "won_mean": 0.0,
        "won_square_mean": 0.0,
        "quarter_months": [0.8, 1.0, 1.3],
        "per_deal": per_deal,
    }


def _groups(today: dt.date) -> list[Deals]:
    days = [-500, -301, -299, -150, -119, -60, -1, 0, 1, 30, 200]
    found = []
    for stage, entered, close, win in itertools.product(
        [1, 2, 3, 9], days, [-40, -1, 0, 5, 45, 400], [None, 0, 37, 100]
    ):
        day = today + dt.timedelta(days=entered)
        close_date = today + dt.timedelta(days=close)
        found.append(Deals(stage, day, day, close_date, 30, 100.0, 1e4, 1, win))
    return found


@pytest.mark.parametrize(("per_deal", "creation_events"), [(False, 100), (True, 100), (False, 3)])
def test_the_arrays_give_every_group_the_chances_deal_chances_defines(
    per_deal: bool, creation_events: int
) -> None:
    model = FittedModel.from_json(_parameters(per_deal, creation_events))
    periods = _periods(TODAY)
    weights = [model.month_weight(p) for p in periods]
    groups = _groups(TODAY)
    table = chance_table(model, groups, TODAY, periods, weights)
    assert table.shape == (len(groups), len(periods))
    assert table.sum() > 1  # the cases are not all zero
    for row, deals in zip(table, groups, strict=True):
        expected = model.deal_chances(deals, TODAY, periods, weights)
        assert list(row) == pytest.approx(expected, rel=1e-12, abs=1e-15)


@pytest.mark.django_db
@pytest.mark.parametrize("variant", ["as fitted", "no stage curves", "no curves"])
def test_the_arrays_equal_deal_chances_over_a_fitted_models_deals(
    world: None, variant: str
) -> None:
    fit_all()
    _without_new_deals_or_errors(variant)
    model = FittedModel.from_json(ForecastModel.objects.get().parameters)
    today = timezone.localdate()
    periods = period_range(current_period().key, current_period().shifted(5).key)
    weights = [model.month_weight(p) for p in periods]
    groups = _every_open_deal()
    assert len(groups) == 60
    for per_deal in (False, True):
        model.per_deal = per_deal
        table = chance_table(model, groups, today, periods, weights)
        for row, deals in zip(table, groups, strict=True):
            expected = model.deal_chances(deals, today, periods, weights)
            assert list(row) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def _every_open_deal() -> list[Deals]:
    """The fixture's open deals one by one, with per-deal probabilities on some of them."""
    return [
        deal_alone(o, [None, 0, 12, 55, 100][number % 5])
        for number, o in enumerate(Opportunity.objects.filter(is_closed=False).order_by("pk"))
    ]
