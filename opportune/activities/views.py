"""Activity timelines on record pages: quick logging and completing tasks."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from opportune.accounts.models import Account, Contact
from opportune.errors import DomainError
from opportune.identity import policy
from opportune.identity.models import User
from opportune.leads.models import Lead
from opportune.opportunities.models import Opportunity
from opportune.web.http import AuthedRequest, render_page, safe_next, visible_or_404

from .forms import QuickActivityForm
from .models import Activity
from .schemas import ActivityChanges, ActivityCreate
from .services import next_open_task, save_activity, timeline

TIMELINE_LIMIT = 50
RECORDS: dict[str, type[Lead] | type[Account] | type[Contact] | type[Opportunity]] = {
    "lead": Lead,
    "account": Account,
    "contact": Contact,
    "opportunity": Opportunity,
}
QUICK_KINDS = ("call", "task", "note")


def timeline_context(
    user: User,
    forms: dict[str, QuickActivityForm] | None = None,
    active: str = "call",
    **record: Any,
) -> dict[str, Any]:
    """What ``activities/timeline.html`` needs for one record (``lead=lead`` etc.)."""
    ((kind, obj),) = record.items()
    forms = forms or {}
    quick = {
        name: forms.get(name) or QuickActivityForm(initial={"kind": name}, prefix=name)
        for name in QUICK_KINDS
    }
    writable = policy.may_write(user) and not (kind == "lead" and obj.is_converted)
    return {
        "activities": list(timeline(user, **record)[:TIMELINE_LIMIT]),
        "next_task": next_open_task(user, **record),
        "record_kind": kind,
        "record_id": obj.pk,
        "quick_forms": quick if writable else None,
        "active_tab": active,
        "today": timezone.localdate(),
    }


def _record(request: AuthedRequest, kind: str, pk: int) -> Any:
    model = RECORDS.get(kind)
    if model is None:
        raise Http404("No such record type.")
    return visible_or_404(model.objects.all(), request.user, pk)


@login_required
def record_timeline(request: AuthedRequest, kind: str, pk: int) -> HttpResponse:
    record = _record(request, kind, pk)
    context = timeline_context(request.user, **{kind: record})
    return render_page(request, "activities/timeline.html", context, "timeline")


@login_required
@require_POST
def log_activity(request: AuthedRequest, kind: str, pk: int) -> HttpResponse:
    """Quick-log on a record; answers the record's refreshed timeline."""
    record = _record(request, kind, pk)
    activity_kind = request.POST.get("activity_kind", "call")
    if activity_kind not in QUICK_KINDS:
        activity_kind = "call"
    form = QuickActivityForm(request.POST, prefix=activity_kind, link={f"{kind}_id": record.pk})
    status = 200
    if form.is_valid():
        assert isinstance(form.validated, ActivityCreate)
        try:
            save_activity(request.user, form.validated)
        except DomainError as error:
            form.add_domain_error(error)
    if form.errors:
        status = 422
        forms = {activity_kind: form}
    else:
        forms = {}
    context = timeline_context(request.user, forms, activity_kind, **{kind: record})
    if not request.htmx:
        return redirect(safe_next(request, "/"))
    return render_page(request, "activities/timeline.html", context, "timeline", status)


@login_required
@require_POST
def complete_task(request: AuthedRequest, pk: int) -> HttpResponse:
    """Tick a task done (or open again); answers the task's row for the page that asked."""
    activity = visible_or_404(
        Activity.objects.select_related("owner"), request.user, pk, policy.Verb.CHANGE
    )
    done = request.POST.get("is_done", "on") in {"on", "true", "1"}
    try:
        activity = save_activity(request.user, ActivityChanges(is_done=done), activity)
    except DomainError as error:
        return HttpResponse(error.detail, status=error.status)
    template = (
        "work/my_work.html" if request.POST.get("view") == "my-work" else "activities/timeline.html"
    )
    context = {"activity": activity, "today": timezone.localdate()}
    if not request.htmx:
        return redirect(safe_next(request, "/"))
    return render_page(request, template, context, "task_row" if "my_work" in template else "item")
