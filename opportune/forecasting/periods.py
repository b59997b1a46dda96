"""Reading the periods a forecast or report asks for; the calendar itself is ``opportune.fiscal``.

Every entry point (API, UI, CLI) goes through these, so a bad key gets the same message
everywhere: a field error naming the parameter.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from opportune.errors import field_error
from opportune.fiscal import (
    FiscalPeriod,
    PeriodKind,
    parse_period,
    period_containing,
    periods_between,
)


def period_from(key: str, field: str = "period") -> FiscalPeriod:
    try:
        return parse_period(key)
    except ValueError as exc:
        raise field_error(field, str(exc)) from exc


def period_range(first: str, last: str | None = None) -> list[FiscalPeriod]:
    """The periods from ``first`` to ``last`` (inclusive); only ``first`` when ``last`` is None."""
    start = period_from(first, "period")
    if not last:
        return [start]
    end = period_from(last, "to")
    try:
        return periods_between(start, end)
    except ValueError as exc:
        raise field_error("to", str(exc)) from exc


def current_period(kind: PeriodKind = "quarter", today: dt.date | None = None) -> FiscalPeriod:
    return period_containing(today or timezone.localdate(), kind)
