"""The shared "after commit, these history rows" helper that notifications and webhooks
both read (opportune/audit/committed.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import transaction
from pytest_django import DjangoCaptureOnCommitCallbacks

from conftest import Company
from opportune.accounts.schemas import AccountChanges
from opportune.accounts.services import save_account
from opportune.audit import committed

pytestmark = pytest.mark.django_db


@pytest.fixture
def handed() -> Iterator[list[committed.Batches]]:
    seen: list[committed.Batches] = []
    committed.after_commit("test", seen.append)
    yield seen
    del committed._consumers["test"]


def test_a_transaction_s_writes_are_handed_over_once_batch_by_batch(
    company: Company,
    handed: list[committed.Batches],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        first = save_account(company.alice, AccountChanges(name="One"))
        save_account(company.alice, AccountChanges(name="Two"))
        save_account(company.alice, AccountChanges(name="Uno"), first)
    (batches,) = handed
    assert [[row.field for row in batch] for batch in batches] == [
        ["created"],
        ["created"],
        ["name"],
    ]


def test_a_rolled_back_savepoint_s_rows_are_dropped_the_others_kept(
    company: Company,
    handed: list[committed.Batches],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        kept = save_account(company.alice, AccountChanges(name="Kept"))
        with pytest.raises(RuntimeError), transaction.atomic():
            save_account(company.alice, AccountChanges(name="Dropped"))
            raise RuntimeError("refused")
    (batches,) = handed
    assert [(row.record_id, row.new_value) for batch in batches for row in batch] == [
        (kept.pk, "Kept")
    ]


def test_nothing_is_handed_over_for_a_rollback(
    company: Company,
    handed: list[committed.Batches],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        save_account(company.alice, AccountChanges(name="Gone"))
        raise RuntimeError("the request failed")
    assert handed == []


def test_a_failing_consumer_does_not_keep_the_others_from_theirs(
    company: Company,
    handed: list[committed.Batches],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    def broken(batches: committed.Batches) -> None:
        raise ValueError("broken consumer")

    consumer = committed._consumers.pop("test")
    committed.after_commit("a-broken-one", broken)  # called first
    committed.after_commit("test", consumer)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            save_account(company.alice, AccountChanges(name="Fine"))
    finally:
        del committed._consumers["a-broken-one"]
    assert len(handed) == 1
