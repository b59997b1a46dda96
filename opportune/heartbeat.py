"""Whether a worker is running: ``opportune worker`` beats every ``EVERY`` from a thread of
its own, and pages warn when no beat is fresher than ``SILENT`` while work waits."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading

from django.db import close_old_connections, connection
from django.db.models import Max
from django.utils import timezone

from opportune.web.models import WorkerBeat

logger = logging.getLogger(__name__)
EVERY = dt.timedelta(seconds=20)
SILENT = dt.timedelta(minutes=1)


def beat(now: dt.datetime, name: str | None = None) -> None:
    """Record that this worker is alive (and forget workers silent for a day)."""
    name = name or f"{socket.gethostname()}:{os.getpid()}"
    WorkerBeat.objects.update_or_create(name=name[:200], defaults={"seen_at": now})
    WorkerBeat.objects.filter(seen_at__lt=now - dt.timedelta(days=1)).delete()


def last_seen() -> dt.datetime | None:
    seen: dt.datetime | None = WorkerBeat.objects.aggregate(last=Max("seen_at"))["last"]
    return seen


def waiting_jobs() -> int:
    """Background jobs due to run and not started (an import, a fit...)."""
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.ready().count()


def missing(now: dt.datetime) -> tuple[bool, dt.datetime | None]:
    """Whether no worker beat within ``SILENT``, and when the last one did."""
    seen = last_seen()
    return (seen is None or now - seen > SILENT), seen


def start_beating(stop: threading.Event | None = None) -> threading.Event:
    """Beat from a daemon thread until the returned event is set (or the process ends)."""
    stop = stop or threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                close_old_connections()
                beat(timezone.now())
            except Exception:  # a busy or unreachable database: beat again next time
                logger.warning("The worker's heartbeat could not be written.", exc_info=True)
            finally:
                connection.close()  # a connection of this thread's, idle between beats
            stop.wait(EVERY.total_seconds())

    threading.Thread(target=run, name="opportune-heartbeat", daemon=True).start()
    return stop
