"""Today's pipeline is the newest stored day's plus the deals changed since: exactly what the
history gives for the end of today, for every viewer and period; a stored day that a later
write made stale (a deal reassigned or deleted since it was built) is not a base, and then
the deals are read as they stand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from pytest import MonkeyPatch
from pytest_django import DjangoAssertNumQueries

from conftest import Company
from opportune.audit.bin import delete_record
from opportune.forecasting import snapshots, today
from opportune.forecasting.asof import pipeline_as_of
from opportune.opportunities.models import Opportunity
from opportune.opportunities.services import change_opportunity

from .analytics_pins import DAYS, seeded_world
from .conftest import timeline, viewers
from .test_snapshots import CHECKED_PERIODS, figures, replayed

pytestmark = pytest.mark.django_db

IN_Q1 = dt.date(2026, 3, 15)  # a close date inside the checked periods
IN_Q2 = dt.date(2026, 5, 20)


def changed_today(company: Company) -> None:
    """Today's writes after yesterday's build: moves between stages and categories, an
    amount, close dates into and out of the periods, a win, a loss, new deals (one unowned),
    a deal deleted and one created and then deleted."""
    deals = list(Opportunity.objects.filter(is_closed=False).order_by("pk"))
    assert len(deals) >= 6
    change_opportunity(company.ada, deals[0], {"amount": Decimal("777.00")})
    change_opportunity(company.ada, deals[1], {"stage": "closed_won", "close_date": IN_Q2})
    change_opportunity(
        company.ada, deals[2], {"stage": "closed_lost", "lost_reason": "price", "close_date": IN_Q1}
    )
    change_opportunity(company.ada, deals[3], {"close_date": IN_Q1, "stage": "proposal"})
    change_opportunity(company.ada, deals[4], {"forecast_category": "omitted"})
    change_opportunity(company.ada, deals[5], {"close_date": dt.date(2027, 1, 15)})
    company.opportunity(company.bob, stage_key="qualification", close_date=IN_Q2)
    company.opportunity(None, stage_key="proposal", close_date=IN_Q1, amount=Decimal("50.00"))
    gone = company.opportunity(company.alice, stage_key="proposal", close_date=IN_Q1)
    delete_record(company.ada, gone)


def assert_today_as_replayed(company: Company) -> None:
    day = timezone.localdate()
    for viewer in viewers(company).values():
        for period in CHECKED_PERIODS:
            assert figures(pipeline_as_of(viewer, [day], period)) == figures(
                replayed(viewer, [day], period)
            ), (viewer.username, period)


def built_yesterday(company: Company) -> dt.date:
    """The seeded world, yesterday stored, then today's writes; yesterday."""
    seeded_world(company)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    snapshots.build([yesterday])
    changed_today(company)
    return yesterday


def test_today_is_yesterdays_stored_pipeline_plus_the_deals_changed_since(
    company: Company,
) -> None:
    yesterday = built_yesterday(company)
    assert today.base(timezone.localdate()) == yesterday
    assert_today_as_replayed(company)


def test_an_older_stored_day_is_a_base_too_and_a_week_old_one_is_not(company: Company) -> None:
    seeded_world(company)
    day = timezone.localdate()
    snapshots.build([day - dt.timedelta(days=today.OLDEST + 1)])
    assert today.base(day) is None
    snapshots.build([day - dt.timedelta(days=3)])
    changed_today(company)
    assert today.base(day) == day - dt.timedelta(days=3)
    assert_today_as_replayed(company)


def test_the_newest_stored_day_is_checked_against_its_own_marks(company: Company) -> None:
    """A day built earlier has an older mark: history written after it, dated before
    yesterday's end, does not make yesterday (built after it) stale."""
    seeded_world(company)
    day = timezone.localdate()
    snapshots.build([day - dt.timedelta(days=3)])
    two_days_ago = day - dt.timedelta(days=2)
    timeline(company, company.bob, [(two_days_ago, "proposal", "900", IN_Q2)], "Since then")
    snapshots.build([day - dt.timedelta(days=1)])
    changed_today(company)
    assert today.base(day) == day - dt.timedelta(days=1)
    assert_today_as_replayed(company)


def test_a_deal_reassigned_since_the_build_makes_today_read_the_deals_as_they_stand(
    company: Company,
) -> None:
    built_yesterday(company)
    deal = Opportunity.objects.filter(owner=company.alice, is_closed=False).first()
    assert deal is not None
    change_opportunity(company.ada, deal, {"owner_id": company.charlie.pk})  # East -> West
    assert today.base(timezone.localdate()) is None
    assert_today_as_replayed(company)


def test_without_a_stored_day_today_reads_the_deals_as_they_stand(company: Company) -> None:
    seeded_world(company)
    changed_today(company)
    assert today.base(timezone.localdate()) is None
    assert_today_as_replayed(company)


def test_a_report_reading_an_older_stored_day_with_today_still_starts_today_from_yesterday(
    company: Company, monkeypatch: MonkeyPatch
) -> None:
    """Asked together, a month-end built before later history was written would make
    yesterday look stale (the days are checked against their oldest mark): the base is asked
    for apart, and the waterfall from that month-end to today still starts from yesterday."""
    seeded_world(company)
    snapshots.build([DAYS[0]])
    later = [(dt.date(2026, 6, 1), "proposal", "900", dt.date(2026, 6, 30))]
    timeline(company, company.bob, later, "Written after the month-end's build")
    day = timezone.localdate()
    snapshots.build([day - dt.timedelta(days=1)])
    changed_today(company)
    yesterday = day - dt.timedelta(days=1)
    assert snapshots.fresh_days([DAYS[0], yesterday]) == {DAYS[0]}  # together: "stale"
    bases: list[dt.date] = []
    stored_then_changed = today.current

    def spied(*args: object) -> list[today.Group]:
        bases.append(args[-1])  # type: ignore[arg-type]
        return stored_then_changed(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(today, "current", spied)
    for viewer in viewers(company).values():
        for period in CHECKED_PERIODS:
            assert figures(pipeline_as_of(viewer, [DAYS[0], day], period)) == figures(
                replayed(viewer, [DAYS[0], day], period)
            ), (viewer.username, period)
    assert set(bases) == {yesterday}


def test_today_from_yesterday_is_a_fixed_number_of_statements_whatever_the_data(
    company: Company, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    seeded_world(company)
    snapshots.build([timezone.localdate() - dt.timedelta(days=1)])
    changed_today(company)
    pipeline_as_of(company.maria, [timezone.localdate()])  # her teams, now cached
    # the requested day's stored check; the base's stored days and the check for later
    # writes; the base's rows; the deals changed since
    with django_assert_num_queries(5):
        pipeline_as_of(company.maria, [timezone.localdate()])
    seeded_world(company, seed=12)
    changed_today(company)
    with django_assert_num_queries(5):
        pipeline_as_of(company.maria, [timezone.localdate()], CHECKED_PERIODS[1])
