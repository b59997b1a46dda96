"""Fiscal quarters follow the configured first month of the fiscal year (PRODUCT.md section 5)."""

from __future__ import annotations

import datetime as dt

import pytest
from pytest_django import Settings

from opportune.fiscal import fiscal_quarter_end

D = dt.date


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2025, 1, 1), D(2025, 3, 31)),
        (D(2025, 3, 31), D(2025, 3, 31)),
        (D(2025, 4, 1), D(2025, 6, 30)),
        (D(2025, 8, 15), D(2025, 9, 30)),
        (D(2025, 10, 1), D(2025, 12, 31)),
        (D(2025, 12, 31), D(2025, 12, 31)),
    ],
)
def test_it_ends_calendar_quarters_when_the_year_starts_in_january(
    day: dt.date, expected: dt.date
) -> None:
    assert fiscal_quarter_end(day, start_month=1) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # Quarters: Feb-Apr, May-Jul, Aug-Oct, Nov-Jan.
        (D(2025, 2, 1), D(2025, 4, 30)),
        (D(2025, 4, 30), D(2025, 4, 30)),
        (D(2025, 5, 1), D(2025, 7, 31)),
        (D(2025, 10, 31), D(2025, 10, 31)),
        (D(2025, 11, 1), D(2026, 1, 31)),
        (D(2025, 12, 31), D(2026, 1, 31)),
        (D(2026, 1, 15), D(2026, 1, 31)),
    ],
)
def test_it_ends_quarters_of_a_year_starting_in_february_across_the_new_year(
    day: dt.date, expected: dt.date
) -> None:
    assert fiscal_quarter_end(day, start_month=2) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # Quarters: Apr-Jun, Jul-Sep, Oct-Dec, Jan-Mar.
        (D(2025, 4, 1), D(2025, 6, 30)),
        (D(2025, 9, 30), D(2025, 9, 30)),
        (D(2025, 12, 31), D(2025, 12, 31)),
        (D(2026, 1, 1), D(2026, 3, 31)),
        (D(2026, 3, 31), D(2026, 3, 31)),
    ],
)
def test_it_ends_quarters_of_a_year_starting_in_april(day: dt.date, expected: dt.date) -> None:
    assert fiscal_quarter_end(day, start_month=4) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # Quarters: Oct-Dec, Jan-Mar, Apr-Jun, Jul-Sep.
        (D(2025, 10, 1), D(2025, 12, 31)),
        (D(2025, 12, 31), D(2025, 12, 31)),
        (D(2026, 1, 1), D(2026, 3, 31)),
        (D(2026, 9, 30), D(2026, 9, 30)),
    ],
)
def test_it_ends_quarters_of_a_year_starting_in_october(day: dt.date, expected: dt.date) -> None:
    assert fiscal_quarter_end(day, start_month=10) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # Quarters: Dec-Feb, Mar-May, Jun-Aug, Sep-Nov.
        (D(2023, 12, 1), D(2024, 2, 29)),  # the quarter ends in a leap February
        (D(2024, 1, 10), D(2024, 2, 29)),
        (D(2025, 2, 28), D(2025, 2, 28)),
        (D(2025, 3, 1), D(2025, 5, 31)),
        (D(2025, 11, 30), D(2025, 11, 30)),
        (D(2025, 12, 1), D(2026, 2, 28)),
    ],
)
def test_it_ends_quarters_of_a_year_starting_in_december_in_the_next_calendar_year(
    day: dt.date, expected: dt.date
) -> None:
    assert fiscal_quarter_end(day, start_month=12) == expected


def test_it_reads_the_start_month_from_settings(settings: Settings) -> None:
    settings.OPPORTUNE_FISCAL_YEAR_START_MONTH = 2
    assert fiscal_quarter_end(D(2025, 12, 10)) == D(2026, 1, 31)
    settings.OPPORTUNE_FISCAL_YEAR_START_MONTH = 1
    assert fiscal_quarter_end(D(2025, 12, 10)) == D(2025, 12, 31)


@pytest.mark.parametrize("start_month", [0, 13])
def test_it_refuses_a_first_month_outside_the_calendar(
    settings: Settings, start_month: int
) -> None:
    settings.OPPORTUNE_FISCAL_YEAR_START_MONTH = start_month
    with pytest.raises(ValueError):
        fiscal_quarter_end(D(2025, 6, 1))
