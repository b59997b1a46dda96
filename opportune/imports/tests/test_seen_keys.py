"""In-file duplicates: the keys an import met are committed with each batch, remembered in
memory up to a limit and looked up in the table beyond it, with the same answers either way,
also when the job is resumed after its worker stopped."""

from __future__ import annotations

import pytest

from conftest import Company
from opportune.imports import seen, services
from opportune.imports.models import SeenKey
from opportune.imports.seen import SeenKeys
from opportune.imports.services import create_job, run_job

from .helpers import issues, run_import, stored


def _batch(keys: SeenKeys, batch: list[str]) -> list[bool]:
    """``first_time`` then ``record``, as the import does for each batch."""
    first = keys.first_time(batch)
    keys.record()
    return first


def test_keys_are_first_once_whether_remembered_in_memory_or_in_the_table(
    company: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(seen, "MEMORY_KEYS", 3)
    job = create_job(company.mark, "leads", stored("Last Name,Company\nA,B\n"), "x.csv")
    with SeenKeys(job.pk) as keys:
        assert _batch(keys, ["a", "b", "a", ""]) == [True, True, False, True]
        # Over the limit: from now on, what memory lacks is looked up in the table.
        assert _batch(keys, ["b", "c", "d", ""]) == [False, True, True, True]
        assert keys.in_table_only
        assert _batch(keys, ["a", "c", "e", "e"]) == [False, False, True, False]
    assert SeenKey.objects.filter(job=job).count() == 5


def test_a_batch_s_keys_are_committed_only_with_the_batch(company: Company) -> None:
    job = create_job(company.mark, "leads", stored("Last Name,Company\nA,B\n"), "x.csv")
    with SeenKeys(job.pk) as keys:
        keys.first_time(["a", "b"])
        # The batch failed before its transaction committed: nothing of it is remembered.
    with SeenKeys(job.pk) as keys:
        assert _batch(keys, ["a", "b"]) == [True, True]
    with SeenKeys(job.pk) as keys:
        assert keys.first_time(["b", "c"]) == [False, True]


def test_in_file_duplicates_are_skipped_across_batches_past_the_memory_limit(
    company: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(seen, "MEMORY_KEYS", 10)
    monkeypatch.setattr(services, "BATCH_ROWS", 4)
    rows = [f"L{n},Acme,l{n}@acme.example" for n in range(30)]
    rows += ["Again,Acme,l3@acme.example", "Again,Acme,L25@ACME.example"]
    job = run_import(company.mark, "Last Name,Company,Email\n" + "\n".join(rows) + "\n")
    assert (job.created, job.skipped) == (30, 2)
    assert issues(job) == [(32, "Email", "duplicate_in_file"), (33, "Email", "duplicate_in_file")]
    assert not SeenKey.objects.filter(job=job).exists()  # forgotten once the job is done


def test_a_resumed_import_still_skips_rows_repeating_a_key_met_before_it_stopped(
    company: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The keys met before the worker stopped are not in the new worker's memory: they come
    back from the batches' committed rows, so the resumed job skips exactly what an
    uninterrupted one would."""
    monkeypatch.setattr(services, "BATCH_ROWS", 4)
    rows = [f"L{n},Acme,l{n}@acme.example" for n in range(10)]
    rows += ["Again,Acme,l1@acme.example", "Again,Acme,l9@acme.example"]
    job = create_job(
        company.mark, "leads", stored("Last Name,Company,Email\n" + "\n".join(rows)), "x.csv"
    )

    commit = services._commit
    batches = 0

    def stop_at_the_third_batch(*args: object, **kwargs: object) -> None:
        nonlocal batches
        batches += 1
        if batches == 3:
            raise KeyboardInterrupt("the worker stops")
        commit(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(services, "_commit", stop_at_the_third_batch)
    with pytest.raises(KeyboardInterrupt):
        run_job(job.pk)
    monkeypatch.setattr(services, "_commit", commit)
    job.refresh_from_db()
    assert (job.rows_done, job.created) == (8, 8)

    job = run_job(job.pk)
    assert (job.status, job.created, job.skipped) == ("done", 10, 2)
    assert issues(job) == [(12, "Email", "duplicate_in_file"), (13, "Email", "duplicate_in_file")]
