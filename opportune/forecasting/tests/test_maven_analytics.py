"""Win rates and sales cycle on the Maven data, against figures computed from the CSV."""

from __future__ import annotations

import statistics
from decimal import Decimal

import pytest

from opportune.forecasting.analytics import RateRow, sales_summary, win_rates
from opportune.forecasting.tests.maven_world import Row
from opportune.identity.models import Role, User

from .maven_world import known, needs_maven
from .maven_world import win_rates as csv_win_rates

pytestmark = [needs_maven, pytest.mark.django_db]


@pytest.fixture
def admin(maven: list[Row]) -> User:
    return User.objects.create_user("maven-admin", role=Role.ADMIN)


def as_float(rows: list[RateRow]) -> dict[str, float]:
    return {r.label: float(known(r.win_rate)) for r in rows}


def test_win_rate_per_agent_matches_the_csv(maven: list[Row], admin: User) -> None:
    expected = csv_win_rates(maven, lambda row: row.agent)
    loaded = as_float(win_rates(admin, None, "owner"))
    assert loaded.keys() == expected.keys()
    for agent, rate in expected.items():
        assert loaded[agent] == pytest.approx(rate, abs=5e-5), agent


def test_win_rate_per_product_matches_the_csv(maven: list[Row], admin: User) -> None:
    expected = csv_win_rates(maven, lambda row: row.product)
    loaded = as_float(win_rates(admin, None, "name"))
    assert loaded == pytest.approx(expected, abs=5e-5)
    assert len(loaded) == 7


def test_average_cycle_and_deal_size_match_the_csv(maven: list[Row], admin: User) -> None:
    won = [row for row in maven if row.stage == "Won"]
    cycle = statistics.fmean((known(row.close) - known(row.engage)).days for row in won)
    size = sum(known(row.value) for row in won) / len(won)
    summary = sales_summary(admin, None)
    assert float(known(summary.cycle_days)) == pytest.approx(cycle, abs=0.005)
    assert summary.average_deal_size == Decimal(size).quantize(Decimal("0.01"))
    assert (summary.won, summary.lost) == (4238, 2473)
    assert summary.open_count == 1589 + 500
