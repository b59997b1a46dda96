"""The backtest and the predicted forecast on the Maven data."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest

from opportune.fiscal import parse_period
from opportune.forecasting.asof import end_of_day
from opportune.forecasting.backtest import backtest, score
from opportune.forecasting.fitting import fit_pipeline
from opportune.forecasting.maven import PIPELINE_KEY
from opportune.forecasting.predicted import predicted_forecast
from opportune.forecasting.tests.maven_world import Row
from opportune.identity.models import Role, User
from opportune.opportunities.models import Pipeline

from .maven_world import needs_maven

pytestmark = [needs_maven, pytest.mark.django_db]


@pytest.fixture
def admin(maven: list[Row]) -> User:
    return User.objects.create_user("maven-admin", role=Role.ADMIN)


def test_the_quarterly_backtest_beats_static_probabilities(maven: list[Row], admin: User) -> None:
    won: dict[str, Decimal] = defaultdict(Decimal)
    for row in maven:
        if row.stage == "Won":
            assert row.close is not None and row.value is not None
            won[f"{row.close.year}-Q{(row.close.month - 1) // 3 + 1}"] += row.value
    results = backtest(admin, "quarter")
    # 2017-Q1 has no closed deal before it to learn from.
    assert [r.period.key for r in results] == ["2017-Q2", "2017-Q3", "2017-Q4"]
    for result in results:
        assert Decimal(result.actual_total) == won[result.period.key]
        assert 0 < result.actual_pipeline < result.actual_total
    ours = score(results, "total", "opportune")
    for baseline in ("static", "naive_bayes"):
        assert ours.mae < score(results, "total", baseline).mae


def test_the_monthly_backtest_beats_both_baselines_with_calibrated_intervals(
    maven: list[Row], admin: User
) -> None:
    results = backtest(admin, "month")
    assert len(results) == 9  # 2017-04 to 2017-12
    ours = score(results, "total", "opportune")
    for baseline in ("static", "naive_bayes"):
        assert ours.mae < score(results, "total", baseline).mae
    assert 0.7 <= ours.coverage <= 0.9


def test_the_pipeline_part_overshoots_less_than_static_probabilities(
    maven: list[Row], admin: User
) -> None:
    results = backtest(admin, "quarter")
    ours, static = score(results, "pipeline", "opportune"), score(results, "pipeline", "static")
    # Deals that never close pile up in Maven's open pipeline; the correction learned from
    # past quarters brings the overshoot from +48% (without it) to +35%.
    assert ours.bias < 0.4
    assert ours.mae < static.mae


def test_the_fit_stores_the_replay_and_its_errors(maven: list[Row], admin: User) -> None:
    fit = fit_pipeline(
        Pipeline.objects.get(key=PIPELINE_KEY), now=end_of_day(dt.date(2017, 12, 31))
    )
    assert (fit.opportunities, fit.closed_deals) == (8800, 4238 + 2473)
    assert len(fit.parameters["errors"]["month"]) == 9
    assert [p["period"] for p in fit.backtest["quarter"]["periods"]] == [
        "2017-Q2",
        "2017-Q3",
        "2017-Q4",
    ]
    [q1, q2] = predicted_forecast(
        admin,
        [parse_period("2018-Q1"), parse_period("2018-Q2")],
        now=end_of_day(dt.date(2017, 12, 31)),
    ).periods
    assert 0 < q2.pipeline < q1.pipeline
    assert q1.new_deals > 0
    assert q1.low < q1.expected < q1.high
