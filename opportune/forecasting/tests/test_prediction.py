"""The predicted forecast learns win chances and timing from history (a fit, stored), answers
from the stored model over the deals open now, and the backtest replays it next to static
probabilities and naive Bayes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from conftest import Company
from opportune.fiscal import parse_period
from opportune.forecasting.asof import end_of_day
from opportune.forecasting.backtest import NaiveBayes, backtest, score
from opportune.forecasting.fitting import fit_pipeline
from opportune.forecasting.learning import load_timelines, situations, stage_table
from opportune.forecasting.predicted import Prediction, predicted_forecast
from opportune.identity.models import User
from opportune.opportunities.models import Pipeline

from .conftest import timeline

D = dt.date


def predict(viewer: User, keys: list[str], as_of: dt.date) -> Prediction:
    """Fit on the history up to the end of ``as_of``, then predict as of then."""
    moment = end_of_day(as_of)
    fit_pipeline(Pipeline.default(), now=moment)
    return predicted_forecast(viewer, [parse_period(k) for k in keys], now=moment)


@pytest.fixture
def history(company: Company) -> None:
    """In January, 40 deals: 3 in 4 won after 14 days in negotiation, the rest lost after 14
    days. In June, 10 deals open in negotiation since June 10; Bob owns 2 of them."""
    for number in range(40):
        start = D(2026, 1, 1) + dt.timedelta(days=number % 10)
        end = start + dt.timedelta(days=14)
        outcome = "closed_won" if number % 4 else "closed_lost"
        timeline(
            company,
            company.alice,
            [
                (start, "negotiation", "1000", D(2026, 3, 31)),
                (end, outcome, "1000", end),
            ],
            f"Past {number}",
        )
    for number in range(10):
        owner = company.bob if number < 2 else company.alice
        timeline(company, owner, [(D(2026, 6, 10), "negotiation", "100", D(2026, 6, 30))])


def test_open_deals_are_expected_to_win_at_the_learned_rate_and_time(
    company: Company, history: None
) -> None:
    prediction = predict(company.ada, ["2026-06", "2026-07"], D(2026, 6, 12))
    in_june, in_july = prediction.periods
    assert prediction.closed_deals == 40
    # Two days into negotiation, 3 in 4 win, 14 days after entering it: on June 24.
    assert in_june.pipeline == pytest.approx(10 * 100 * 0.75)
    assert in_july.pipeline == pytest.approx(0)
    assert in_june.low <= in_june.pipeline <= in_june.high
    assert in_june.low < in_june.high


def test_deals_open_longer_than_any_that_closed_are_not_expected(
    company: Company, history: None
) -> None:
    [july] = predict(company.ada, ["2026-07"], D(2026, 7, 15)).periods
    assert july.pipeline == 0


def test_the_prediction_holds_what_the_viewer_may_see(company: Company, history: None) -> None:
    [june] = predict(company.bob, ["2026-06"], D(2026, 6, 12)).periods
    # The model learns from the whole installation; Bob's forecast holds his two deals.
    assert june.open_deals == 2
    assert june.pipeline == pytest.approx(2 * 100 * 0.75)
    [alices] = predicted_forecast(
        company.alice, [parse_period("2026-06")], now=end_of_day(D(2026, 6, 12))
    ).periods
    assert alices.open_deals == 8
    assert alices.pipeline == pytest.approx(8 * 100 * 0.75)


def test_deals_won_before_the_moment_count_as_already_won(company: Company, history: None) -> None:
    [q1] = predict(company.ada, ["2026-Q1"], D(2026, 1, 31)).periods
    # Deals won by now count as won whatever the as-of day: the stored model meets the
    # deals as they stand.
    assert q1.already_won == 30 * 1000


def test_naive_bayes_counts_frequencies_as_odoo_does(company: Company, history: None) -> None:
    stages = stage_table()
    found = situations(load_timelines(company.ada), end_of_day(D(2026, 6, 12)), stages)
    bayes = NaiveBayes(found, stages)
    assert (bayes.won, bayes.lost) == (30, 10)
    deal = next(d for d in found if d.in_pipeline())
    # Every closed deal reached negotiation, was Alice's (East) and had no source: each
    # feature's frequency is the same among won and lost, so the chance is the prior.
    assert bayes.chance(deal) == pytest.approx(0.75, abs=0.01)


def test_the_backtest_replays_each_period_with_the_three_methods(
    company: Company, history: None
) -> None:
    periods = [parse_period("2026-01"), parse_period("2026-06")]
    january, june = backtest(company.ada, "month", periods=periods)
    assert january.actual_total == 30 * 1000
    assert june.actual_total == 0
    # At the start of June the ten deals were not created yet; nothing was open.
    assert june.pipeline["static"].expected == 0
    assert june.actual_pipeline == 0
    assert set(january.total) == {"opportune", "static", "naive_bayes"}
    assert score([january, june], "total", "static").coverage in (0.0, 0.5, 1.0)


def test_static_probabilities_count_deals_due_in_the_period(
    company: Company, history: None
) -> None:
    [july] = backtest(company.ada, "month", periods=[parse_period("2026-07")])
    # Ten deals in negotiation (90 %), all past due on July 1st.
    assert july.total["static"].expected == pytest.approx(10 * 100 * 0.9)
    assert july.total["naive_bayes"].expected == pytest.approx(10 * 100 * 0.75, abs=10)
    assert Decimal(july.actual_total) == 0


def test_a_future_close_date_slips_as_past_close_dates_did(company: Company) -> None:
    # Won deals closed 15 days after the close date they carried (25 days after opening).
    for number in range(30):
        start = D(2026, 1, 1) + dt.timedelta(days=number % 10)
        timeline(
            company,
            company.alice,
            [
                (start, "negotiation", "1000", start + dt.timedelta(days=10)),
                (
                    start + dt.timedelta(days=25),
                    "closed_won",
                    "1000",
                    start + dt.timedelta(days=25),
                ),
            ],
        )
    timeline(company, company.bob, [(D(2026, 6, 10), "negotiation", "100", D(2026, 8, 1))])
    timeline(company, company.bob, [(D(2026, 6, 10), "negotiation", "100", D(2026, 6, 1))])
    june, july, august = predict(
        company.ada, ["2026-06", "2026-07", "2026-08"], D(2026, 6, 12)
    ).periods
    # The deal due on August 1st is expected on August 16th; the past-due one follows the
    # stage's timing: 25 days after entering negotiation, on July 5th.
    assert (june.pipeline, july.pipeline, august.pipeline) == pytest.approx((0, 100, 100))
