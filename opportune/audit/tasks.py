"""The recycle bin's periodic purge, run by ``opportune worker`` (django-tasks); the same
run deletes the import uploads kept past ``OPPORTUNE_IMPORT_UPLOAD_DAYS``.

django-tasks has no scheduler: each run enqueues the next one ``PURGE_EVERY`` later, and
the worker enqueues a first run when it starts unless one is already waiting, so several
workers on one database keep a single chain."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from .bin import purge_expired

PURGE_EVERY = dt.timedelta(hours=6)


@task()
def purge_recycle_bin() -> int:
    from opportune.imports.services import purge_uploads

    now = timezone.now()
    purged = purge_expired(now)
    purge_uploads(now)
    if purge_recycle_bin.get_backend().supports_defer:
        purge_recycle_bin.using(run_after=timezone.now() + PURGE_EVERY).enqueue()
    return purged


def schedule_purges() -> None:
    """Enqueue a purge now unless one is waiting (database backend) to run."""
    from django_tasks_db.models import DBTaskResult

    if not purge_recycle_bin.get_backend().supports_defer:
        return  # e.g. the immediate backend: nothing would run later
    path = f"{purge_recycle_bin.module_path}"
    waiting = DBTaskResult.objects.filter(task_path=path, status__in=["READY", "RUNNING"])
    if not waiting.exists():
        purge_recycle_bin.enqueue()
