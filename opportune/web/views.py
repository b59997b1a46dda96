"""Login, the start page (my work) and the settings index."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q, Sum
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from opportune.accounts.models import Account
from opportune.activities.models import Activity, ActivityKind
from opportune.identity import policy
from opportune.leads.models import Lead
from opportune.opportunities.models import Opportunity

from .http import AuthedRequest, render_page

TASKS_PER_GROUP = 50


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    return redirect("web:my_work")


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
    return render_page(request, "web/my_work.html", context, "tasks")


SETTINGS = [
    (
        "Pipelines and stages",
        "Stages, probabilities, forecast categories.",
        "opportunities_pipeline",
    ),
    ("Lead statuses", "The statuses a lead moves through.", "leads_leadstatus"),
    ("Lost reasons", "Why deals are lost.", "opportunities_lostreason"),
    ("Qualification policy", "What a lead needs before conversion.", "leads_qualificationpolicy"),
    ("Users", "People, roles and teams they belong to.", "identity_user"),
    ("Teams", "The team hierarchy managers see.", "identity_team"),
]


@login_required
def settings_index(request: AuthedRequest) -> HttpResponse:
    """Links to the (branded) admin screens of each piece of configuration."""
    if not policy.may_configure(request.user, "settings"):
        raise PermissionDenied("Only admins configure Opportune.")
    sections = []
    for title, help_text, name in SETTINGS:
        try:
            url = reverse(f"admin:{name}_changelist")
        except NoReverseMatch:
            continue
        sections.append({"title": title, "help": help_text, "url": url})
    return render_page(request, "web/settings.html", {"sections": sections})
