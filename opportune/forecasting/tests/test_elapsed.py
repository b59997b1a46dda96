"""``elapsed`` (the funnel's time to convert) gives, natively on SQLite, the exact
microseconds Django's own subtraction gives: with and without a stored fraction of a second,
across a leap day and a daylight-saving change, negative too."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import Company
from opportune.forecasting.elapsed import elapsed
from opportune.leads.models import Lead

pytestmark = pytest.mark.django_db

UTC = dt.UTC
PAIRS = [
    (dt.datetime(2025, 1, 23, 10, tzinfo=UTC), dt.datetime(2025, 1, 26, 10, 0, 0, 123456, UTC)),
    (dt.datetime(2025, 1, 23, 10, 0, 0, 999999, UTC), dt.datetime(2025, 1, 26, 10, tzinfo=UTC)),
    (dt.datetime(2024, 2, 28, 23, 0, 0, 1, UTC), dt.datetime(2024, 3, 30, 1, 59, 59, 500000, UTC)),
    (dt.datetime(2031, 1, 1, 0, 0, 0, 1, UTC), dt.datetime(1999, 12, 31, 23, 59, 59, 999999, UTC)),
    (dt.datetime(2025, 3, 29, 12, 0, 0, 10, UTC), dt.datetime(2025, 3, 30, 12, 0, 0, 9, UTC)),
]


def test_elapsed_is_the_exact_difference_in_microseconds(company: Company) -> None:
    expected = {}
    for created, converted in PAIRS:
        lead = company.lead(company.alice)
        Lead.objects.filter(pk=lead.pk).update(created_at=created, converted_at=converted)
        expected[lead.pk] = converted - created
    found = dict(
        Lead.objects.filter(pk__in=expected)
        .annotate(spent=elapsed("converted_at", "created_at"))
        .values_list("pk", "spent")
    )
    assert found == expected
