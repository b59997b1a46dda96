"""/api/v1/scoring/lead: which lead model scores leads (learned or points) and its card;
admins set the points model's points (docs/scoring.md, "Little history")."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router
from pydantic import Field

from opportune.identity.auth import actor
from opportune.schemas import InputSchema, OutputSchema

from . import store
from .leads import set_points
from .models import ScoringModel, Target

router = Router(tags=["configuration"])

PointValue = Annotated[int, Field(ge=-100, le=100)]


class LeadModelOut(OutputSchema):
    model: str = Field(description='"learned", "points" or "none" (no lead model yet).')
    kind: str = Field("", description="The learned model's kind, e.g. gradient boosting.")
    fitted_at: dt.datetime | None = None
    rows: int = 0
    positives: int = 0
    metrics: dict[str, Any] = Field(default_factory=dict)
    base: int | None = None
    points: dict[str, dict[str, int]] = Field(default_factory=dict)

    @classmethod
    def of(cls, fitted: ScoringModel | None) -> LeadModelOut:
        if fitted is None:
            return cls(model="none")
        card = fitted.card
        is_points = card.get("model") == "points"
        return cls(
            model="points" if is_points else "learned",
            kind="" if is_points else str(card.get("model", "")),
            fitted_at=fitted.fitted_at,
            rows=fitted.rows,
            positives=fitted.positives,
            metrics={k: v for k, v in card.get("metrics", {}).items() if k != "calibration"},
            base=card.get("base"),
            points=card.get("points", {}),
        )


class PointsIn(InputSchema):
    base: int = Field(ge=0, le=100, description="The score of a lead with no points.")
    points: dict[
        Annotated[str, Field(max_length=60)], dict[Annotated[str, Field(max_length=80)], PointValue]
    ] = Field(description='Per category feature, points per value: {"source": {"referral": 15}}.')


@router.get("/scoring/lead", response=LeadModelOut, summary="The active lead scoring model")
def get_lead_model(request: HttpRequest) -> LeadModelOut:
    return LeadModelOut.of(store.active_fit(Target.LEAD))


@router.put(
    "/scoring/lead/points",
    response=LeadModelOut,
    summary="Set the lead points model (admins); open leads are re-scored",
)
def put_lead_points(request: HttpRequest, payload: PointsIn) -> LeadModelOut:
    fitted = set_points(actor(request), payload.base, payload.points, timezone.now())
    return LeadModelOut.of(fitted)
