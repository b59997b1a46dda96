"""The competing-risks curves the prediction learns from: censored deals count as open."""

from __future__ import annotations

import pytest

from opportune.forecasting.learning import CompetingRisks


def test_the_win_chance_is_the_share_won_when_every_deal_closed() -> None:
    curve = CompetingRisks([(5, "won")] * 6 + [(10, "lost")] * 4)
    assert curve.win_chance(0) == pytest.approx(0.6)
    [(days, chance)] = curve.win_days(0)
    assert days == 5 and chance == pytest.approx(0.6)
    assert curve.events == 10


def test_a_deal_older_than_every_win_has_no_chance_left() -> None:
    curve = CompetingRisks([(5, "won")] * 6 + [(10, "lost")] * 4)
    assert curve.win_chance(6) == 0
    assert curve.win_chance(50) == 0


def test_young_open_deals_do_not_lower_the_win_chance() -> None:
    # Five deals still open after one day: as far as anyone knows, they behave like the rest.
    curve = CompetingRisks([(2, "won")] * 5 + [(1, None)] * 5)
    assert curve.win_chance(0) == pytest.approx(1.0)


def test_long_open_deals_do_lower_the_chance_of_the_old() -> None:
    curve = CompetingRisks([(3, "won")] * 4 + [(30, None)] * 2)
    assert curve.win_chance(0) == pytest.approx(4 / 6)
    assert curve.win_chance(4) == 0


def test_the_chance_is_conditional_on_having_lasted() -> None:
    curve = CompetingRisks([(1, "lost")] * 5 + [(4, "won")] * 5)
    assert curve.win_chance(0) == pytest.approx(0.5)
    assert curve.win_chance(2) == pytest.approx(1.0)
