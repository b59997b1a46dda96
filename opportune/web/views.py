"""Login, the start page (my work), the settings index and the worker warning."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from opportune import heartbeat
from opportune.identity import policy

from .http import AuthedRequest, render_page


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    return redirect("work:my_work")


SETTINGS = [
    (
        "Pipelines and stages",
        "Stages, probabilities, forecast categories.",
        "opportunities_pipeline",
    ),
    ("Lead statuses", "The statuses a lead moves through.", "leads_leadstatus"),
    ("Lost reasons", "Why deals are lost.", "opportunities_lostreason"),
    ("Qualification policy", "What a lead needs before conversion.", "leads_qualificationpolicy"),
    (
        "Custom fields",
        "Fields of your own on leads, accounts, contacts and deals; lead conversion mapping.",
        "customfields_customfield",
    ),
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
    sections.append(
        {
            "title": "Webhooks",
            "help": "Record events POSTed, signed, to your systems.",
            "url": reverse("webhooks:list"),
        }
    )
    sections.append(
        {
            "title": "Lead scoring",
            "help": "The model card, fields used, points, drift; refit and roll back.",
            "url": reverse("scoring:settings"),
        }
    )
    return render_page(request, "web/settings.html", {"sections": sections})


# (keys, what they do): the one list the help page shows. Keys handled by app.js, except
# the kanban's (kanban.js) and the search box's (topbar search).
SHORTCUTS: list[tuple[str, list[tuple[tuple[str, ...], str]]]] = [
    (
        "Anywhere",
        [
            (("/",), "Focus the global search"),
            (("?",), "Open this list of shortcuts"),
            (("g", "m"), "Go to My work"),
            (("g", "l"), "Go to Leads"),
            (("g", "p"), "Go to the Pipeline"),
            (("g", "o"), "Go to Opportunities"),
            (("g", "a"), "Go to Accounts"),
            (("g", "c"), "Go to Contacts"),
            (("Esc",), "Close the open dialog"),
        ],
    ),
    (
        "Pipeline (kanban)",
        [
            (("↑",), "Previous card in the column"),
            (("↓",), "Next card in the column"),
            (("←",), "The previous column's card at the same place"),
            (("→",), "The next column's card at the same place"),
            (("Enter",), "Move the focused card: choose its stage"),
            (("Esc",), "Cancel the move"),
        ],
    ),
    (
        "Forms",
        [
            (
                ("Enter",),
                "Save the form from a one-line field; an error takes focus to its field",
            ),
        ],
    ),
]


@login_required
def shortcuts(request: AuthedRequest) -> HttpResponse:
    """The keyboard shortcuts help page, linked from the sidebar and opened by ``?``."""
    return render_page(request, "web/shortcuts.html", {"groups": SHORTCUTS})


@login_required
def worker_status(request: AuthedRequest) -> HttpResponse:
    """The warning every page loads after itself (so pages cost no query for it): shown when
    no worker has been seen for a minute, to admins always and to anyone while jobs wait."""
    silent, seen = heartbeat.missing(timezone.now())
    waiting = heartbeat.waiting_jobs() if silent else 0
    shown = silent and (waiting or policy.may_configure(request.user, "background_jobs"))
    context = {"shown": shown, "last_seen": seen, "waiting": waiting}
    return render(request, "web/worker_status.html", context)
