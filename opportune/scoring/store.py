"""Keeping fits: the active one per target and the one before it, for rollback.

Loaded models are cached per process by the fit's id, so scoring on write does not unpickle
on every request; a new fit has a new id, so the cache never serves a replaced model.
"""

from __future__ import annotations

import datetime as dt
import pickle
from typing import Any

import sklearn
from django.db import transaction

from opportune.errors import RuleViolation

from .core import Scorer
from .models import ScoringModel

# By id, target and time: a rolled-back transaction (tests) can hand a pk out again.
_loaded: dict[tuple[int, str, dt.datetime], Scorer | None] = {}


def keep_fit(target: str, scorer: Scorer, now: dt.datetime, seconds: float) -> ScoringModel:
    """Store a fit as the active one; the former active one stays as the rollback."""
    blob = pickle.dumps(scorer, protocol=pickle.HIGHEST_PROTOCOL)
    return keep_card(target, scorer.card, now, seconds, blob)


@transaction.atomic
def keep_card(
    target: str, card: dict[str, Any], now: dt.datetime, seconds: float, blob: bytes = b""
) -> ScoringModel:
    """Store a model (a card, and a pickled scorer unless the card is the whole model, as a
    points model's is) as the active one; the former active one stays as the rollback."""
    ScoringModel.objects.select_for_update().filter(target=target).update(is_active=False)
    fitted = ScoringModel.objects.create(
        target=target,
        fitted_at=now,
        rows=card["rows"],
        positives=card["positives"],
        fit_seconds=seconds,
        card=card,
        blob=blob,
        is_active=True,
    )
    keep = list(ScoringModel.objects.filter(target=target).values_list("pk", flat=True)[:2])
    ScoringModel.objects.filter(target=target).exclude(pk__in=keep).delete()
    return fitted


@transaction.atomic
def roll_back(target: str) -> ScoringModel:
    """Make the previous fit the active one (and the current one the previous)."""
    fits = list(ScoringModel.objects.select_for_update().filter(target=target)[:2])
    active = next((f for f in fits if f.is_active), None)
    previous = next((f for f in fits if not f.is_active), None)
    if previous is None:
        raise RuleViolation(f"There is no previous {target} model to roll back to.")
    if active is not None:
        ScoringModel.objects.filter(pk=active.pk).update(is_active=False)
    ScoringModel.objects.filter(pk=previous.pk).update(is_active=True)
    previous.is_active = True
    return previous


def active_fit(target: str) -> ScoringModel | None:
    return ScoringModel.objects.filter(target=target, is_active=True).defer("blob").first()


def scorer_of(fitted: ScoringModel) -> Scorer | None:
    """The fit's model, or None if it was written by another scikit-learn version."""
    key = (fitted.pk, fitted.target, fitted.fitted_at)
    if key not in _loaded:
        _loaded[key] = None
        if fitted.card.get("sklearn") == sklearn.__version__:
            blob = ScoringModel.objects.values_list("blob", flat=True).get(pk=fitted.pk)
            _loaded[key] = pickle.loads(bytes(blob))  # trusted: only fits write blobs
    return _loaded[key]
