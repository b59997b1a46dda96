"""Stored daily snapshots answer exactly what the history replay answers: for every viewer,
for any day and period, after deletes, restores, owner changes and back-dated history; and a
trend read from them is a fixed few statements."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from conftest import Company
from opportune.audit.bin import delete_record, restore_record
from opportune.fiscal import FiscalPeriod, parse_period
from opportune.forecasting import asof, snapshots
from opportune.forecasting.asof import PipelineSnapshot, pipeline_as_of, pipeline_changes
from opportune.forecasting.models import PipelineSnapshot as StoredRow
from opportune.forecasting.models import SnapshotDay
from opportune.identity.models import User
from opportune.opportunities.models import Opportunity, OpportunityHistory
from opportune.opportunities.services import change_opportunity

from .analytics_pins import DAYS, PERIODS, seeded_world
from .conftest import viewers

pytestmark = pytest.mark.django_db

D = dt.date
FIRST, LAST = D(2025, 12, 28), D(2026, 9, 30)
ALL_DAYS = [FIRST + dt.timedelta(days=i) for i in range((LAST - FIRST).days + 1)]
CHECKED_PERIODS: list[FiscalPeriod | None] = [None, PERIODS[0], PERIODS[1], parse_period("2026-03")]


def random_days(seed: int, count: int = 12) -> list[D]:
    return sorted(random.Random(seed).sample(ALL_DAYS, count))


def replayed(
    viewer: User, days: list[D], period: FiscalPeriod | None = None
) -> list[PipelineSnapshot]:
    """The reference: every day rebuilt from the history rows, no snapshot read."""
    found = [PipelineSnapshot(day, period) for day in days]
    rows = asof._rebuilt(
        viewer, days, period.start if period else None, period.end if period else None
    )
    for day, stage, category, tally in rows:
        asof._add(found[days.index(day)], stage, category, tally)
    return found


def figures(found: list[PipelineSnapshot]) -> list[object]:
    return [
        (s.day, s.total, sorted(s.by_stage.items()), sorted(s.by_category.items())) for s in found
    ]


def assert_same_as_replay(company: Company, days: list[D]) -> None:
    for who, viewer in viewers(company).items():
        for period in CHECKED_PERIODS:
            read = pipeline_as_of(viewer, days, period)
            assert figures(read) == figures(replayed(viewer, days, period)), (who, period)


def test_a_backfill_stores_what_the_replay_gives_on_random_days_for_every_viewer(
    company: Company,
) -> None:
    seeded_world(company)
    days = random_days(1) + DAYS
    assert snapshots.build(ALL_DAYS, now=timezone.now()) == len(ALL_DAYS)
    assert snapshots.fresh_days(days) == set(days)
    assert_same_as_replay(company, random_days(1))
    assert_same_as_replay(company, DAYS)
    assert any(replayed(company.ada, DAYS)[i].total.count for i in range(len(DAYS)))


def test_a_manager_reads_only_the_rows_of_owners_she_sees(company: Company) -> None:
    seeded_world(company)
    snapshots.build(DAYS)
    [admin] = pipeline_as_of(company.ada, DAYS[2:3])
    [west] = pipeline_as_of(company.charlie, DAYS[2:3])
    [maria] = pipeline_as_of(company.maria, DAYS[2:3])
    [mark] = pipeline_as_of(company.mark, DAYS[2:3])
    assert west.total.count > 0 and maria.total.count > 0
    assert maria.total.count == admin.total.count - west.total.count
    assert mark.total.count == 0


def test_the_backfill_is_idempotent(company: Company) -> None:
    seeded_world(company)
    snapshots.build(DAYS)
    first = sorted(StoredRow.objects.values_list("day", "owner", "stage", "count", "amount"))
    assert snapshots.build(DAYS) == len(DAYS)
    again = sorted(StoredRow.objects.values_list("day", "owner", "stage", "count", "amount"))
    assert first == again and first
    assert SnapshotDay.objects.count() == len(DAYS)


def test_a_deleted_deal_makes_its_days_stale_and_the_read_stays_exact(company: Company) -> None:
    seeded_world(company)
    snapshots.build(ALL_DAYS)
    deal = Opportunity.objects.order_by("pk").first()
    assert deal is not None
    first_row = deal.history.order_by("changed_at").values_list("changed_at", flat=True)[0]
    delete_record(company.ada, deal)
    fresh = snapshots.fresh_days(ALL_DAYS)
    assert all(snapshots.end_of_day(d) <= first_row for d in fresh)
    assert fresh  # the days before the deal existed stay stored
    assert_same_as_replay(company, random_days(2))
    snapshots.refresh(since=FIRST)
    assert snapshots.fresh_days(ALL_DAYS) == set(ALL_DAYS)
    assert_same_as_replay(company, random_days(3))
    restore_record(company.ada, "opportunity", deal.pk)
    assert snapshots.fresh_days(ALL_DAYS) != set(ALL_DAYS)
    assert_same_as_replay(company, random_days(4))
    snapshots.refresh(since=FIRST)
    assert_same_as_replay(company, random_days(4))


def test_a_new_owner_moves_the_deal_between_managers_views_at_once(company: Company) -> None:
    seeded_world(company)
    snapshots.build(ALL_DAYS)
    deal = Opportunity.objects.filter(owner=company.alice, is_closed=False).order_by("pk")[0]
    change_opportunity(company.ada, deal, {"owner_id": company.charlie.pk})
    assert snapshots.fresh_days(ALL_DAYS) != set(ALL_DAYS)
    assert_same_as_replay(company, random_days(5))
    snapshots.refresh(since=FIRST)
    assert snapshots.fresh_days(ALL_DAYS) == set(ALL_DAYS)
    assert_same_as_replay(company, random_days(5))


def test_back_dated_history_makes_the_days_after_it_stale(company: Company) -> None:
    seeded_world(company)
    snapshots.build(ALL_DAYS)
    deal = Opportunity.objects.filter(is_closed=False).order_by("pk")[0]
    newest = deal.history.order_by("-changed_at", "-pk")[0]
    back = timezone.make_aware(dt.datetime(2026, 2, 15, 12))
    OpportunityHistory.objects.create(
        opportunity=deal,
        stage=newest.stage,
        amount=Decimal("123456.78"),
        probability=newest.probability,
        close_date=D(2026, 3, 20),
        forecast_category=newest.forecast_category,
        changed_at=back,
    )
    fresh = snapshots.fresh_days(ALL_DAYS)
    assert D(2026, 2, 14) in fresh and D(2026, 2, 15) not in fresh
    assert_same_as_replay(company, [*random_days(6), D(2026, 2, 15), D(2026, 3, 1)])
    snapshots.refresh(since=FIRST)
    assert snapshots.fresh_days(ALL_DAYS) == set(ALL_DAYS)
    assert_same_as_replay(company, [D(2026, 2, 15), D(2026, 3, 1)])


def test_today_and_later_days_read_the_deals_as_they_stand(company: Company) -> None:
    seeded_world(company)
    today = timezone.localdate()
    days = [today, today + dt.timedelta(days=40)]
    for viewer in viewers(company).values():
        for period in CHECKED_PERIODS:
            assert figures(pipeline_as_of(viewer, days, period)) == figures(
                replayed(viewer, days, period)
            )


def test_changes_between_two_stored_days_equal_the_replayed_ones(company: Company) -> None:
    seeded_world(company)
    live = pipeline_changes(company.maria, DAYS[0], DAYS[-1])
    snapshots.build(DAYS)
    stored = pipeline_changes(company.maria, DAYS[0], DAYS[-1])
    assert (stored.start, stored.end, stored.flows) == (live.start, live.end, live.flows)
    assert [c.opportunity_id for c in stored.changes] == [c.opportunity_id for c in live.changes]


def test_a_trend_read_from_snapshots_is_three_statements_whatever_the_data(
    company: Company, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    seeded_world(company)
    snapshots.build(DAYS)
    pipeline_as_of(company.maria, DAYS)  # her teams, now cached
    # the stored days and their marks, the check for later writes, the rows
    with django_assert_num_queries(3):
        pipeline_as_of(company.maria, DAYS)
    seeded_world(company, seed=12)
    snapshots.build(DAYS)
    with django_assert_num_queries(3):
        pipeline_as_of(company.maria, DAYS, PERIODS[0])


def test_a_trend_ending_in_the_future_adds_a_statement_per_part_for_the_deals_as_they_stand(
    company: Company, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    """The deals as they stand are read in the parts a manager sees: her owners' deals and
    the unowned ones (forecasting/owners.py), after asking for a stored base of today's
    (forecasting/today.py: none of the last week's days is stored here)."""
    seeded_world(company)
    snapshots.build(DAYS)
    days = [*DAYS, timezone.localdate() + dt.timedelta(days=30)]
    pipeline_as_of(company.maria, days)
    with django_assert_num_queries(6):
        pipeline_as_of(company.maria, days)


def test_the_backfill_command_stores_a_range_and_then_only_stale_days(
    company: Company, capsys: pytest.CaptureFixture[str]
) -> None:
    from opportune.cli import main

    seeded_world(company)
    assert main(["snapshots", "backfill", "--since", "2026-02-01", "--until", "2026-02-28"]) == 0
    assert "of 28 days" in capsys.readouterr().out
    assert SnapshotDay.objects.count() == 28
    args = ["snapshots", "backfill", "--since", "2026-02-01", "--until", "2026-03-02"]
    assert main([*args, "--stale-only"]) == 0
    assert "of 2 days" in capsys.readouterr().out
