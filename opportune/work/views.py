"""My work: the page a salesperson opens first (open tasks by due date, recent records,
their pipeline) and, for a sales manager, the team's (pipeline by stage and period, deals at
risk, attainment, recent wins and losses). It reads every sales app; no app reads it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, Q, QuerySet, Sum
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from opportune.accounts.models import Account
from opportune.activities.models import Activity, ActivityKind
from opportune.forecasting.periods import current_period
from opportune.identity import policy
from opportune.identity.models import Role, User
from opportune.leads.models import Lead
from opportune.opportunities.models import Opportunity
from opportune.web.http import AuthedRequest, render_page, wants_fragment
from opportune.web.pagination import keyset_page

from . import team

TASKS_PER_GROUP = 10
TASKS_PER_PAGE = 50
GROUPS = {"overdue": "Overdue", "today": "Due today", "upcoming": "Upcoming"}


def _my_open_tasks(user: User) -> QuerySet[Activity]:
    return Activity.objects.visible_to(user).filter(
        owner=user, kind=ActivityKind.TASK, is_done=False
    )


def _in_group(today: dt.date) -> dict[str, Q]:
    return {
        "overdue": Q(due_date__lt=today),
        "today": Q(due_date=today),
        "upcoming": Q(due_date__gt=today) | Q(due_date__isnull=True),
    }


def task_counts(user: User, today: dt.date) -> dict[str, int]:
    """How many open tasks the user has in each group: one statement."""
    counts = {key: Count("pk", filter=inside) for key, inside in _in_group(today).items()}
    return _my_open_tasks(user).aggregate(**counts)


def open_tasks(
    user: User, today: dt.date, limit: int = TASKS_PER_GROUP
) -> dict[str, list[Activity]]:
    """The first tasks of each group: overdue, due today, upcoming (or undated)."""
    tasks = _my_open_tasks(user).select_related("lead", "account", "contact", "opportunity")
    groups = _in_group(today)
    return {
        "overdue": list(tasks.filter(groups["overdue"]).order_by("due_date", "pk")[:limit]),
        "today": list(tasks.filter(groups["today"]).order_by("pk")[:limit]),
        "upcoming": list(
            tasks.filter(groups["upcoming"]).order_by(F("due_date").asc(nulls_last=True), "pk")[
                :limit
            ]
        ),
    }


@login_required
def my_work(request: AuthedRequest) -> HttpResponse:
    """The user's tasks and recent records; for a sales manager, a placeholder that asks for
    her team's blocks (``?fragment=team``) once the page is shown: they read her whole team's
    deals (0.3-0.4 s at a million deals), the page only her own records."""
    user = request.user
    now = timezone.now()
    today = timezone.localdate(now)
    manages = user.role == Role.SALES_MANAGER and policy.sees_kind(user, policy.OPPORTUNITY)
    if manages and request.GET.get("fragment") == "team" and wants_fragment(request):
        return render(request, "work/team.html", {"team": team_home(user, now)})
    context: dict[str, Any] = {
        "tasks": open_tasks(user, today),
        "task_counts": task_counts(user, today),
        "today": today,
        "manages": manages,
    }
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
        # By owner id (no join of every deal to its owner's team): a range of opp_owner_recent.
        mine = Opportunity.objects.visible_by_owner_ids(user).filter(owner=user)
        context["recent_opportunities"] = list(
            mine.select_related("account", "stage").order_by("-updated_at")[:8]
        )
        context["pipeline"] = mine.filter(is_closed=False).aggregate(
            total=Sum("amount"), weighted=Sum("expected_revenue")
        )
    return render_page(request, "work/my_work.html", context, "tasks")


def team_home(user: User, now: dt.datetime) -> dict[str, Any]:
    """The manager's blocks: pipeline by stage and period, deals at risk, attainment, recent
    closes."""
    quarter = current_period(today=now.date())
    usual = team.usual_days_in_stage(user, now.date())
    return {
        "quarter": quarter,
        "pipeline": team.team_pipeline(user, now.date(), [quarter, quarter.shifted(1)]),
        "risks": team.deals_at_risk(user, now, usual),
        "attainment": team.attainment(user, quarter),
        "closes": team.recent_closes(user, now.date()),
        "past_due_list": {"state": "open", "close_date_to": now.date() - dt.timedelta(days=1)},
    }


@login_required
def my_tasks(request: AuthedRequest) -> HttpResponse:
    """Every open task of one group (``?due=overdue|today|upcoming``), a keyset page at a
    time: where "show all" leads from My work."""
    user = request.user
    today = timezone.localdate()
    due = request.GET.get("due", "overdue")
    due = due if due in GROUPS else "overdue"
    tasks = (
        _my_open_tasks(user)
        .filter(_in_group(today)[due])
        .select_related("lead", "account", "contact", "opportunity")
    )
    order = "pk" if due == "upcoming" else "due_date"
    page = keyset_page(tasks, order, request.GET.get("cursor"), TASKS_PER_PAGE)
    context = {
        "page": page,
        "due": due,
        "groups": GROUPS,
        "title": GROUPS[due],
        "count": task_counts(user, today)[due],
        "today": today,
    }
    return render_page(request, "work/my_tasks.html", context)
