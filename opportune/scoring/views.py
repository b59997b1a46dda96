"""Settings > Lead scoring (admins): the active model's card, every field with its use and
the admin's exclusions, the points model (edited, and the one suggested by the data), the
previous fit for rollback, "Refit now" queued in the worker, and drift. Every change goes
through the services the CLI and API use (``leads.set_exclusions``, ``leads.set_points``,
``store.roll_back``, ``tasks.fit_lead_model``)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from opportune.errors import DomainError
from opportune.identity import policy
from opportune.web.http import AuthedRequest, go_to, render_page

from . import leads, store
from .drift import drift
from .models import ScoringModel, Target
from .tasks import fit_lead_model, refit_state
from .uses import field_uses


def _message(refused: DomainError) -> str:
    """The refusal and what it says of each field."""
    fields = [m for messages_ in (refused.errors or {}).values() for m in messages_]
    return " ".join([refused.detail, *fields])


def _require_admin(request: AuthedRequest) -> None:
    if not policy.may_configure(request.user, "scoring"):
        raise PermissionDenied("Only admins configure lead scoring.")


def _page(
    request: AuthedRequest,
    errors: dict[str, str] | None = None,
    status: int = 200,
    points_text: str | None = None,
) -> HttpResponse:
    fits = list(ScoringModel.objects.filter(target=Target.LEAD).defer("blob"))
    active = next((f for f in fits if f.is_active), None)
    previous = next((f for f in fits if not f.is_active), None)
    card: dict[str, Any] = active.card if active else {}
    is_points = card.get("model") == "points"
    if active is None:
        why = "No lead model yet: leads are not scored until the first fit."
    elif is_points:
        why = (
            f"The points model scores leads: {active.rows} leads with an outcome and "
            f"{active.positives} conversions are below the {leads.MIN_LEADS} / "
            f"{leads.MIN_CONVERSIONS} a learned model needs (docs/scoring.md)."
        )
    else:
        why = (
            f"A learned model ({card.get('model')}) scores leads: {active.rows} leads with an "
            f"outcome and {active.positives} conversions reach the {leads.MIN_LEADS} / "
            f"{leads.MIN_CONVERSIONS} threshold."
        )
    suggested = leads.suggestion(card)
    given = (
        {"base": card.get("base", 0), "points": card.get("points", {})}
        if is_points
        else {
            "base": (suggested or {}).get("base", 0),
            "points": (suggested or {}).get("points", {}),
        }
    )
    importances = card.get("importances", [])[:12]
    uses = field_uses()
    labels = {u.name: u.label for u in uses if u.name}
    top = max([i["importance"] for i in importances] + [1e-9])
    context = {
        "active": active,
        "previous": previous,
        "card": card,
        "is_points": is_points,
        "why": why,
        "metrics": card.get("metrics", {}),
        "calibration": card.get("metrics", {}).get("calibration", []),
        "importances": [
            {**i, "pct": round(100 * i["importance"] / top), "label": labels.get(i["feature"])}
            for i in importances
        ],
        "uses": uses,
        "suggested_json": json.dumps(suggested, indent=1) if suggested else "",
        "points_text": points_text or json.dumps(given["points"], indent=1),
        "points_base": given["base"],
        "drift": drift(active) if active else None,
        "refit": refit_state(),
        "errors": errors or {},
        "min_leads": leads.MIN_LEADS,
        "min_conversions": leads.MIN_CONVERSIONS,
    }
    return render_page(request, "scoring/settings.html", context, status=status)


@login_required
def settings_page(request: AuthedRequest) -> HttpResponse:
    _require_admin(request)
    return _page(request)


@login_required
@require_POST
def exclusions(request: AuthedRequest) -> HttpResponse:
    _require_admin(request)
    try:
        kept = leads.set_exclusions(request.user, request.POST.getlist("excluded"))
    except DomainError as refused:
        return _page(request, {"excluded": _message(refused)}, status=422)
    messages.success(request, f"{len(kept)} fields excluded; applied at the next fit.")
    return go_to(request, reverse("scoring:settings"))


@login_required
@require_POST
def set_points(request: AuthedRequest) -> HttpResponse:
    _require_admin(request)
    text = request.POST.get("points", "")
    try:
        base = int(request.POST.get("base", ""))
        given = json.loads(text or "{}")
        if not isinstance(given, dict) or not all(
            isinstance(v, dict) and all(isinstance(p, int) for p in v.values())
            for v in given.values()
        ):
            raise ValueError
    except ValueError:
        error = 'Give a whole base and points as {"feature": {"value": points}}.'
        return _page(request, {"points": error}, status=422, points_text=text)
    if not 0 <= base <= 100 or any(
        not -100 <= p <= 100 for v in given.values() for p in v.values()
    ):
        error = "The base is 0-100 and each value's points -100 to 100."
        return _page(request, {"points": error}, status=422, points_text=text)
    try:
        leads.set_points(request.user, base, given, timezone.now())
    except DomainError as refused:
        return _page(request, {"points": _message(refused)}, status=422, points_text=text)
    messages.success(request, "The points model now scores leads; open leads were re-scored.")
    return go_to(request, reverse("scoring:settings"))


@login_required
@require_POST
def rollback(request: AuthedRequest) -> HttpResponse:
    _require_admin(request)
    try:
        fitted = store.roll_back(Target.LEAD)
    except DomainError as refused:
        messages.error(request, refused.detail)
        return go_to(request, reverse("scoring:settings"))
    leads.score_open()
    messages.success(
        request, f"The lead model of {fitted.fitted_at:%Y-%m-%d %H:%M} is active again."
    )
    return go_to(request, reverse("scoring:settings"))


@login_required
@require_POST
def refit(request: AuthedRequest) -> HttpResponse:
    _require_admin(request)
    fit_lead_model.enqueue()
    messages.success(request, "Refit queued: the worker fits and re-scores open leads.")
    return go_to(request, reverse("scoring:settings"))
