"""Leakage rules: a deal's features at a moment T use nothing that happened after T."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest

from opportune.scoring.core import Value
from opportune.scoring.features import FEATURES, Deal, RateBook, Row, reasons, values_at

T0 = dt.datetime(2025, 1, 1, 9, tzinfo=dt.UTC)
OPEN, PROPOSAL = 1, 2
PROBABILITY = {OPEN: 10, PROPOSAL: 75}


def day(n: float) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


def feature(values: Sequence[Value] | None, name: str) -> Value:
    assert values is not None
    return values[[f.name for f in FEATURES].index(name)]


def deal() -> Deal:
    return Deal(
        1,
        owner_id=7,
        source="web",
        rows=[
            Row(day(0), OPEN, 1000.0, dt.date(2025, 2, 1)),
            Row(day(10), PROPOSAL, 1000.0, dt.date(2025, 2, 1)),
            Row(day(20), PROPOSAL, 1500.0, dt.date(2025, 3, 1)),
        ],
    )


def closings() -> list[tuple[int | None, str, dt.datetime | None, bool]]:
    return [(7, "web", day(5), True), (7, "web", day(8), False), (8, "", day(9), True)]


def test_features_at_a_moment_ignore_the_deals_later_changes() -> None:
    book = RateBook.of(closings())
    before = values_at(deal(), day(15), book, PROBABILITY)
    later = deal()
    later.rows.append(Row(day(16), OPEN, 9999.0, dt.date(2026, 1, 1)))
    assert values_at(later, day(15), book, PROBABILITY) == before
    assert feature(before, "stage_probability") == 75
    assert feature(before, "days_in_stage") == 5
    assert feature(before, "age_days") == 15
    assert feature(before, "pushes") == 0
    assert feature(before, "amount_changes") == 0


def test_pushes_and_amount_changes_count_up_to_the_moment() -> None:
    values = values_at(deal(), day(25), RateBook.of([]), PROBABILITY)
    assert feature(values, "pushes") == 1
    assert feature(values, "amount_changes") == 1
    assert feature(values, "amount_ratio") == 1.5
    assert feature(values, "days_in_stage") == 15  # the stage was entered on day 10


def test_a_deal_has_no_features_before_it_existed() -> None:
    assert values_at(deal(), day(-1), RateBook.of([]), PROBABILITY) is None


def test_owner_and_source_rates_count_only_deals_closed_before_the_moment() -> None:
    at_7 = values_at(deal(), day(7), RateBook.of(closings()), PROBABILITY)
    more = [*closings(), (7, "web", day(7), False), (7, "web", day(30), False)]
    assert values_at(deal(), day(7), RateBook.of(more), PROBABILITY) == at_7
    # Before day 7: one win of the owner's; overall 1 of 1; smoothed with 5 pseudo-deals.
    assert feature(at_7, "owner_win_rate") == pytest.approx((1 + 5 * 1.0) / (1 + 5))
    assert feature(at_7, "owner_closed") == 1
    at_10 = values_at(deal(), day(10), RateBook.of(closings()), PROBABILITY)
    overall = 2 / 3
    assert feature(at_10, "owner_win_rate") == pytest.approx((1 + 5 * overall) / (2 + 5))
    assert feature(at_10, "source_win_rate") == pytest.approx((1 + 5 * overall) / (2 + 5))


def test_with_no_closing_before_the_moment_rates_are_unknown() -> None:
    values = values_at(deal(), day(1), RateBook.of(closings()), PROBABILITY)
    assert feature(values, "owner_win_rate") is None
    assert feature(values, "owner_closed") == 0


def test_reasons_are_the_largest_effects_in_words_strongest_first() -> None:
    row = values_at(deal(), day(25), RateBook.of([]), PROBABILITY)
    assert row is not None
    effects = [0.0] * len(FEATURES)
    effects[[f.name for f in FEATURES].index("pushes")] = -0.12
    effects[[f.name for f in FEATURES].index("stage_probability")] = 0.05
    effects[[f.name for f in FEATURES].index("age_days")] = 0.001  # too small to mention
    assert reasons(row, effects) == [
        {"feature": "pushes", "text": "Close date pushed 1 time", "effect": -0.12},
        {"feature": "stage_probability", "text": "Stage (configured 75%)", "effect": 0.05},
    ]
