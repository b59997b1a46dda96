"""Abuse limits: the address log-in failures are counted by (django-axes, see settings), and
the API's per-user request rate."""

from __future__ import annotations

import threading
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.throttling import BaseThrottle

WINDOW_SECONDS = 60


def locked_out(request: HttpRequest, response: Any, credentials: Any = None) -> HttpResponse:
    """The log-in page's answer while a username+address is locked out: 429, saying so."""
    username = request.POST.get("username", "") if request.method == "POST" else ""
    context = {
        "username": username,
        "minutes": settings.OPPORTUNE_LOGIN_COOLOFF_MINUTES,
        "login_url": settings.LOGIN_URL,
    }
    return render(request, "web/locked_out.html", context, status=429)


class ApiRateThrottle(BaseThrottle):
    """At most ``OPPORTUNE_API_RATE_PER_MINUTE`` API requests per user in any sliding minute;
    beyond, Ninja answers 429 with ``Retry-After`` (a problem document, see api.py).

    Counted per user, across all of the user's tokens, so issuing more tokens does not raise
    the limit (a per-token count at the same rate would never bind first). Unauthenticated
    endpoints (web-to-lead) are not counted here: they have their own per-address limit.
    The count lives in Django's cache: per process with the default local-memory cache.
    """

    timer = staticmethod(time.time)

    def __init__(self) -> None:
        # One instance serves every request; the wait belongs to the thread's current request.
        self._current = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        user = getattr(request, "auth", None)
        if user is None:
            return True
        limit = settings.OPPORTUNE_API_RATE_PER_MINUTE
        key = f"opportune:api-rate:user:{user.pk}"
        now = self.timer()
        recent = [t for t in cache.get(key, []) if t > now - WINDOW_SECONDS]
        if len(recent) >= limit:
            self._current.wait = recent[-limit] + WINDOW_SECONDS - now
            return False
        recent.append(now)
        cache.set(key, recent, WINDOW_SECONDS)
        return True

    def wait(self) -> float | None:
        wait: float | None = getattr(self._current, "wait", None)
        return wait
