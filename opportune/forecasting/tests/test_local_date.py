"""The local day on SQLite without a Python function per row: the zone's offsets and the
moments they change, to the minute (the SQL's CASE is built from them)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from opportune.forecasting.local_date import transitions


def test_daylight_saving_changes_are_found_to_the_minute() -> None:
    start, changes = transitions(
        ZoneInfo("America/New_York"), dt.date(2026, 3, 1), dt.date(2026, 11, 30)
    )
    assert start == -300  # EST
    assert changes == [
        (dt.datetime(2026, 3, 8, 7, 0, tzinfo=dt.UTC), -240),  # 02:00 EST: clocks go forward
        (dt.datetime(2026, 11, 1, 6, 0, tzinfo=dt.UTC), -300),  # 02:00 EDT: clocks go back
    ]


def test_a_zone_without_changes_has_one_offset_in_minutes() -> None:
    start, changes = transitions(
        ZoneInfo("Asia/Kathmandu"), dt.date(2020, 1, 1), dt.date(2026, 12, 31)
    )
    assert (start, changes) == (345, [])
    assert transitions(ZoneInfo("UTC"), dt.date(2026, 1, 1), dt.date(2026, 12, 31)) == (0, [])
