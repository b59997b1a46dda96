"""The recycle bin page, deleting from a record's page, and a record's History tab."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from opportune.errors import DomainError, NotAllowed
from opportune.identity import policy
from opportune.identity.policy import Verb
from opportune.paging import keyset_page
from opportune.web.http import AuthedRequest, go_to, render_page, visible_or_404

from . import bin
from .history import history_of, label_values

HISTORY_PAGE = 25
# Where each kind's record page and list live.
PAGES = {
    "lead": ("leads:detail", "leads:list"),
    "account": ("accounts:detail", "accounts:list"),
    "contact": ("accounts:contact", "accounts:contacts"),
    "opportunity": ("opportunities:detail", "opportunities:list"),
    "activity": (None, "work:my_work"),
}


def _visible(request: AuthedRequest, kind: str, pk: int, verb: Verb | None = None) -> Any:
    return visible_or_404(bin.model_of(kind).objects.all(), request.user, pk, verb)


@login_required
def history(request: AuthedRequest, kind: str, pk: int) -> HttpResponse:
    """A page of the record's field history, newest first (the History tab loads it)."""
    record = _visible(request, kind, pk)
    page = keyset_page(history_of(record), HISTORY_PAGE, request.GET.get("cursor"))
    label_values(kind, page["items"])
    context = {"changes": page["items"], "next": page["next"], "kind": kind, "record": record}
    return render_page(request, "audit/history.html", context, fragment="rows")


@login_required
def delete(request: AuthedRequest, kind: str, pk: int) -> HttpResponse:
    """GET: the confirmation (a dialog under htmx); POST: to the recycle bin."""
    record = _visible(request, kind, pk, Verb.DELETE)  # the 403 page already on GET
    detail, listing = PAGES[kind]
    error = None
    if request.method == "POST":
        try:
            bin.delete_record(request.user, record)
        except DomainError as refused:
            error = refused.detail
        else:
            messages.success(request, f"{record} is in the recycle bin.")
            return go_to(request, reverse(listing))
    context = {
        "record": record,
        "kind": kind,
        "kind_label": bin.LABELS[kind].lower(),
        "error": error,
        "days": bin.retention().days,
        "back": reverse(detail, args=[record.pk]) if detail else reverse(listing),
        "action": reverse(f"audit:delete_{kind}", args=[record.pk]),
    }
    return render_page(request, "audit/delete.html", context, fragment="dialog")


@login_required
def recycle_bin(request: AuthedRequest) -> HttpResponse:
    page = bin.bin_page(request.user, 50, request.GET.get("cursor"))
    context = {
        "entries": page["items"],
        "next": page["next"],
        "may_purge": policy.may_purge(request.user),
        "days": bin.retention().days,
    }
    return render_page(request, "audit/recycle_bin.html", context, fragment="rows")


@login_required
@require_POST
def restore(request: AuthedRequest, kind: str, pk: int) -> HttpResponse:
    try:
        record = bin.restore_record(request.user, kind, pk)
    except NotAllowed:
        raise  # the policy's 403 page
    except DomainError as refused:
        messages.error(request, refused.detail)
        return go_to(request, reverse("audit:bin"))
    messages.success(request, f"{record} is restored.")
    detail, listing = PAGES[kind]
    return go_to(request, reverse(detail, args=[record.pk]) if detail else reverse(listing))


@login_required
@require_POST
def purge(request: AuthedRequest, kind: str, pk: int) -> HttpResponse:
    try:
        bin.purge_record(request.user, kind, pk)
    except NotAllowed:
        raise
    except DomainError as refused:
        messages.error(request, refused.detail)
    else:
        messages.success(request, "Purged for good.")
    return go_to(request, reverse("audit:bin"))
