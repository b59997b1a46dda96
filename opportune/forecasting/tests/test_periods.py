"""Fiscal periods: keys, parsing, ranges, for years starting in January and in other months."""

from __future__ import annotations

import datetime as dt

import pytest
from pytest_django import Settings

from opportune.errors import RuleViolation
from opportune.fiscal import parse_period, period_containing, periods_between
from opportune.forecasting.periods import period_range

D = dt.date


def test_it_names_calendar_quarters_when_the_year_starts_in_january() -> None:
    quarter = period_containing(D(2026, 11, 15), "quarter", start_month=1)
    assert quarter.key == "2026-Q4"
    assert (quarter.start, quarter.end) == (D(2026, 10, 1), D(2026, 12, 31))
    assert quarter.label == "Q4 2026"


def test_it_names_a_fiscal_year_after_the_calendar_year_it_ends_in() -> None:
    quarter = period_containing(D(2026, 2, 1), "quarter", start_month=2)
    assert quarter.key == "FY2027-Q1"
    assert (quarter.start, quarter.end) == (D(2026, 2, 1), D(2026, 4, 30))
    year = period_containing(D(2027, 1, 31), "year", start_month=2)
    assert year.key == "FY2027"
    assert (year.start, year.end) == (D(2026, 2, 1), D(2027, 1, 31))


def test_the_last_quarter_of_a_february_year_spans_the_new_year() -> None:
    quarter = period_containing(D(2026, 12, 24), "quarter", start_month=2)
    assert quarter.key == "FY2027-Q4"
    assert (quarter.start, quarter.end) == (D(2026, 11, 1), D(2027, 1, 31))


def test_months_are_calendar_months_whatever_the_fiscal_year() -> None:
    month = period_containing(D(2026, 11, 30), "month", start_month=7)
    assert month.key == "2026-11"
    assert (month.start, month.end) == (D(2026, 11, 1), D(2026, 11, 30))
    assert month.fiscal_year == 2027
    assert parse_period("2024-02", start_month=7).end == D(2024, 2, 29)


@pytest.mark.parametrize(
    ("key", "start_month", "first", "last"),
    [
        ("2026-Q4", 1, D(2026, 10, 1), D(2026, 12, 31)),
        ("2026-q1", 1, D(2026, 1, 1), D(2026, 3, 31)),
        ("FY2027-Q1", 4, D(2026, 4, 1), D(2026, 6, 30)),
        ("fy2027-q4", 4, D(2027, 1, 1), D(2027, 3, 31)),
        ("2027-Q4", 4, D(2027, 1, 1), D(2027, 3, 31)),
        ("FY2026-Q2", 10, D(2026, 1, 1), D(2026, 3, 31)),
        ("2026", 1, D(2026, 1, 1), D(2026, 12, 31)),
        ("FY2026", 7, D(2025, 7, 1), D(2026, 6, 30)),
        (" 2026-11 ", 1, D(2026, 11, 1), D(2026, 11, 30)),
    ],
)
def test_it_parses_keys(key: str, start_month: int, first: dt.date, last: dt.date) -> None:
    period = parse_period(key, start_month=start_month)
    assert (period.start, period.end) == (first, last)


@pytest.mark.parametrize("start_month", [1, 2, 4, 7, 10, 12])
def test_a_formatted_key_parses_back_to_the_same_period(start_month: int) -> None:
    day = D(2025, 1, 1)
    while day < D(2027, 1, 1):
        for kind in ("month", "quarter", "year"):
            period = period_containing(day, kind, start_month)
            assert parse_period(period.key, start_month) == period
            assert period.contains(day)
        day += dt.timedelta(days=13)


@pytest.mark.parametrize("key", ["2026-Q5", "2026-13", "Q4", "2026Q4", "next quarter", "FY-2026"])
def test_it_refuses_keys_that_name_no_period(key: str) -> None:
    with pytest.raises(ValueError):
        parse_period(key, start_month=1)


def test_a_range_holds_every_period_in_order() -> None:
    periods = periods_between(
        parse_period("FY2026-Q3", start_month=2), parse_period("FY2027-Q2", start_month=2)
    )
    assert [p.key for p in periods] == ["FY2026-Q3", "FY2026-Q4", "FY2027-Q1", "FY2027-Q2"]
    assert periods[1].start == D(2025, 11, 1)
    assert periods[1].end == D(2026, 1, 31)


def test_a_quarter_lists_its_months() -> None:
    quarter = parse_period("FY2027-Q4", start_month=2)
    assert [m.key for m in quarter.months()] == ["2026-11", "2026-12", "2027-01"]


def test_shifting_crosses_years() -> None:
    assert parse_period("2026-Q4", 1).next().key == "2027-Q1"
    assert parse_period("2026-01", 1).previous().key == "2025-12"
    assert parse_period("2026-Q1", 1).shifted(-5).key == "2024-Q4"


def test_a_range_refuses_mixed_kinds_and_backwards_ranges(settings: Settings) -> None:
    settings.OPPORTUNE_FISCAL_YEAR_START_MONTH = 1
    with pytest.raises(RuleViolation) as mixed:
        period_range("2026-Q1", "2026-11")
    assert "to" in mixed.value.errors
    with pytest.raises(RuleViolation) as backwards:
        period_range("2026-Q3", "2026-Q1")
    assert "before it starts" in backwards.value.detail
    with pytest.raises(RuleViolation) as bad:
        period_range("soon")
    assert "period" in bad.value.errors


def test_the_api_keys_follow_the_setting(settings: Settings) -> None:
    settings.OPPORTUNE_FISCAL_YEAR_START_MONTH = 4
    assert [p.key for p in period_range("FY2027-Q1", "FY2027-Q2")] == ["FY2027-Q1", "FY2027-Q2"]
    assert period_range("2026-05")[0].fiscal_year == 2027
