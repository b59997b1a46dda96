"""The forecast runs a fixed number of queries, however many owners and deals it covers."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import Company
from opportune.fiscal import FiscalPeriod, parse_period
from opportune.forecasting.forecast import forecast_for
from opportune.forecasting.services import adjust_forecast, set_quota
from opportune.identity.models import User

from .conftest import deal

QUARTER = [parse_period("2026-Q4")]
YEAR = [parse_period(f"2026-Q{n}") for n in range(1, 5)]


def queries(viewer: User, periods: list[FiscalPeriod]) -> int:
    viewer = User.objects.get(pk=viewer.pk)  # no visibility cache carried over
    with CaptureQueriesContext(connection) as captured:
        forecast_for(viewer, periods)
    return len(captured)


def test_more_owners_and_deals_cost_no_more_queries(company: Company) -> None:
    deal(company, company.alice, "negotiation", "1")
    deal(company, company.bob, "negotiation", "1")
    set_quota(company.ada, company.alice.pk, "2026-Q4", Decimal("1"))
    adjust_forecast(company.maria, company.alice.pk, "2026-Q4", "commit", Decimal("1"))
    small = {
        viewer.username: (queries(viewer, QUARTER), queries(viewer, YEAR))
        for viewer in (company.ada, company.maria, company.bob)
    }
    for owner in (company.alice, company.bob, company.charlie, company.maria):
        for stage in ("prospecting", "proposal", "negotiation", "closed_won"):
            deal(company, owner, stage, "10")
        set_quota(company.ada, owner.pk, "2026-Q4", Decimal("1"))
        if owner != company.maria:
            adjust_forecast(company.maria, company.alice.pk, "2026-Q4", "best_case", Decimal("1"))
    large = {
        viewer.username: (queries(viewer, QUARTER), queries(viewer, YEAR))
        for viewer in (company.ada, company.maria, company.bob)
    }
    assert large == small
    assert max(n for pair in large.values() for n in pair) <= 5


def test_many_owners_are_named_without_a_long_in_list(company: Company) -> None:
    from opportune.forecasting.forecast import MAX_IN_LIST, directory

    wanted = {company.alice.pk, *range(10_000, 10_000 + MAX_IN_LIST)}
    with CaptureQueriesContext(connection) as captured:
        users, teams = directory(wanted)
    assert users == {company.alice.pk: ("Alice", company.east.pk)}
    assert set(teams) == {company.sales.pk, company.east.pk, company.west.pk}
    assert len(captured) == 1
    assert " IN (" not in captured[0]["sql"]
