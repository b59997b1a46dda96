"""A stored build (stage stays, daily snapshots) never misses a write that was in flight
while it ran.

PostgreSQL hands out ids at insert but shows rows at commit: a write holding id 10 may
commit after another holding id 11. Were a build to take id 11 as its mark while id 10 was
still uncommitted, that write would be neither in the build nor newer than its mark, and
the stored figures would stay wrong for good. Each test holds such a write open, commits a
newer one, runs the build, and lets the held write commit only once the build waits for it
(or has finished without waiting: the bug). SQLite has one writer at a time, so the tests
are PostgreSQL's.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.db import connection, transaction

from conftest import Company
from opportune.forecasting import snapshots, stays
from opportune.opportunities.models import Opportunity
from opportune.opportunities.services import change_opportunity
from tests.concurrency import another_session_waits_for_a_lock, wait_until

from .analytics_pins import seeded_world
from .conftest import timeline
from .test_snapshots import ALL_DAYS, FIRST, assert_same_as_replay, random_days
from .test_stays import assert_time_in_stage_exact

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="commit order against id order is a PostgreSQL matter: set DATABASE_URL",
    ),
    pytest.mark.django_db(transaction=True),
]

D = dt.date


def race(
    held_write: Callable[[], object], newer_write: Callable[[], object], build: Callable[[], object]
) -> None:
    """``held_write`` in a transaction left open; ``newer_write`` committed meanwhile (a
    higher id); ``build`` run; the held write commits once the build waits or is done."""
    written, built = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def hold() -> None:
        try:
            with transaction.atomic():
                held_write()
                written.set()
                wait_until(
                    lambda: built.is_set() or another_session_waits_for_a_lock(),
                    "the build to wait for the write in flight, or to finish",
                )
        except BaseException as failure:  # reported by the test, not lost in the thread
            failures.append(failure)
            written.set()
        finally:
            connection.close()

    def run_build() -> None:
        try:
            build()
        except BaseException as failure:
            failures.append(failure)
        finally:
            built.set()
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert written.wait(timeout=20)
    newer_write()
    builder = threading.Thread(target=run_build)
    builder.start()
    holder.join(timeout=30)
    builder.join(timeout=30)
    assert not failures, failures
    assert not holder.is_alive() and not builder.is_alive()


def test_a_stage_move_in_flight_during_a_stays_refresh_is_never_missed(company: Company) -> None:
    close = D(2026, 3, 31)
    first = timeline(
        company, company.alice, [(D(2025, 11, 3), "prospecting", "1000", close)], "Held"
    )
    second = timeline(
        company, company.bob, [(D(2025, 11, 4), "prospecting", "2000", close)], "Newer"
    )
    stays.rebuild()
    race(
        lambda: change_opportunity(company.ada, first, {"stage": "proposal"}),
        lambda: change_opportunity(company.ada, second, {"stage": "proposal"}),
        stays.refresh,
    )
    assert_time_in_stage_exact(company)


def test_a_reassignment_in_flight_during_a_snapshot_refresh_is_never_missed(
    company: Company,
) -> None:
    seeded_world(company)
    snapshots.build(ALL_DAYS)
    open_deals = Opportunity.objects.filter(is_closed=False).order_by("pk")
    held = open_deals.filter(owner=company.alice)[0]
    newer = open_deals.filter(owner=company.bob)[0]
    race(
        lambda: change_opportunity(company.ada, held, {"owner_id": company.charlie.pk}),
        lambda: change_opportunity(company.ada, newer, {"owner_id": company.charlie.pk}),
        lambda: snapshots.refresh(since=FIRST),
    )
    assert_same_as_replay(company, random_days(7))
