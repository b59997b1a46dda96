"""Tasks falling due: a task's owner is told once, on the day it falls due (or the day
after, should no worker have run), never again for that task (``DueNotice``)."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from opportune.activities.models import Activity, ActivityKind

from .delivery import deliver
from .models import DueNotice, Kind
from .rules import Notice, parent_of

# How far back a missed due date is still told: an import of last year's open tasks, or a
# worker started after a month, does not flood anyone.
LOOKBACK = dt.timedelta(days=1)


def notify_due_tasks(now: dt.datetime) -> int:
    """Tell the owners of open tasks due by ``now``'s date (and not before ``LOOKBACK``)
    that were not told yet. Idempotent: a second run, or a second worker, tells no one."""
    today = timezone.localdate(now)
    due = (
        Activity.objects.filter(
            kind=ActivityKind.TASK,
            is_done=False,
            owner__isnull=False,
            due_date__lte=today,
            due_date__gte=today - LOOKBACK,
        )
        .exclude(pk__in=DueNotice.objects.values("activity_id"))
        .order_by("pk")
    )
    notices = []
    with transaction.atomic():
        for task in due:
            try:
                with transaction.atomic():  # a concurrent scan's mark wins: skip the task
                    DueNotice.objects.create(activity_id=task.pk, noticed_at=now)
            except IntegrityError:
                continue
            parent = parent_of(task)
            if parent is None or task.owner_id is None or task.due_date is None:
                continue
            when = "today" if task.due_date == today else f"on {task.due_date:%b %-d}"
            text = f"Task due {when}: {task.subject}"
            notices.append(
                Notice(Kind.TASK_DUE, task.owner_id, parent[0], parent[1], None, text, False)
            )
        deliver(notices, now)
    return len(notices)
