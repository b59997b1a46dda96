"""My work: the page a salesperson opens first (open tasks by due date, recent records,
their pipeline). It reads every sales app; no app reads it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import F, Q, Sum
from django.http import HttpResponse
from django.utils import timezone

from opportune.accounts.models import Account
from opportune.activities.models import Activity, ActivityKind
from opportune.identity import policy
from opportune.leads.models import Lead
from opportune.opportunities.models import Opportunity
from opportune.web.http import AuthedRequest, render_page

TASKS_PER_GROUP = 50


def open_tasks(user: Any, today: dt.date) -> dict[str, list[Activity]]:
    """The user's open tasks: overdue, due today, upcoming (or undated); three bounded queries."""
    tasks = (
        Activity.objects.visible_to(user)
        .filter(owner=user, kind=ActivityKind.TASK, is_done=False)
        .select_related("lead", "account", "contact", "opportunity")
    )
    return {
        "overdue": list(
            tasks.filter(due_date__lt=today).order_by("due_date", "pk")[:TASKS_PER_GROUP]
        ),
        "today": list(tasks.filter(due_date=today).order_by("pk")[:TASKS_PER_GROUP]),
        "upcoming": list(
            tasks.filter(Q(due_date__gt=today) | Q(due_date__isnull=True)).order_by(
                F("due_date").asc(nulls_last=True), "pk"
            )[:TASKS_PER_GROUP]
        ),
    }


@login_required
def my_work(request: AuthedRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    context: dict[str, Any] = {"tasks": open_tasks(user, today), "today": today}
    context["recent_leads"] = list(
        Lead.objects.visible_to(user)
        .filter(owner=user)
        .select_related("status")
        .order_by("-updated_at")[:8]
    )
    context["recent_accounts"] = list(
        Account.objects.visible_to(user).filter(owner=user).order_by("-updated_at")[:5]
    )
    if policy.sees_kind(user, policy.OPPORTUNITY):
        mine = Opportunity.objects.visible_to(user).filter(owner=user)
        context["recent_opportunities"] = list(
            mine.select_related("account", "stage").order_by("-updated_at")[:8]
        )
        context["pipeline"] = mine.filter(is_closed=False).aggregate(
            total=Sum("amount"), weighted=Sum("expected_revenue")
        )
    return render_page(request, "work/my_work.html", context, "tasks")
