"""The local day on SQLite without a Python function per row: the zone's offsets and the
moments they change, to the minute (the SQL's CASE is built from them), and the day it gives."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db.models.functions import TruncDate
from django.utils import timezone

from conftest import Company
from opportune.forecasting.local_date import LocalDate, transitions
from opportune.opportunities.models import Opportunity


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


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kathmandu"])
def test_the_local_day_is_django_s_in_every_kind_of_zone(company: Company, zone: str) -> None:
    """The SQL day (on SQLite: the text's date part in UTC, ``date()`` shifted otherwise) is
    the day Django's ``TruncDate`` gives, on both sides of midnight and of a clock change."""
    moments = [
        dt.datetime(2026, 3, 7, 23, 59, 59, 999999, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 8, 0, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 8, 6, 59, tzinfo=dt.UTC),  # New York: 01:59 EST
        dt.datetime(2026, 3, 8, 7, 0, tzinfo=dt.UTC),  # New York: 03:00 EDT
        dt.datetime(2026, 12, 31, 18, 14, tzinfo=dt.UTC),  # Kathmandu (+5:45): 23:59
        dt.datetime(2026, 12, 31, 18, 15, tzinfo=dt.UTC),  # Kathmandu: next year
    ]
    for moment in moments:
        deal = company.opportunity(company.alice)
        Opportunity.objects.filter(pk=deal.pk).update(created_at=moment)
    with timezone.override(ZoneInfo(zone)):
        days = Opportunity.objects.annotate(
            local=LocalDate("created_at", dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
            django=TruncDate("created_at"),
        ).values_list("local", "django")
        found = list(days)
    assert len(found) == len(moments)
    assert [local for local, _ in found] == [django for _, django in found]
