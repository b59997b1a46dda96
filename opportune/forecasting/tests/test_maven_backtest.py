"""The backtest and the predicted forecast on the Maven data."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest

from opportune.fiscal import parse_period
from opportune.forecasting.backtest import backtest, score
from opportune.forecasting.prediction import predicted_forecast
from opportune.forecasting.tests.maven_world import Row
from opportune.identity.models import Role, User

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
    results = backtest(admin, "quarter", simulations=200)
    # 2017-Q1 has no closed deal before it to learn from.
    assert [r.period.key for r in results] == ["2017-Q2", "2017-Q3", "2017-Q4"]
    for result in results:
        assert Decimal(result.actual_total) == won[result.period.key]
        assert 0 < result.actual_pipeline < result.actual_total
    ours, static = score(results, "total", "opportune"), score(results, "total", "static")
    assert ours.mape < static.mape
    assert ours.mape < 0.25


def test_the_prediction_after_the_export_expects_the_young_deals_only(
    maven: list[Row], admin: User
) -> None:
    model, [q1, q2] = predicted_forecast(
        admin, [parse_period("2018-Q1"), parse_period("2018-Q2")], dt.date(2017, 12, 31), 200
    )
    assert model.outcomes == 4238 + 2473
    assert 0 < q2.pipeline < q1.pipeline
    assert q1.low < q1.expected < q1.high
    # Deals engaging since 2016 are older than any deal that ever closed: no chance left.
    assert q1.open_deals < 1589 + 500
