"""Fiscal calendar: months, quarters and years of a fiscal year whose first month is configurable.

Period keys (PRODUCT.md section 5):

- months are calendar months, ``2026-11``;
- quarters are ``2026-Q4`` when the fiscal year starts in January, else ``FY2027-Q1``;
- years are ``2026``, else ``FY2027``.

A fiscal year that does not start in January is named after the calendar year in which it
ends (the usual convention: a year starting in February 2026 is FY2027). Keys are parsed
leniently (``fy2027-q1``, ``2027-Q1`` and ``FY2027-Q1`` are the same quarter) and always
formatted one way, so a key read back from a URL or a quota row compares equal.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from django.conf import settings

PeriodKind = Literal["month", "quarter", "year"]
KINDS: tuple[PeriodKind, ...] = ("month", "quarter", "year")
_MONTHS_IN = {"month": 1, "quarter": 3, "year": 12}
_KEY = re.compile(
    r"^(?:(?P<fy>FY)?(?P<year>\d{4})(?:-Q(?P<quarter>[1-4]))?|(?P<myear>\d{4})-(?P<month>\d{2}))$",
    re.IGNORECASE,
)


def start_month_setting(start_month: int | None = None) -> int:
    start = start_month or settings.OPPORTUNE_FISCAL_YEAR_START_MONTH
    if not 1 <= start <= 12:
        raise ValueError(f"The fiscal year's first month must be 1-12, not {start}.")
    return int(start)


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + months
    return index // 12, index % 12 + 1


def _last_day(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


@dataclass(frozen=True)
class FiscalPeriod:
    """A month, fiscal quarter or fiscal year: its kind, first and last day, and key."""

    kind: PeriodKind
    start: dt.date
    end: dt.date
    fiscal_year: int
    number: int  # the calendar month (1-12), the quarter (1-4), or 0 for a year
    start_month: int

    @property
    def key(self) -> str:
        prefix = "" if self.start_month == 1 else "FY"
        if self.kind == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        if self.kind == "quarter":
            return f"{prefix}{self.fiscal_year}-Q{self.number}"
        return f"{prefix}{self.fiscal_year}"

    @property
    def label(self) -> str:
        prefix = "" if self.start_month == 1 else "FY"
        if self.kind == "month":
            return self.start.strftime("%b %Y")
        if self.kind == "quarter":
            return f"Q{self.number} {prefix}{self.fiscal_year}"
        return f"{prefix}{self.fiscal_year}"

    def __str__(self) -> str:
        return self.key

    def __lt__(self, other: FiscalPeriod) -> bool:
        return (self.start, self.end) < (other.start, other.end)

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def shifted(self, count: int) -> FiscalPeriod:
        """The period ``count`` periods of the same kind later (earlier when negative)."""
        year, month = _add_months(self.start.year, self.start.month, count * _MONTHS_IN[self.kind])
        return period_containing(dt.date(year, month, 1), self.kind, self.start_month)

    def next(self) -> FiscalPeriod:
        return self.shifted(1)

    def previous(self) -> FiscalPeriod:
        return self.shifted(-1)

    def months(self) -> list[FiscalPeriod]:
        return periods_between(
            period_containing(self.start, "month", self.start_month),
            period_containing(self.end, "month", self.start_month),
        )


def fiscal_year_of(day: dt.date, start_month: int | None = None) -> int:
    """The fiscal year containing ``day``, named after the calendar year in which it ends."""
    start = start_month_setting(start_month)
    if start == 1:
        return day.year
    return day.year + 1 if day.month >= start else day.year


def period_containing(
    day: dt.date, kind: PeriodKind = "quarter", start_month: int | None = None
) -> FiscalPeriod:
    start = start_month_setting(start_month)
    if kind == "month":
        return FiscalPeriod(
            "month",
            day.replace(day=1),
            _last_day(day.year, day.month),
            fiscal_year_of(day, start),
            day.month,
            start,
        )
    months_into_year = (day.month - start) % 12
    if kind == "quarter":
        number, months_back, length = months_into_year // 3 + 1, months_into_year % 3, 3
    elif kind == "year":
        number, months_back, length = 0, months_into_year, 12
    else:
        raise ValueError(f"Unknown period kind '{kind}'.")
    first_year, first_month = _add_months(day.year, day.month, -months_back)
    last_year, last_month = _add_months(first_year, first_month, length - 1)
    return FiscalPeriod(
        kind,
        dt.date(first_year, first_month, 1),
        _last_day(last_year, last_month),
        fiscal_year_of(day, start),
        number,
        start,
    )


def _fiscal_year_start(fiscal_year: int, start: int) -> dt.date:
    return dt.date(fiscal_year if start == 1 else fiscal_year - 1, start, 1)


def parse_period(key: str, start_month: int | None = None) -> FiscalPeriod:
    """The period a key names; ``ValueError`` with a readable message when it names none."""
    start = start_month_setting(start_month)
    found = _KEY.match(key.strip())
    if found is None:
        raise ValueError(
            f"'{key}' is not a period: use a month like 2026-11, a quarter like "
            f"{'2026-Q4' if start == 1 else 'FY2027-Q1'}, or a year like "
            f"{'2026' if start == 1 else 'FY2027'}."
        )
    if found["month"]:
        month = int(found["month"])
        if not 1 <= month <= 12:
            raise ValueError(f"'{key}' names no month: months run from 01 to 12.")
        return period_containing(dt.date(int(found["myear"]), month, 1), "month", start)
    first_day = _fiscal_year_start(int(found["year"]), start)
    if found["quarter"]:
        year, month = _add_months(first_day.year, first_day.month, 3 * (int(found["quarter"]) - 1))
        return period_containing(dt.date(year, month, 1), "quarter", start)
    return period_containing(first_day, "year", start)


MAX_PERIODS = 240


def periods_between(first: FiscalPeriod, last: FiscalPeriod) -> list[FiscalPeriod]:
    """Every period from ``first`` to ``last`` inclusive; both must be of one kind, in order."""
    if first.kind != last.kind:
        raise ValueError(f"A range runs from a {first.kind} to a {first.kind}, not a {last.kind}.")
    if last < first:
        raise ValueError(f"The range ends ({last.key}) before it starts ({first.key}).")
    found = [first]
    while found[-1] != last:
        if len(found) >= MAX_PERIODS:
            raise ValueError(f"A range holds at most {MAX_PERIODS} periods.")
        found.append(found[-1].next())
    return found


def fiscal_quarter_end(day: dt.date, start_month: int | None = None) -> dt.date:
    """Last day of the fiscal quarter that contains ``day``."""
    return period_containing(day, "quarter", start_month).end
