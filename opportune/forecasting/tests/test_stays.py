"""Stored stage stays and each deal's stored pipeline and furthest open stage (``DealReach``)
answer exactly what the history gives: time in stage (count, total, median, 80th percentile)
and win rates by stage reached, for every viewer, on random histories (stages revisited,
rows at the same instant), after a stage move, a pipeline move, a back-dated row, an import
of deals dated in the past, a delete, a restore and a reassignment (read live until the
refresh, stored exactly by it); the rebuild is idempotent and a read is still a fixed few
statements. (A lead merge touches no deal: only unconverted leads merge.)"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries, Settings

from conftest import Company
from opportune.audit.bin import delete_record, restore_record
from opportune.forecasting import stays
from opportune.forecasting.analytics import time_in_stage, win_rates
from opportune.forecasting.models import DealReach, StageStay, StayMark
from opportune.identity.models import User
from opportune.opportunities.models import Opportunity, OpportunityHistory, Stage
from opportune.opportunities.services import (
    change_opportunity,
    move_opportunities,
    reassign_opportunities,
)

from .analytics_pins import OPEN, PERIODS, seeded_world
from .conftest import Step, timeline, viewers

pytestmark = pytest.mark.django_db

D = dt.date
CLOSED = ["closed_won", "closed_lost"]


def random_histories(company: Company, seed: int, count: int = 25) -> None:
    """Deals wandering between stages, back as well as forth, some rows without a stage
    change, some closed, some reopened."""
    rng = random.Random(seed)
    owners = [company.alice, company.bob, company.charlie, company.maria]
    for number in range(count):
        day = D(2025, 10, 1) + dt.timedelta(days=rng.randrange(200))
        close = day + dt.timedelta(days=60)
        stage = rng.choice(OPEN)
        steps: list[Step] = [(day, stage, "1000", close)]
        for _ in range(rng.randrange(8)):
            day += dt.timedelta(days=rng.randrange(0, 30))
            draw = rng.random()
            stage = rng.choice(CLOSED) if draw < 0.15 else rng.choice(OPEN) if draw < 0.8 else stage
            steps.append((day, stage, str(rng.randrange(1, 90) * 100), close))
        timeline(company, rng.choice(owners), steps, f"Wander {seed}-{number:02d}")


def replayed_stays(viewer: User) -> dict[int, list[float]]:
    """The reference, in Python: each visible deal's history in order, a stay from each row
    whose stage differs from the previous row's to the next such row; finished stays' days
    per stage."""
    visible = set(Opportunity.objects.visible_to(viewer).values_list("pk", flat=True))
    rows: dict[int, list[tuple[int, dt.datetime]]] = defaultdict(list)
    for deal, stage, at in (
        OpportunityHistory.objects.filter(opportunity__in=visible)
        .order_by("opportunity", "changed_at", "pk")
        .values_list("opportunity", "stage", "changed_at")
    ):
        rows[deal].append((stage, at))
    found: dict[int, list[float]] = defaultdict(list)
    for history in rows.values():
        starts = [r for i, r in enumerate(history) if i == 0 or history[i - 1][0] != r[0]]
        for (stage, entered), (_, left) in itertools.pairwise(starts):
            found[stage].append((left - entered).total_seconds() / 86400)
    return found


def assert_time_in_stage_exact(company: Company) -> None:
    open_stages = set(Stage.objects.filter(is_closed=False).values_list("pk", flat=True))
    for who, viewer in viewers(company).items():
        expected = {k: sorted(v) for k, v in replayed_stays(viewer).items() if k in open_stages}
        read = {s.stage_id: s for s in time_in_stage(viewer)}
        assert set(read) == set(expected), who
        for stage, days in expected.items():
            n = len(days)
            entry = read[stage]
            assert entry.stays == n, (who, stage)
            assert abs(float(entry.total_days) - sum(days)) < 1e-6, (who, stage)
            median = (days[(n + 1) // 2 - 1] + days[(n + 2) // 2 - 1]) / 2
            assert abs(float(entry.median_days or 0) - median) <= 0.005, (who, stage)
            assert abs(float(entry.usual_days or 0) - days[(4 * n + 4) // 5 - 1]) <= 0.005


def rates_by_stage(viewer: User) -> list[tuple[str, int, int, Decimal]]:
    return [
        (r.key, r.won, r.lost, r.won_amount)
        for periods in (None, PERIODS)
        for r in win_rates(viewer, periods, "stage")
    ]


def live_rates_by_stage(company: Company) -> dict[str, list[tuple[str, int, int, Decimal]]]:
    """Win rates by stage reached with nothing stored: every deal read from its history (the
    statement as it was before the stays)."""
    saved = list(StayMark.objects.values_list("history_upto", "changes_upto", "built_at"))
    StayMark.objects.all().delete()
    found = {who: rates_by_stage(viewer) for who, viewer in viewers(company).items()}
    for history_upto, changes_upto, built_at in saved:
        StayMark.objects.create(
            history_upto=history_upto, changes_upto=changes_upto, built_at=built_at
        )
    return found


def assert_stage_reached_exact(company: Company) -> None:
    expected = live_rates_by_stage(company)
    for who, viewer in viewers(company).items():
        assert rates_by_stage(viewer) == expected[who], who


Reach = tuple[int, int | None, int | None, D | None, bool, Decimal | None]


def replayed_reach() -> dict[int, Reach]:
    """The reference, in Python: each live deal with history, its pipeline and the highest
    order among the open stages of its history rows (None if never in one); its owner, and,
    closed, its close date, whether it was won and its amount (empty close date if open)."""
    found: dict[int, Reach] = {}
    for deal, pipeline, owner, closed, close_date, won, amount in Opportunity.objects.filter(
        history__isnull=False
    ).values_list("pk", "pipeline_id", "owner_id", "is_closed", "close_date", "is_won", "amount"):
        found[deal] = (pipeline, None, owner, close_date if closed else None, won, amount)
    for deal, order in OpportunityHistory.objects.filter(
        opportunity__in=list(found), stage__is_closed=False
    ).values_list("opportunity", "stage__order"):
        pipeline, furthest, *rest = found[deal]
        found[deal] = (pipeline, order if furthest is None else max(furthest, order), *rest)  # type: ignore[assignment]
    return found


def assert_reach_stored_exact() -> None:
    """After a build or refresh (nothing dirty), the stored reach is the replayed one."""
    assert dirty_count() == 0
    stored = {
        deal: rest
        for deal, *rest in DealReach.objects.values_list(
            "opportunity", "pipeline", "furthest_order", "owner", "closed_on", "is_won", "amount"
        )
    }
    assert stored == {deal: list(reach) for deal, reach in replayed_reach().items()}


def dirty_count() -> int:
    dirty, params = stays.dirty_ids()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({dirty}) d", params)
        (count,) = cursor.fetchone()
    return int(count)


@pytest.fixture
def world(company: Company) -> Company:
    seeded_world(company)
    random_histories(company, seed=3)
    return company


def test_stored_stays_give_the_replayed_time_in_stage_for_every_viewer(world: Company) -> None:
    assert_time_in_stage_exact(world)  # nothing stored: every deal read live
    assert stays.rebuild() == StageStay.objects.count() > 0
    assert dirty_count() == 0
    assert_reach_stored_exact()
    assert_time_in_stage_exact(world)
    assert_stage_reached_exact(world)
    assert any(r[1] for r in rates_by_stage(world.ada))  # some deal was won


def test_a_manager_reads_only_the_stays_of_owners_she_sees(world: Company) -> None:
    stays.rebuild()
    admin = {s.stage_id: s.stays for s in time_in_stage(world.ada)}
    west = {s.stage_id: s.stays for s in time_in_stage(world.charlie)}
    maria = {s.stage_id: s.stays for s in time_in_stage(world.maria)}
    assert sum(west.values()) > 0 and sum(maria.values()) > 0
    assert sum(maria.values()) == sum(admin.values()) - sum(west.values())
    assert time_in_stage(world.mark) == []


def test_the_rebuild_is_idempotent(world: Company) -> None:
    stays.rebuild()
    first = sorted(StageStay.objects.values_list("opportunity", "stage", "entered_at", "days"))
    stays.rebuild()
    again = sorted(StageStay.objects.values_list("opportunity", "stage", "entered_at", "days"))
    assert first == again and first
    assert StayMark.objects.count() == 1


def test_a_stage_move_after_the_build_is_read_live_then_stored_by_the_refresh(
    world: Company,
) -> None:
    stays.rebuild()
    deal = Opportunity.objects.filter(is_closed=False, owner=world.alice).order_by("pk")[0]
    later = Stage.objects.filter(is_closed=False, pipeline=deal.pipeline).exclude(pk=deal.stage_id)[
        0
    ]
    change_opportunity(world.ada, deal, {"stage": later.key})
    assert dirty_count() == 1
    assert_time_in_stage_exact(world)
    assert_stage_reached_exact(world)
    assert stays.refresh() == 1
    assert_reach_stored_exact()
    assert_time_in_stage_exact(world)
    assert_stage_reached_exact(world)


def test_a_back_dated_history_row_is_read_live_and_exact(world: Company) -> None:
    stays.rebuild()
    deal = Opportunity.objects.filter(is_closed=True).order_by("pk")[0]
    first = deal.history.order_by("changed_at", "pk")[0]
    other = Stage.objects.filter(is_closed=False, pipeline=deal.pipeline).exclude(
        pk=first.stage_id
    )[0]
    OpportunityHistory.objects.create(
        opportunity=deal,
        stage=other,
        amount=Decimal("10"),
        probability=10,
        close_date=first.close_date,
        forecast_category=first.forecast_category,
        changed_at=first.changed_at + dt.timedelta(hours=5),
    )
    assert dirty_count() == 1
    assert_time_in_stage_exact(world)
    assert_stage_reached_exact(world)
    stays.refresh()
    assert_reach_stored_exact()
    assert_time_in_stage_exact(world)
    assert_stage_reached_exact(world)


def test_deleted_restored_and_reassigned_deals_leave_and_join_views_at_once(
    world: Company,
) -> None:
    stays.rebuild()
    alices = Opportunity.objects.filter(owner=world.alice).order_by("pk")
    gone, moved, handed = alices[0], alices[1], alices[2]
    delete_record(world.ada, gone)
    change_opportunity(world.ada, moved, {"owner_id": world.charlie.pk})
    reassign_opportunities(world.ada, [handed.pk], world.bob.pk)  # the bulk reassignment
    assert dirty_count() == 3
    assert_time_in_stage_exact(world)
    assert_stage_reached_exact(world)
    stays.refresh()
    assert_reach_stored_exact()
    assert not StageStay.objects.filter(opportunity=gone).exists()
    assert not DealReach.objects.filter(opportunity=gone).exists()
    assert set(StageStay.objects.filter(opportunity=moved).values_list("owner", flat=True)) == {
        world.charlie.pk
    }
    assert_time_in_stage_exact(world)
    restore_record(world.ada, "opportunity", gone.pk)
    assert dirty_count() == 1
    assert_time_in_stage_exact(world)
    assert_stage_reached_exact(world)
    stays.refresh()
    assert_reach_stored_exact()
    assert_time_in_stage_exact(world)
    assert_stage_reached_exact(world)


def test_closing_reopening_losing_and_changing_amount_or_close_date_are_read_live_then_stored(
    world: Company,
) -> None:
    """The stored reach holds each closed deal's close date, outcome, amount and owner, so
    that a whole company's win rates by stage reached group from its index alone: a deal won,
    re-opened, lost, its amount or close date changed, deleted or reassigned after the build
    is read live (each writes a history row or an owner or bin change: dirty), for the admin,
    a VP (a manager over every team: a list of every owner) and a region's manager alike,
    and the refresh stores it exactly."""
    from opportune.identity.models import Role, Team

    vp = User.objects.create_user(username="vp", role=Role.SALES_MANAGER, team=world.sales)
    Team.objects.filter(pk=world.sales.pk).update(manager=vp)
    who = {"admin": world.ada, "vp": vp, "manager": world.maria, "rep": world.alice}
    stays.rebuild()

    def assert_exact() -> None:
        saved = list(StayMark.objects.values_list("history_upto", "changes_upto", "built_at"))
        StayMark.objects.all().delete()  # nothing stored: every deal read from its history
        expected = {name: rates_by_stage(viewer) for name, viewer in who.items()}
        for history_upto, changes_upto, built_at in saved:
            StayMark.objects.create(
                history_upto=history_upto, changes_upto=changes_upto, built_at=built_at
            )
        assert {name: rates_by_stage(viewer) for name, viewer in who.items()} == expected
        assert rates_by_stage(vp) == rates_by_stage(world.ada)  # the VP sees every deal

    alices = list(Opportunity.objects.filter(owner=world.alice, is_closed=False).order_by("pk"))
    won, reopened, lost, resized, moved, gone = alices[:6]
    change_opportunity(world.ada, won, {"stage": "closed_won"})
    change_opportunity(world.ada, reopened, {"stage": "closed_won"})
    assert_exact()
    stays.refresh()
    assert_reach_stored_exact()
    change_opportunity(world.ada, reopened, {"stage": "negotiation"})
    change_opportunity(world.ada, lost, {"stage": "closed_lost", "lost_reason": "price"})
    change_opportunity(world.ada, resized, {"stage": "closed_won"})
    change_opportunity(world.ada, moved, {"stage": "closed_won"})
    change_opportunity(world.ada, gone, {"stage": "closed_lost", "lost_reason": "price"})
    stays.refresh()
    assert_reach_stored_exact()
    change_opportunity(world.ada, resized, {"amount": "123456.78"})
    change_opportunity(world.ada, won, {"close_date": "2025-11-03"})
    reassign_opportunities(world.ada, [moved.pk], world.charlie.pk)
    delete_record(world.ada, gone)
    assert dirty_count() == 4  # four deals
    assert_exact()
    stays.refresh()
    assert_reach_stored_exact()
    assert_exact()
    assert DealReach.objects.get(opportunity=resized).amount == Decimal("123456.78")
    assert DealReach.objects.get(opportunity=reopened).closed_on is None
    assert not DealReach.objects.filter(opportunity=gone).exists()


def test_random_worlds_stay_exact_through_writes_and_refreshes(company: Company) -> None:
    random_histories(company, seed=21, count=40)
    stays.rebuild(now=timezone.now())
    rng = random.Random(5)
    for _ in range(3):
        random_histories(company, seed=rng.randrange(1000), count=4)  # new deals, not stored
        deal = rng.choice(list(Opportunity.objects.order_by("pk")))
        stage = rng.choice(list(Stage.objects.filter(pipeline=deal.pipeline, is_closed=False)))
        if stage.pk != deal.stage_id:  # a bulk move, as the kanban's
            move_opportunities(company.ada, [deal.pk], stage.key)
        assert_time_in_stage_exact(company)
        assert_stage_reached_exact(company)
        stays.refresh()
        assert_reach_stored_exact()
        assert_time_in_stage_exact(company)
        assert_stage_reached_exact(company)


def test_a_deal_moved_to_another_pipeline_is_counted_in_its_new_pipeline(
    world: Company,
) -> None:
    from opportune.opportunities.tests.test_pipeline_move import _renewals

    _renewals()
    stays.rebuild()
    deal = Opportunity.objects.filter(is_closed=False, owner=world.alice).order_by("pk")[0]
    change_opportunity(world.ada, deal, {"pipeline": "renewals", "stage": "committed"})
    change_opportunity(world.ada, deal, {"stage": "renewed"})
    assert_stage_reached_exact(world)
    stays.refresh()
    assert_reach_stored_exact()
    assert DealReach.objects.get(opportunity=deal).pipeline.key == "renewals"
    assert_stage_reached_exact(world)
    assert any(r[0].startswith("renewals:") for r in rates_by_stage(world.ada))


def test_imported_deals_dated_in_the_past_are_read_live_then_stored_exactly(
    world: Company, settings: Settings, tmp_path: Path
) -> None:
    from opportune.imports.tests.helpers import run_import

    settings.DATA_DIR = tmp_path  # the upload lands in the test's own directory
    stays.rebuild()
    run_import(world.ada, "Name\nAcme Corporation\n", "accounts")
    job = run_import(
        world.ada,
        "Name,Account,Stage,Amount,Close Date,Create Date\n"
        "Old win,Acme Corporation,closed_won,500,2025-11-30,2025-10-01\n"
        "Old open,Acme Corporation,proposal,700,2099-06-30,2025-10-02\n",
        "opportunities",
    )
    assert job.created == 2
    assert dirty_count() == 2
    assert_time_in_stage_exact(world)
    assert_stage_reached_exact(world)
    stays.refresh()
    assert_reach_stored_exact()
    assert_time_in_stage_exact(world)
    assert_stage_reached_exact(world)


def test_live_stays_landing_among_many_equal_stored_ones_give_the_exact_ranks(
    company: Company,
) -> None:
    """The percentiles' second step reads only the stored stays near each rank of its
    whole-day bucket and merges the dirty deals' live stays there: stored stays of exactly 3
    days fill the bucket, then new deals add live stays of 3.1 to 3.9 days in it, and
    shorter and longer ones, and every rank still matches the replay (bucketed for a manager,
    one bucket per stage for the admin)."""
    start = D(2025, 11, 1)
    for number in range(12):
        owner = company.alice if number % 2 else company.charlie
        timeline(
            company,
            owner,
            [(start, "qualification", "100", D(2026, 3, 1)),
             (start + dt.timedelta(days=3), "proposal", "100", D(2026, 3, 1))],
            f"Even {number}",
        )  # fmt: skip
    stays.rebuild()
    qualification = Stage.objects.get(pipeline__is_default=True, key="qualification")
    proposal = Stage.objects.get(pipeline__is_default=True, key="proposal")
    for number, hours in enumerate([74, 77, 80, 86, 93, 30, 200, 72]):
        deal = timeline(
            company,
            company.alice if number % 3 else company.charlie,
            [(start, "qualification", "100", D(2026, 3, 1))],
            f"Live {number}",
        )
        entered = deal.history.get().changed_at
        OpportunityHistory.objects.create(
            opportunity=deal,
            stage=proposal,
            amount=Decimal("100"),
            probability=50,
            close_date=D(2026, 3, 1),
            forecast_category="pipeline",
            changed_at=entered + dt.timedelta(hours=hours),
        )
    assert dirty_count() == 8
    assert_time_in_stage_exact(company)
    read = {s.stage_id: s for s in time_in_stage(company.ada)}
    assert read[qualification.pk].stays == 20
    stays.refresh()
    assert_time_in_stage_exact(company)


def test_time_in_stage_from_stored_stays_is_four_statements_whatever_the_data(
    company: Company, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    seeded_world(company)
    stays.rebuild()
    time_in_stage(company.maria)  # her teams, now cached
    # the stages, the dirty deals, the counts per whole-day bucket, the stays at the ranks
    with django_assert_num_queries(4):
        time_in_stage(company.maria)
    seeded_world(company, seed=12)
    stays.rebuild()
    with django_assert_num_queries(4):
        time_in_stage(company.maria)
    deal = Opportunity.objects.filter(owner=company.alice).order_by("pk")[0]
    change_opportunity(company.ada, deal, {"owner_id": company.bob.pk})  # a dirty deal
    with django_assert_num_queries(4):
        time_in_stage(company.maria)
    with django_assert_num_queries(3):  # the marks, the closed deals' furthest stage, stages
        win_rates(company.maria, PERIODS, "stage")


def test_the_stays_command_stores_every_deal_then_only_the_dirty_ones(
    world: Company, capsys: pytest.CaptureFixture[str]
) -> None:
    from opportune.cli import main

    assert main(["snapshots", "stays"]) == 0
    assert f"Stored {StageStay.objects.count()} stage stays" in capsys.readouterr().out
    deal = Opportunity.objects.filter(owner=world.alice).order_by("pk")[0]
    change_opportunity(world.ada, deal, {"owner_id": world.bob.pk})
    assert main(["snapshots", "stays", "--dirty-only"]) == 0
    assert "stays of 1 deals written since" in capsys.readouterr().out
    assert dirty_count() == 0


def test_the_daily_snapshot_task_also_refreshes_the_stays(world: Company) -> None:
    from opportune.forecasting.snapshots import refresh_snapshots

    stays.rebuild()
    deal = Opportunity.objects.filter(owner=world.alice).order_by("pk")[0]
    change_opportunity(world.ada, deal, {"owner_id": world.bob.pk})
    assert dirty_count() == 1
    refresh_snapshots.call()
    assert dirty_count() == 0
