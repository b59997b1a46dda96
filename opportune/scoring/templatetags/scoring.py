"""Showing a win probability: its percentage, colour and reasons."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def percent(probability: float) -> str:
    return f"{round(probability * 100)}%"


@register.filter
def chance_color(probability: float) -> str:
    if probability >= 0.6:
        return "badge-green"
    if probability >= 0.3:
        return "badge-amber"
    return "badge-red"


@register.filter
def effect_points(effect: float) -> str:
    """A reason's effect in percentage points, signed: "+12", "-4", "<1"."""
    points = round(effect * 100)
    if points == 0:
        return "<1"
    return f"{points:+d}"


@register.simple_tag
def win_score(opportunity: Any) -> Any:
    """The deal's stored score, or None (read from select_related("win_score"))."""
    return getattr(opportunity, "win_score", None)


@register.simple_tag
def lead_score_model() -> str:
    """Which lead model gives the scores: "points" (too little history yet) or "learned"."""
    from opportune.scoring.models import Target
    from opportune.scoring.store import active_fit

    fitted = active_fit(Target.LEAD)
    if fitted is None:
        return ""
    return "points" if fitted.card.get("model") == "points" else "learned"
