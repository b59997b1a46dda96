"""Two people moving the same opportunity at once (two kanban drags): the changes are
serialized on the opportunity's row, both succeed, and the history chains them.

Row locks are a PostgreSQL matter: these tests are skipped on SQLite, where BEGIN IMMEDIATE
serializes every writer anyway.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone as django_timezone

from conftest import Company
from opportune.audit import services as audit_services
from opportune.opportunities import services
from opportune.opportunities.models import Opportunity, OpportunityHistory
from opportune.opportunities.services import change_opportunity
from tests.concurrency import another_session_waits_for_a_lock, hold_until_another_waits, wait_until

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks (SELECT FOR UPDATE) need PostgreSQL: set DATABASE_URL=postgres://...",
    ),
    pytest.mark.django_db(transaction=True),
]


def test_two_concurrent_stage_changes_both_apply_one_after_the_other(
    company: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    deal = company.opportunity(company.alice, stage_key="needs_analysis")
    snapshot = audit_services.snapshot
    first_in = threading.Event()

    def slow_snapshot(*args: Any, **kwargs: Any) -> Any:
        if not first_in.is_set():  # the first change in holds the lock till the other waits
            first_in.set()
            hold_until_another_waits()
        return snapshot(*args, **kwargs)

    monkeypatch.setattr(services, "snapshot", slow_snapshot)
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def move(actor: Any, stage: str) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[stage] = change_opportunity(actor, deal, {"stage": stage})
        except Exception as exc:
            outcomes[stage] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=move, args=(company.alice, "proposal")),
        threading.Thread(target=move, args=(company.maria, "negotiation")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert all(isinstance(o, Opportunity) for o in outcomes.values()), outcomes

    rows = list(OpportunityHistory.objects.filter(opportunity=deal).order_by("pk"))
    assert len(rows) == 3
    final = Opportunity.objects.select_related("stage").get(pk=deal.pk)
    assert rows[-1].stage_id == final.stage_id
    assert {rows[1].stage.key, rows[2].stage.key} == {"proposal", "negotiation"}


def test_history_is_stamped_in_the_order_the_changes_were_applied(
    company: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Maria reads the clock first, then Alice's change arrives: Maria's row must not carry
    a time before Alice's if it was applied after hers, or a pipeline rebuilt from history
    ends in the wrong stage. (Were the clock read before the lock, Alice would overtake
    Maria here and Maria's later change would carry the earlier time.)"""
    deal = company.opportunity(company.alice, stage_key="needs_analysis")
    maria_read_the_clock = threading.Event()
    alice_done = threading.Event()

    class Clock:
        @staticmethod
        def now() -> Any:
            stamped = django_timezone.now()
            if threading.current_thread().name == "maria":
                maria_read_the_clock.set()
                # Let Alice either overtake (no lock held) or queue behind Maria's lock.
                wait_until(
                    lambda: alice_done.is_set() or another_session_waits_for_a_lock(),
                    "Alice to finish or to wait for Maria's lock",
                )
            return stamped

    monkeypatch.setattr(services, "timezone", Clock)
    outcomes: dict[str, object] = {}

    def move(actor: Any, stage: str) -> None:
        try:
            outcomes[stage] = change_opportunity(actor, deal, {"stage": stage})
        except Exception as exc:
            outcomes[stage] = exc
        finally:
            if actor == company.alice:
                alice_done.set()
            connection.close()

    maria = threading.Thread(target=move, args=(company.maria, "negotiation"), name="maria")
    alice = threading.Thread(target=move, args=(company.alice, "proposal"), name="alice")
    maria.start()
    assert maria_read_the_clock.wait(timeout=20)
    alice.start()
    for thread in (maria, alice):
        thread.join(timeout=30)
    assert all(isinstance(o, Opportunity) for o in outcomes.values()), outcomes

    final = Opportunity.objects.get(pk=deal.pk)
    latest = OpportunityHistory.objects.filter(opportunity=deal).order_by("changed_at").last()
    assert latest is not None and latest.stage_id == final.stage_id
