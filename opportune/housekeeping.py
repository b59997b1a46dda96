"""Periodic housekeeping, run by ``opportune worker`` (django-tasks): the recycle bin's
purge (``OPPORTUNE_RECYCLE_BIN_DAYS``), the import uploads kept past
``OPPORTUNE_IMPORT_UPLOAD_DAYS``, and fresh planner statistics on SQLite. It sits above
the apps it cleans, so none of them imports another for it.

django-tasks has no scheduler: each run enqueues the next one ``PURGE_EVERY`` later, and
the worker enqueues a first run when it starts unless one is already waiting, so several
workers on one database keep a single chain."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils import timezone
from django_tasks import task

from opportune.audit.bin import purge_expired
from opportune.imports.services import purge_uploads

PURGE_EVERY = dt.timedelta(hours=6)
# Rows per index SQLite's ANALYZE reads (PRAGMA analysis_limit). At a million deals 20,000
# take 0.24 s and gave the reports the plans of a full ANALYZE (9 s) or better; 1,000 sent a
# manager's funnel from 238 to 1,056 ms.
STATISTICS_SAMPLE = 20_000


@task()
def housekeeping() -> int:
    now = timezone.now()
    purged = purge_expired(now)
    purge_uploads(now)
    refresh_statistics()
    if housekeeping.get_backend().supports_defer:
        housekeeping.using(run_after=timezone.now() + PURGE_EVERY).enqueue()
    return purged


def refresh_statistics() -> None:
    """Give SQLite's planner statistics (``sqlite_stat1``), as PostgreSQL's autovacuum does
    for its own. Without them SQLite picks an index by its shape alone: e.g. the field
    changes' ``(record_type, record_id)`` for ``id > mark AND record_type = 'opportunity'``,
    every opportunity change read instead of the few past the mark, and the reports' plans
    chosen by ``benchmarks/`` (which run ANALYZE) are not the ones an installation gets. A
    sample of each index (``analysis_limit``) takes a quarter of a second at a million deals;
    a full ANALYZE holds the write lock for seconds while it reads every index."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA analysis_limit = {STATISTICS_SAMPLE}")
        cursor.execute("ANALYZE")


def schedule_housekeeping() -> None:
    """Enqueue a run now unless one is waiting (database backend) to run."""
    from django_tasks_db.models import DBTaskResult

    if not housekeeping.get_backend().supports_defer:
        return  # e.g. the immediate backend: nothing would run later
    path = f"{housekeeping.module_path}"
    waiting = DBTaskResult.objects.filter(task_path=path, status__in=["READY", "RUNNING"])
    if not waiting.exists():
        housekeeping.enqueue()
