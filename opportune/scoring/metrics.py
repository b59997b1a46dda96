"""How good a probability is: ranking (ROC AUC, PR AUC) and honesty (Brier, ECE, a table).

ECE is the expected calibration error over 10 equal-width bins: the count-weighted mean of
|mean predicted - observed rate| per bin, as the lead scoring issue and the literature use.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

BINS = 10


def calibration_table(y: NDArray[Any], p: NDArray[Any], bins: int = BINS) -> list[dict[str, Any]]:
    """Per equal-width bin of predicted probability: count, mean predicted, observed rate."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(p, edges[1:-1], right=True), 0, bins - 1)
    table = []
    for b in range(bins):
        mask = index == b
        count = int(mask.sum())
        table.append(
            {
                "low": round(float(edges[b]), 2),
                "high": round(float(edges[b + 1]), 2),
                "count": count,
                "predicted": float(p[mask].mean()) if count else None,
                "observed": float(y[mask].mean()) if count else None,
            }
        )
    return table


def expected_calibration_error(y: NDArray[Any], p: NDArray[Any], bins: int = BINS) -> float:
    total = len(y)
    if total == 0:
        return 0.0
    return float(
        sum(
            row["count"] / total * abs(row["predicted"] - row["observed"])
            for row in calibration_table(y, p, bins)
            if row["count"]
        )
    )


def evaluate(y: NDArray[Any], p: NDArray[Any]) -> dict[str, Any]:
    """The model card's figures; AUCs are None when only one class is present."""
    both = len(np.unique(y)) == 2
    return {
        "rows": len(y),
        "positives": int(np.sum(y)),
        "roc_auc": float(roc_auc_score(y, p)) if both else None,
        "pr_auc": float(average_precision_score(y, p)) if both else None,
        "brier": float(brier_score_loss(y, p)) if len(y) else None,
        "ece": expected_calibration_error(y, p),
        "calibration": calibration_table(y, p),
    }
