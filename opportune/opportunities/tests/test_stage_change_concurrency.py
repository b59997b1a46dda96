"""Two people moving the same opportunity at once (two kanban drags): the changes are
serialized on the opportunity's row, both succeed, and the history chains them.

Row locks are a PostgreSQL matter: these tests are skipped on SQLite, where BEGIN IMMEDIATE
serializes every writer anyway.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone as django_timezone

from conftest import Company
from opportune.opportunities import services
from opportune.opportunities.models import Opportunity, OpportunityHistory
from opportune.opportunities.services import change_opportunity

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
    snapshot = services.snapshot

    def slow_snapshot(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.3)  # hold the row lock while the other change arrives
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
    """Maria's change starts first but waits for Alice's lock: her row must still come last
    by changed_at, or a pipeline rebuilt from history ends in the wrong stage."""
    deal = company.opportunity(company.alice, stage_key="needs_analysis")
    snapshot = services.snapshot

    class Clock:
        @staticmethod
        def now() -> Any:
            stamped = django_timezone.now()
            if threading.current_thread().name == "maria":
                time.sleep(0.2)  # Alice overtakes between Maria's clock reading and her lock
            return stamped

    def slow_snapshot(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.3)
        return snapshot(*args, **kwargs)

    monkeypatch.setattr(services, "timezone", Clock)
    monkeypatch.setattr(services, "snapshot", slow_snapshot)
    outcomes: dict[str, object] = {}

    def move(actor: Any, stage: str) -> None:
        try:
            outcomes[stage] = change_opportunity(actor, deal, {"stage": stage})
        except Exception as exc:
            outcomes[stage] = exc
        finally:
            connection.close()

    maria = threading.Thread(target=move, args=(company.maria, "negotiation"), name="maria")
    alice = threading.Thread(target=move, args=(company.alice, "proposal"), name="alice")
    maria.start()
    time.sleep(0.1)
    alice.start()
    for thread in (maria, alice):
        thread.join(timeout=30)
    assert all(isinstance(o, Opportunity) for o in outcomes.values()), outcomes

    final = Opportunity.objects.get(pk=deal.pk)
    latest = OpportunityHistory.objects.filter(opportunity=deal).order_by("changed_at").last()
    assert latest is not None and latest.stage_id == final.stage_id
