"""The inbox, the bell's count (loaded by htmx after each page, so no page pays for it up
front), opening and marking read, and the preferences page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from opportune.web.http import AuthedRequest, render_page
from opportune.web.pagination import keyset_page

from .links import link_of
from .models import Channel, Kind
from .schemas import PreferencesIn
from .services import (
    inbox,
    mark_all_read,
    mark_read,
    own,
    preferences,
    set_preferences,
    unread_count,
)

PAGE_SIZE = 30


@login_required
def bell(request: AuthedRequest) -> HttpResponse:
    return render(request, "notifications/bell.html", {"unread": unread_count(request.user)})


@login_required
def inbox_page(request: AuthedRequest) -> HttpResponse:
    unread_only = request.GET.get("show") == "unread"
    page = keyset_page(
        inbox(request.user, unread_only=unread_only), "-pk", request.GET.get("cursor"), PAGE_SIZE
    )
    for notification in page.rows:
        notification.link = link_of(notification)  # type: ignore[attr-defined]
    context = {"page": page, "unread_only": unread_only}
    return render_page(request, "notifications/inbox.html", context)


@login_required
def open_notification(request: AuthedRequest, pk: int) -> HttpResponse:
    """Mark it read and go to its record (reading is idempotent: a GET may do it)."""
    notification = mark_read(request.user, own(request.user, pk), timezone.now())
    return redirect(link_of(notification))


@login_required
@require_POST
def read(request: AuthedRequest, pk: int) -> HttpResponse:
    notification = mark_read(request.user, own(request.user, pk), timezone.now())
    if request.htmx:
        notification.link = link_of(notification)  # type: ignore[attr-defined]
        response = render(request, "notifications/inbox.html#row", {"n": notification})
        response["HX-Trigger"] = "notifications-changed"
        return response
    return redirect("notifications:inbox")


@login_required
@require_POST
def read_all(request: AuthedRequest) -> HttpResponse:
    mark_all_read(request.user, timezone.now())
    return redirect("notifications:inbox")


@login_required
def preferences_page(request: AuthedRequest) -> HttpResponse:
    saved = False
    if request.method == "POST":
        chosen = {kind.value: request.POST.get(kind.value, "") for kind in Kind}
        valid = {k: v for k, v in chosen.items() if v in Channel.values}
        set_preferences(request.user, PreferencesIn.model_validate(valid).changes())
        saved = True
    current = preferences(request.user)
    rows = [(kind, current[kind.value]) for kind in Kind]
    context = {"rows": rows, "channels": Channel.choices, "saved": saved}
    return render_page(request, "notifications/preferences.html", context)
