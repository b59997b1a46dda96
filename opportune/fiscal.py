"""Fiscal calendar: quarters of a fiscal year whose first month is configurable."""

from __future__ import annotations

import calendar
import datetime as dt

from django.conf import settings


def fiscal_quarter_end(day: dt.date, start_month: int | None = None) -> dt.date:
    """Last day of the fiscal quarter that contains ``day``."""
    start = start_month or settings.OPPORTUNE_FISCAL_YEAR_START_MONTH
    months_into_year = (day.month - start) % 12
    months_left_in_quarter = 2 - months_into_year % 3
    month_index = day.month - 1 + months_left_in_quarter
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, calendar.monthrange(year, month)[1])
