"""The record page's personal-data actions: download the export, erase (with a dialog)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from opportune.accounts.models import Contact
from opportune.leads.models import Lead
from opportune.web.http import AuthedRequest, go_to, render_page, visible_or_404

from .services import (
    Person,
    erase_personal_data,
    export_personal_data,
    require_personal_data_access,
)

DETAIL_PAGES = {"lead": "leads:detail", "contact": "accounts:contact"}


def _person(request: AuthedRequest, kind: str, pk: int) -> Person:
    record: Person
    if kind == "lead":
        record = visible_or_404(Lead.objects.all(), request.user, pk)
    else:
        record = visible_or_404(Contact.objects.all(), request.user, pk)
    require_personal_data_access(request.user)  # the 403 page, once the record is seen
    return record


@login_required
@require_GET
def export(request: AuthedRequest, kind: str, pk: int) -> HttpResponse:
    record = _person(request, kind, pk)
    document = export_personal_data(request.user, record)
    response = HttpResponse(
        json.dumps(document, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="{kind}-{pk}-personal-data.json"'
    return response


@login_required
def erase(request: AuthedRequest, kind: str, pk: int) -> HttpResponse:
    """GET: the confirmation (a dialog under htmx); POST: erase, back to the record."""
    record = _person(request, kind, pk)
    detail = reverse(DETAIL_PAGES[kind], args=[pk])
    if request.method == "POST":
        person = erase_personal_data(request.user, record)
        count = len(person.leads) + len(person.contacts)
        messages.success(request, f"Personal data erased from {count} record(s).")
        return go_to(request, detail)
    context = {
        "record": record,
        "kind": kind,
        "back": detail,
        "action": reverse(f"privacy:erase_{kind}", args=[pk]),
    }
    return render_page(request, "privacy/erase.html", context, fragment="dialog")
