"""The match keys an import has met so far, so that a key's later rows in the file are
reported and skipped, also when the job is resumed after its worker died.

Each batch's new keys are written to ``SeenKey`` (as 64-bit digests) in the batch's own
transaction (``record``), so what is committed of the file and what is remembered of its
keys never disagree: a resumed job reloads the keys of exactly the rows it will not read
again. The first million digests are also kept in memory (about 60 MB), so a file up to
that size asks the database nothing while checking; beyond it, the batch's unknown keys
are looked up in the table, one statement per batch.
"""

from __future__ import annotations

import hashlib

from django.db import connection

from .models import SeenKey

MEMORY_KEYS = 1_000_000


def digest(key: str) -> int:
    """A stable signed 64-bit digest (Python's ``hash`` changes with each process)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


class SeenKeys:
    """Use as a context manager around the import of one job (it loads what the job's
    committed batches met, and forgets it all on the way out)."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.digests: set[int] = set()
        self.pending: list[int] = []  # met by the batch being settled, not yet recorded
        self.in_table_only = False

    def __enter__(self) -> SeenKeys:
        committed = SeenKey.objects.filter(job_id=self.job_id)
        self.digests = set(committed.values_list("digest", flat=True)[: MEMORY_KEYS + 1])
        self.in_table_only = len(self.digests) > MEMORY_KEYS
        self.pending = []
        return self

    def __exit__(self, *exc: object) -> None:
        self.digests, self.pending = set(), []

    def first_time(self, keys: list[str]) -> list[bool]:
        """For each key in order, whether no earlier batch and no earlier key of this list had
        it. An empty key never repeats. The new keys are pending until ``record``."""
        digests = {key: digest(key) for key in set(keys) - {""}}
        unknown = {d for d in digests.values() if d not in self.digests}
        if unknown and self.in_table_only:
            unknown -= self._in_table(unknown)
        elif unknown and len(self.digests) + len(unknown) > MEMORY_KEYS:
            self.in_table_only = True  # the next batches look up what memory lacks
        met = {key for key, d in digests.items() if d not in unknown}
        if not self.in_table_only:
            self.digests |= unknown
        self.pending = list(unknown)
        first: list[bool] = []
        for key in keys:
            first.append(not key or key not in met)
            met.add(key)
        return first

    def record(self) -> None:
        """Write the settled batch's new keys; call inside the transaction that writes it."""
        if self.pending:  # executemany: a third of bulk_create's time for these rows
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {SeenKey._meta.db_table} (job_id, digest) VALUES (%s, %s)",
                    [(self.job_id, d) for d in self.pending],
                )
        self.pending = []

    def _in_table(self, digests: set[int]) -> set[int]:
        """Which of the digests earlier batches recorded."""
        found: set[int] = set()
        values = list(digests)
        with connection.cursor() as cursor:
            for start in range(0, len(values), 900):  # SQLite's parameter limit
                chunk = values[start : start + 900]
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    f"SELECT digest FROM {SeenKey._meta.db_table} "
                    f"WHERE job_id = %s AND digest IN ({marks})",
                    [self.job_id, *chunk],
                )
                found.update(row[0] for row in cursor.fetchall())
        return found


def forget(job_id: int) -> None:
    """Drop a finished job's keys (one statement)."""
    SeenKey.objects.filter(job_id=job_id).delete()
