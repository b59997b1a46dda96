"""The scoring core: reasons add up, calibration only when it helps, honest metrics."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from opportune.scoring import core
from opportune.scoring.core import Feature, NotEnoughHistory
from opportune.scoring.explain import contributions
from opportune.scoring.metrics import evaluate, expected_calibration_error

FEATURES = [Feature("signal"), Feature("noise"), Feature("colour", "category")]


def table(n: int = 1200, seed: int = 1) -> tuple[list[list[core.Value]], list[int]]:
    """Log-odds = 2 x signal + 1 if red: a logistic model is right about it."""
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=n)
    colour = rng.choice(["red", "blue", "green"], size=n)
    logit = 2 * signal + (colour == "red")
    labels = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    rows: list[list[core.Value]] = [
        [float(signal[i]), float(rng.normal()) if i % 9 else None, str(colour[i])] for i in range(n)
    ]
    return rows, [int(v) for v in labels]


@pytest.mark.parametrize("kind", ["logistic (C=1)", "gradient boosting"])
def test_contributions_add_up_to_the_models_log_odds(kind: str) -> None:
    rows, labels = table()
    scorer = core.fit(FEATURES, rows, labels, list(range(len(rows))), {kind: core.CANDIDATES[kind]})
    x = scorer.encoder.transform(rows[:50])
    base, contrib = contributions(scorer.model, x)
    raw = scorer.model.predict_proba(x)[:, 1]
    assert np.allclose(1 / (1 + np.exp(-(base + contrib.sum(axis=1)))), raw)


@pytest.mark.parametrize("kind", ["logistic (C=1)", "gradient boosting"])
def test_a_reasons_sign_is_its_contributions_and_the_strong_feature_leads(kind: str) -> None:
    rows, labels = table()
    scorer = core.fit(FEATURES, rows, labels, list(range(len(rows))), {kind: core.CANDIDATES[kind]})
    high: list[core.Value] = [2.0, 0.0, "blue"]
    low: list[core.Value] = [-2.0, 0.0, "blue"]
    _, _, per_feature = scorer.explain([high, low])
    _, effects = scorer.effects([high, low])
    assert per_feature[0, 0] > 0 > per_feature[1, 0]
    assert np.all(
        np.sign(effects[np.abs(effects) > 1e-9]) == np.sign(per_feature[np.abs(effects) > 1e-9])
    )
    assert scorer.card["importances"][0]["feature"] == "signal"


def test_calibration_is_not_applied_to_a_model_already_calibrated() -> None:
    rows, labels = table(2000)
    scorer = core.fit(
        FEATURES,
        rows,
        labels,
        list(range(len(rows))),
        {"logistic": core.CANDIDATES["logistic (C=1)"]},
    )
    assert scorer.card["calibration"] == "none"
    assert scorer.calibrator is None


def squeezed() -> Any:
    """Regularized so hard that every probability is pulled toward one half."""
    return core.linear(0.0005)


def test_calibration_is_applied_when_it_lowers_the_brier_score() -> None:
    rows, labels = table(2000)
    scorer = core.fit(FEATURES, rows, labels, list(range(len(rows))), {"squeezed": squeezed})
    briers = scorer.card["calibration_briers"]
    assert scorer.card["calibration"] in ("sigmoid", "isotonic")
    assert briers[scorer.card["calibration"]] < briers["none"] * (1 - core.CALIBRATION_MARGIN)
    raw = scorer.model.predict_proba(scorer.encoder.transform(rows))[:, 1]
    y = np.array(labels)
    assert expected_calibration_error(y, scorer.predict(rows)) < expected_calibration_error(y, raw)


def test_the_card_states_what_the_model_was_fitted_on_and_how_it_scored() -> None:
    rows, labels = table()
    scorer = core.fit(FEATURES, rows, labels, list(range(len(rows))))
    card = scorer.card
    assert (card["rows"], card["positives"]) == (len(rows), sum(labels))
    assert card["features"] == ["signal", "noise", "colour"]
    assert card["model"] in core.CANDIDATES
    assert card["metrics"]["roc_auc"] > 0.75
    assert len(card["metrics"]["calibration"]) == 10


def test_too_little_history_is_refused_with_a_reason() -> None:
    rows, labels = table(30)
    with pytest.raises(NotEnoughHistory, match="at least"):
        core.fit(FEATURES, rows, labels, list(range(len(rows))))


def test_the_expected_calibration_error_weights_each_bins_gap_by_its_rows() -> None:
    y = np.array([1, 0, 0, 0, 1, 1])
    p = np.array([0.05, 0.05, 0.05, 0.05, 0.95, 0.95])
    # Bin 0: 4 rows, predicted 0.05, observed 0.25; bin 9: 2 rows, 0.95 vs 1.0.
    assert expected_calibration_error(y, p) == pytest.approx(4 / 6 * 0.2 + 2 / 6 * 0.05)
    assert evaluate(y, p)["calibration"][0]["count"] == 4
