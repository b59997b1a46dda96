"""In-file duplicates: the keys an import met are remembered in memory up to a limit, then
in a temporary table, with the same answers either way."""

from __future__ import annotations

import pytest
from django.db import connection

from conftest import Company
from opportune.imports import seen, services
from opportune.imports.seen import SeenKeys

from .helpers import issues, run_import


def _temp_tables() -> list[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT relname FROM pg_class WHERE relpersistence = 't' AND relname = %s",
                [seen.TABLE],
            )
        else:
            cursor.execute("SELECT name FROM sqlite_temp_master WHERE name = %s", [seen.TABLE])
        return [row[0] for row in cursor.fetchall()]


def test_keys_are_first_once_whether_remembered_in_memory_or_in_the_table(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(seen, "MEMORY_KEYS", 3)
    with SeenKeys() as keys:
        assert keys.first_time(["a", "b", "a", ""]) == [True, True, False, True]
        assert not _temp_tables()
        # Over the limit: this batch's new keys go to the table.
        assert keys.first_time(["b", "c", "d", ""]) == [False, True, True, True]
        assert _temp_tables()
        assert keys.first_time(["a", "c", "e", "e"]) == [False, False, True, False]
    assert not _temp_tables()


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
    assert not _temp_tables()
