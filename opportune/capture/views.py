"""Capture pages: possible duplicates, the merge screen (with undo), web-to-lead forms and
their snippet. Rules live in ``duplicates.py``, ``merge.py`` and ``web_forms.py``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_POST

from opportune.errors import DomainError
from opportune.identity import policy
from opportune.identity.models import User
from opportune.leads.models import Lead
from opportune.web.http import AuthedRequest, go_to, render_page, visible_or_404

from .duplicates import find_duplicates, find_matching_contacts
from .forms import WebFormForm
from .merge import MAX_LEADS, MERGE_FIELDS, chosen_values, merge_leads, undo_merge
from .models import LeadMerge, WebForm
from .web_forms import form_snippet, rate_limit

GROUPS_SHOWN = 50


def _may_configure(user: User) -> bool:
    return policy.may_configure(user, "webform")


@login_required
def duplicate_groups(request: AuthedRequest) -> HttpResponse:
    """Open leads sharing an email or a phone, grouped: one GROUP BY per key on its index."""
    leads = Lead.objects.visible_to(request.user).filter(is_converted=False)
    groups: list[dict[str, Any]] = []
    for key, label in (("email_key", "email"), ("phone_key", "phone")):
        shared = (
            leads.exclude(**{key: ""})
            .values(key)
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .order_by("-n", key)[:GROUPS_SHOWN]
        )
        values = {row[key]: row["n"] for row in shared}
        members: dict[str, list[Lead]] = {}
        for lead in leads.filter(**{f"{key}__in": values}).select_related("owner", "status"):
            members.setdefault(getattr(lead, key), []).append(lead)
        groups += [
            {"by": label, "value": value, "count": n, "leads": members.get(value, [])[:MAX_LEADS]}
            for value, n in values.items()
        ]
    return render_page(request, "capture/duplicate_groups.html", {"groups": groups})


@login_required
def lead_duplicates(request: AuthedRequest, pk: int) -> HttpResponse:
    lead = visible_or_404(Lead.objects.select_related("status", "owner"), request.user, pk)
    matches = find_duplicates(request.user, lead)
    contacts = find_matching_contacts(request.user, lead)
    context = {"lead": lead, "matches": matches, "contacts": contacts}
    return render_page(request, "capture/lead_duplicates.html", context)


@login_required
def merge(request: AuthedRequest) -> HttpResponse:
    """GET ?ids=1&ids=2: the field-by-field choice; POST: the merge, then the master's page."""
    source = request.POST if request.method == "POST" else request.GET
    ids = list(dict.fromkeys(int(i) for i in source.getlist("ids") if i.isdigit()))[:MAX_LEADS]
    leads = [
        visible_or_404(Lead.objects.select_related("status", "owner"), request.user, i) for i in ids
    ]
    if len(leads) < 2:
        messages.error(request, "Choose two to five leads to merge.")
        return go_to(request, reverse("capture:duplicates"))
    master_id = int(source["master"]) if source.get("master", "").isdigit() else leads[0].pk
    if request.method == "POST":
        choices = {
            name: int(source[f"field_{name}"])
            for name in MERGE_FIELDS
            if source.get(f"field_{name}", "").isdigit()
        }
        try:
            done = merge_leads(request.user, master_id, [i for i in ids if i != master_id], choices)
        except DomainError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, f"Merged {len(ids)} leads (merge #{done.pk}).")
            return go_to(request, reverse("capture:merged", args=[done.pk]))
    master = next((lead for lead in leads if lead.pk == master_id), leads[0])
    others = [lead for lead in leads if lead.pk != master.pk]
    merged = chosen_values(master, others, {})
    rows = []
    for name in MERGE_FIELDS:
        values = [(lead.pk, getattr(lead, name)) for lead in leads]
        if len({str(v) for _, v in values}) == 1:
            continue  # the same in every lead: nothing to choose
        chosen = next(
            (pk for pk, v in values if v == merged[name] and v not in (None, "")), master.pk
        )
        shown = [(pk, _shown(lead, name)) for (pk, _), lead in zip(values, leads, strict=True)]
        label = getattr(Lead._meta.get_field(name.removesuffix("_id")), "verbose_name", name)
        rows.append({"name": name, "label": label, "values": shown, "chosen": chosen})
    context = {"leads": leads, "master": master, "rows": rows}
    return render_page(request, "capture/merge.html", context)


def _shown(lead: Lead, name: str) -> object:
    """A field's value as people read it: the status's label, the owner's name."""
    if name in ("status_id", "owner_id"):
        return getattr(lead, name.removesuffix("_id"))
    return getattr(lead, name)


@login_required
def merged(request: AuthedRequest, pk: int) -> HttpResponse:
    """A merge's page. It names only leads the user may see: the master if visible, and each
    merged lead if it is back and visible, or (while merged) to the user who merged them or an
    admin. A merge none of whose leads the user sees is a 404."""
    done = get_object_or_404(LeadMerge.objects.select_related("master", "merged_by"), pk=pk)
    user = request.user
    visible = policy.visible(user, Lead)
    master = visible.filter(pk=done.master_id).first() if done.master_id else None
    if done.undone_at is not None:
        back = set(visible.filter(pk__in=done.merged_ids).values_list("pk", flat=True))
    elif policy.knows_merged_leads(user, done):
        back = set(done.merged_ids)
    else:
        back = set()
    shown = [row for row in done.merged_leads if int(row["id"]) in back]
    if master is None and not shown:
        raise Http404("No such merge.")
    context = {
        "merge": done,
        "master": master,
        "shown": shown,
        "hidden": len(done.merged_leads) - len(shown),
    }
    return render_page(request, "capture/merged.html", context)


@login_required
@require_POST
def merge_undo(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        undo_merge(request.user, pk)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, "The merge was undone: every lead is back as it was.")
    return go_to(request, reverse("capture:merged", args=[pk]))


@login_required
def web_forms(request: AuthedRequest) -> HttpResponse:
    if not _may_configure(request.user):
        raise PermissionDenied
    context = {"forms": WebForm.objects.select_related("default_owner")}
    return render_page(request, "capture/webform_list.html", context)


@login_required
def web_form_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    if not _may_configure(request.user):
        raise PermissionDenied
    instance = get_object_or_404(WebForm, pk=pk) if pk else None
    form = WebFormForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        web_form = form.save(commit=False)
        if web_form.created_by_id is None:
            web_form.created_by = request.user
        web_form.save()
        messages.success(request, f"Saved the form '{web_form.name}'.")
        return go_to(request, reverse("capture:web_form", args=[web_form.pk]))
    snippet = form_snippet(instance, request.build_absolute_uri("/")) if instance else ""
    context = {"form": form, "web_form": instance, "snippet": snippet, "rate_limit": rate_limit()}
    return render_page(request, "capture/webform_form.html", context)
