"""Two concurrent conversions of one lead produce exactly one result (PRODUCT.md section 3).

The lead row is locked (SELECT ... FOR UPDATE) before it is checked, so the second conversion
waits for the first to commit, then sees the lead converted and fails with a Conflict. Row
locks are a PostgreSQL matter: the threaded tests run there and are skipped on SQLite, where
BEGIN IMMEDIATE serializes every writer anyway.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from django.db import connection

from conftest import Company
from opportune.accounts.models import Account, Contact
from opportune.errors import Conflict
from opportune.leads import conversion
from opportune.leads.conversion import convert_lead
from opportune.leads.models import Lead
from opportune.leads.schemas import ConversionOptions, LeadChanges
from opportune.leads.services import update_lead
from opportune.opportunities.models import Opportunity
from tests.concurrency import hold_until_another_waits

F = TypeVar("F", bound=Callable[..., None])


def postgres_only(test: F) -> F:
    """Run against PostgreSQL, committing for real so that two connections see each other."""
    marks = [
        pytest.mark.postgres_only,
        pytest.mark.skipif(
            connection.vendor != "postgresql",
            reason="row locks (SELECT FOR UPDATE) need PostgreSQL: set DATABASE_URL=postgres://...",
        ),
        pytest.mark.django_db(transaction=True),
    ]
    for mark in marks:
        test = mark(test)
    return test


def _record_counts() -> tuple[int, int, int]:
    return Account.objects.count(), Contact.objects.count(), Opportunity.objects.count()


def test_a_conversion_from_a_stale_copy_of_a_converted_lead_is_refused(company: Company) -> None:
    lead = company.qualified_lead(company.alice)
    stale = Lead.objects.get(pk=lead.pk)
    convert_lead(company.alice, lead.pk, ConversionOptions())
    assert not stale.is_converted
    with pytest.raises(Conflict):
        convert_lead(company.maria, stale.pk, ConversionOptions())
    assert _record_counts() == (1, 1, 1)


def _convert_in_threads(
    conversions: list[tuple[Any, int]], monkeypatch: pytest.MonkeyPatch, *, same_lead: bool
) -> list[object]:
    """Run each (actor, lead_id) conversion in its own thread, all released together; answer
    each one's result or exception. A conversion that has read its lead waits there: for
    one lead, until the other conversion queues behind its row lock (without the lock both
    would find the lead unconverted and both succeed); for different leads, until every
    conversion is that far (so they run at once, none waiting for another)."""
    check_policy = conversion._check_policy
    first_in = threading.Event()
    all_in = threading.Barrier(len(conversions))

    def slow_check_policy(*args: Any, **kwargs: Any) -> None:
        if not same_lead:
            all_in.wait(timeout=20)
        elif not first_in.is_set():
            first_in.set()
            hold_until_another_waits()
        check_policy(*args, **kwargs)

    monkeypatch.setattr(conversion, "_check_policy", slow_check_policy)
    barrier = threading.Barrier(len(conversions))
    outcomes: list[object] = [None] * len(conversions)

    def run(index: int, actor: Any, lead_id: int) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[index] = convert_lead(actor, lead_id, ConversionOptions())
        except Exception as exc:
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(i, actor, lead_id))
        for i, (actor, lead_id) in enumerate(conversions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a conversion never finished"
    return outcomes


@postgres_only
def test_two_concurrent_conversions_of_one_lead_yield_exactly_one_result(
    company: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead = company.qualified_lead(company.alice)
    outcomes = _convert_in_threads(
        [(company.alice, lead.pk), (company.maria, lead.pk)], monkeypatch, same_lead=True
    )
    successes = [o for o in outcomes if isinstance(o, conversion.ConversionResult)]
    failures = [o for o in outcomes if isinstance(o, Exception)]
    assert len(successes) == 1, outcomes
    assert len(failures) == 1 and isinstance(failures[0], Conflict), outcomes
    assert _record_counts() == (1, 1, 1)
    lead.refresh_from_db()
    assert lead.is_converted
    assert lead.converted_account == successes[0].account


@postgres_only
def test_concurrent_conversions_of_different_leads_all_succeed(
    company: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = company.qualified_lead(company.alice, company="Globex")
    second = company.qualified_lead(company.bob, company="Initech")
    outcomes = _convert_in_threads(
        [(company.alice, first.pk), (company.bob, second.pk)], monkeypatch, same_lead=False
    )
    assert all(isinstance(o, conversion.ConversionResult) for o in outcomes), outcomes
    assert _record_counts() == (2, 2, 2)


@postgres_only
def test_an_edit_racing_a_conversion_is_refused_as_a_conflict(
    company: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead = company.qualified_lead(company.alice)
    check_policy = conversion._check_policy
    converting = threading.Event()

    def slow_check_policy(*args: Any, **kwargs: Any) -> None:
        converting.set()
        hold_until_another_waits()  # holds the lead's lock until the edit queues behind it
        check_policy(*args, **kwargs)

    monkeypatch.setattr(conversion, "_check_policy", slow_check_policy)
    outcomes: dict[str, object] = {}

    def convert() -> None:
        try:
            outcomes["convert"] = convert_lead(company.alice, lead.pk, ConversionOptions())
        except Exception as exc:
            outcomes["convert"] = exc
        finally:
            connection.close()

    def edit() -> None:
        try:
            assert converting.wait(timeout=20)  # the conversion holds the lock first
            outcomes["edit"] = update_lead(company.maria, lead, LeadChanges(title="CEO"))
        except Exception as exc:
            outcomes["edit"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=convert), threading.Thread(target=edit)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert isinstance(outcomes["convert"], conversion.ConversionResult), outcomes
    assert isinstance(outcomes["edit"], Conflict), outcomes
