"""Template context every page gets."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from opportune import heartbeat
from opportune.identity import policy


def worker_status(request: HttpRequest) -> dict[str, Any]:
    """``worker_missing`` when no worker has been seen for a minute and an admin should know
    (always) or anyone's work is waiting for it; one query per page while workers beat."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    now = timezone.now()
    silent, seen = heartbeat.missing(now)
    if not silent:
        return {}
    waiting = heartbeat.waiting_jobs()
    if not (waiting or policy.may_configure(user, "background_jobs")):
        return {}
    return {"worker_missing": {"last_seen": seen, "waiting": waiting}}
