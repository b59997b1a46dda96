"""Abuse limits: the address log-in failures are counted by (django-axes, see settings), and
the API's per-user request rate."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_address(request: HttpRequest) -> str:
    """The client's address as the web-to-lead limit counts it (``OPPORTUNE_TRUSTED_PROXIES``)."""
    from opportune.capture.api import _client_address

    return _client_address(request)


def locked_out(request: HttpRequest, response: Any, credentials: Any = None) -> HttpResponse:
    """The log-in page's answer while a username+address is locked out: 429, saying so."""
    username = request.POST.get("username", "") if request.method == "POST" else ""
    context = {
        "username": username,
        "minutes": settings.OPPORTUNE_LOGIN_COOLOFF_MINUTES,
        "login_url": settings.LOGIN_URL,
    }
    return render(request, "web/locked_out.html", context, status=429)
