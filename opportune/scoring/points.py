"""The points model: what scores leads while there is too little history to learn from.

A lead's score is ``base`` plus the points of each of its values (a picklist or category
value, e.g. ``{"source": {"referral": 15}}``), kept within 0-100. The suggested model is
derived from the outcomes so far: ``base`` is the conversion rate in percent, and each value
seen in at least ``MIN_ROWS`` outcomes gets half its rate's difference from the base rate
(smoothed toward the base rate with ``PRIOR`` pseudo-leads), within +-``CAP`` points.
Half, because a lead's values are not independent: summing full differences overshoots.
The whole model is its card (plain JSON): an admin may edit it without any code running.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .core import Feature, Value
from .explain import Matrix

MIN_ROWS = 5
PRIOR = 5
CAP = 25


@dataclass
class Points:
    features: list[Feature]
    base: int
    points: dict[str, dict[str, int]]

    @classmethod
    def of(cls, features: list[Feature], card: dict[str, Any]) -> Points:
        return cls(features, int(card["base"]), card["points"])

    def effects(self, rows: Sequence[Sequence[Value]]) -> tuple[Matrix, Matrix]:
        """(score as a probability, each feature's points as probability points)."""
        effect = np.zeros((len(rows), len(self.features)))
        for r, row in enumerate(rows):
            for j, feature in enumerate(self.features):
                table = self.points.get(feature.name)
                if table and row[j] is not None:
                    effect[r, j] = table.get(str(row[j]), 0) / 100
        p = np.clip(self.base / 100 + effect.sum(axis=1), 0.0, 1.0)
        return p, effect


def suggest(
    features: list[Feature], rows: Sequence[Sequence[Value]], labels: Sequence[int]
) -> dict[str, Any]:
    """A points model's card, suggested from the outcomes so far."""
    rate = sum(labels) / len(labels) if labels else 0.0
    points: dict[str, dict[str, int]] = {}
    for j, feature in enumerate(features):
        if feature.kind != "category":
            continue
        seen: Counter[str] = Counter()
        won: Counter[str] = Counter()
        for row, label in zip(rows, labels, strict=True):
            if row[j] is not None:
                seen[str(row[j])] += 1
                won[str(row[j])] += label
        table = {}
        for value, n in seen.items():
            if n >= MIN_ROWS:
                smoothed = (won[value] + PRIOR * rate) / (n + PRIOR)
                given = round(max(-CAP, min(CAP, 50 * (smoothed - rate))))
                if given:
                    table[value] = given
        if table:
            points[feature.name] = table
    return {
        "model": "points",
        "rows": len(labels),
        "positives": int(sum(labels)),
        "features": [f.name for f in features],
        "base": round(100 * rate),
        "points": points,
        "metrics": {},
        "importances": [],
        "calibration": "none",
    }
