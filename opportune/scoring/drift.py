"""Drift: the scores of leads created since the active fit against the training leads'.

Both as the share of leads per score decile (0-9, 10-19, ..., 90-100), and the population
stability index PSI = sum((new - train) * ln(new / train)) over the deciles (shares floored
at 0.001 so an empty decile does not make it infinite). Reading of the common rule of thumb:
below 0.1 stable, 0.1-0.25 moderate shift, above 0.25 a large shift: refit, and check the
sources feeding new leads.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import Count, F, Value
from django.db.models.functions import Floor, Least

from opportune.leads.models import Lead

from .models import ScoringModel

BINS = 10
FLOOR = 0.001


def histogram(scores: Sequence[float] | Any) -> list[float]:
    """Share of scores (0-100) per decile; 100 counts in the last."""
    values = np.minimum(np.asarray(scores, dtype=np.float64) // 10, BINS - 1).astype(int)
    counts = np.bincount(values, minlength=BINS) if len(values) else np.zeros(BINS)
    total = max(int(counts.sum()), 1)
    return [round(float(c) / total, 4) for c in counts]


def psi(expected: Sequence[float], actual: Sequence[float]) -> float:
    total = 0.0
    for e, a in zip(expected, actual, strict=True):
        e, a = max(e, FLOOR), max(a, FLOOR)
        total += (a - e) * math.log(a / e)
    return total


@dataclass
class Drift:
    training: list[float]
    new: list[float]
    new_leads: int
    psi: float | None

    @property
    def verdict(self) -> str:
        if self.psi is None:
            return "No leads scored since the fit yet."
        if self.psi < 0.1:
            return "Stable: new leads score like the training leads."
        if self.psi < 0.25:
            return "Moderate shift: watch it."
        return "Large shift: refit, and check what feeds new leads."

    def bars(self) -> list[dict[str, Any]]:
        top = max([*self.training, *self.new, 0.01])
        return [
            {
                "label": f"{10 * i}-{10 * i + 9 if i < BINS - 1 else 100}",
                "training": t,
                "new": n,
                "training_pct": round(100 * t / top),
                "new_pct": round(100 * n / top),
            }
            for i, (t, n) in enumerate(zip(self.training, self.new, strict=True))
        ]


def drift(fitted: ScoringModel) -> Drift | None:
    """The drift of the fit's scores; None for a fit without a training histogram. One
    grouped query over the leads created since the fit."""
    training = fitted.card.get("score_histogram")
    if not training:
        return None
    rows = (
        Lead.objects.filter(created_at__gte=fitted.fitted_at, score__isnull=False)
        .order_by()
        .annotate(decile=Least(Floor(F("score") / 10), Value(BINS - 1)))
        .values("decile")
        .annotate(n=Count("pk"))
        .values_list("decile", "n")
    )
    counts = [0] * BINS
    for decile, n in rows:
        counts[int(decile)] += n
    total = sum(counts)
    new = [round(c / total, 4) for c in counts] if total else [0.0] * BINS
    return Drift(training, new, total, psi(training, new) if total else None)
