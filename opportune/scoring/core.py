"""The scoring core, for any target: a feature table and binary labels in, a fitted,
calibrated and explainable scorer and its model card out. It knows nothing of Django.

The steps of ``fit``:
1. Encode: numbers stay numbers (missing = NaN); each categorical feature becomes one
   indicator column per frequent value (the rest count as none of them).
2. Choose the model by time-aware cross-validation: the rows are ordered by ``order`` (when
   each row's label became known) and each fold trains on the past, tests on what follows
   (scikit-learn's TimeSeriesSplit). Candidates: regularized logistic regression (two
   strengths) and histogram gradient boosting; the best mean ROC AUC wins.
3. Calibrate only when it helps: the winner's out-of-fold probabilities, still in time
   order, are split in two; sigmoid (Platt) and isotonic maps fitted on the earlier half are
   judged by Brier score on the later half against the raw probabilities. A map is kept
   only if it lowers the Brier score by at least ``CALIBRATION_MARGIN``; it is then refitted
   on all out-of-fold probabilities.
4. Refit the winner on all rows. The card's figures are those of the later half (the
   calibrated figures when a map was kept): an honest forecast of the next period.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import sklearn
from numpy.typing import NDArray
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from opportune.errors import DomainError

from .explain import Matrix, contributions
from .metrics import evaluate

Value = float | int | str | None
Mapping = Literal["sigmoid", "isotonic"]
Method = Literal["none", "sigmoid", "isotonic"]
METHODS: tuple[Mapping, ...] = ("sigmoid", "isotonic")
MIN_ROWS = 40
MIN_PER_CLASS = 10
MAX_CATEGORIES = 20
MIN_CATEGORY_ROWS = 5
FOLDS = 4
CALIBRATION_MARGIN = 0.01  # relative Brier improvement a calibration map must bring


class NotEnoughHistory(DomainError):
    """Too few labelled rows, or of one class, to learn anything."""


@dataclass(frozen=True)
class Feature:
    name: str
    kind: Literal["number", "category"] = "number"


@dataclass
class Encoder:
    """Rows of raw values -> a float matrix; remembers which column is which feature."""

    features: list[Feature]
    categories: dict[str, list[str]] = field(default_factory=dict)
    unused: set[str] = field(default_factory=set)  # numbers never given: no column

    def fit(self, rows: Sequence[Sequence[Value]]) -> Encoder:
        for i, feature in enumerate(self.features):
            if feature.kind == "number" and all(row[i] is None for row in rows):
                self.unused.add(feature.name)
            elif feature.kind == "category":
                counts = Counter(str(row[i]) for row in rows if row[i] not in (None, ""))
                self.categories[feature.name] = sorted(
                    v for v, c in counts.most_common(MAX_CATEGORIES) if c >= MIN_CATEGORY_ROWS
                )
        return self

    @property
    def columns(self) -> list[tuple[int, str | None]]:
        """(feature index, category value or None) per encoded column."""
        if "_columns" not in self.__dict__:  # computed once (a fitted encoder is not changed)
            out: list[tuple[int, str | None]] = []
            for i, feature in enumerate(self.features):
                if feature.name in self.unused:
                    continue
                if feature.kind == "number":
                    out.append((i, None))
                else:
                    out.extend((i, value) for value in self.categories[feature.name])
            self.__dict__["_columns"] = out
        return list(self.__dict__["_columns"])

    def _plan(self) -> tuple[list[tuple[int, int]], list[tuple[int, dict[str, int]]], Matrix]:
        """Numbers as (feature, column), categories as (feature, {value: column}), and the
        (column x feature) 0/1 matrix that sums encoded columns back per feature."""
        if "_planned" not in self.__dict__:
            numbers: list[tuple[int, int]] = []
            categories: dict[int, dict[str, int]] = {}
            columns = self.columns
            summing = np.zeros((len(columns), len(self.features)))
            for c, (i, category) in enumerate(columns):
                summing[c, i] = 1.0
                if category is None:
                    numbers.append((i, c))
                else:
                    categories.setdefault(i, {})[category] = c
            self.__dict__["_planned"] = (numbers, list(categories.items()), summing)
        plan: tuple[list[tuple[int, int]], list[tuple[int, dict[str, int]]], Matrix]
        plan = self.__dict__["_planned"]
        return plan

    @property
    def summing(self) -> Matrix:
        """The (encoded column x feature) 0/1 matrix: ``encoded @ summing`` per feature."""
        return self._plan()[2]

    def __getstate__(self) -> dict[str, Any]:
        # The computed plans are not part of a stored fit: rebuilt after unpickling.
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def transform(self, rows: Sequence[Sequence[Value]]) -> Matrix:
        """One float row per row: a cell per number, a 1 in the column of a category's
        value (none for a value not kept). Per feature, not per encoded column: scoring
        one lead on write walks its ~40 values, not its ~300 columns."""
        numbers, categories, _ = self._plan()
        x = np.zeros((len(rows), len(self.columns)))
        for r, row in enumerate(rows):
            out = x[r]
            for i, c in numbers:
                value = row[i]
                out[c] = math.nan if value is None else float(value)
            for i, index in categories:
                value = row[i]
                if value is not None:
                    c = index.get(value if value.__class__ is str else str(value), -1)
                    if c >= 0:
                        out[c] = 1.0
        return x

    def by_feature(self, encoded: Matrix) -> Matrix:
        """Sum encoded columns back into one column per feature."""
        return np.asarray(encoded @ self.summing, dtype=np.float64)


def linear(strength: float) -> Any:
    return make_pipeline(
        SimpleImputer(strategy="median", keep_empty_features=True),
        StandardScaler(),
        LogisticRegression(C=strength, max_iter=2000),
    )


def boosted() -> Any:
    return HistGradientBoostingClassifier(
        max_iter=100,
        learning_rate=0.05,
        max_leaf_nodes=15,
        min_samples_leaf=40,
        l2_regularization=1.0,
        early_stopping=False,
        random_state=0,
    )


CANDIDATES: dict[str, Callable[[], Any]] = {
    "logistic (C=0.1)": lambda: linear(0.1),
    "logistic (C=1)": lambda: linear(1.0),
    "gradient boosting": boosted,
}


@dataclass
class Calibrator:
    method: Mapping
    model: Any

    @classmethod
    def fit(cls, method: Mapping, p: Matrix, y: NDArray[Any]) -> Calibrator:
        if method == "isotonic":
            model: Any = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
            model.fit(p, y)
        else:
            model = LogisticRegression(C=1e6, max_iter=1000).fit(_logit(p)[:, None], y)
        return cls(method, model)

    def __call__(self, p: Matrix) -> Matrix:
        if self.method == "isotonic":
            return np.asarray(self.model.predict(p), dtype=np.float64)
        return np.asarray(self.model.predict_proba(_logit(p)[:, None])[:, 1], dtype=np.float64)


def _logit(p: Matrix) -> Matrix:
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(q / (1 - q)), dtype=np.float64)


def _sigmoid(z: Matrix) -> Matrix:
    return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)


@dataclass
class Scorer:
    """A fitted model, its calibration map (if any) and what it needs to explain itself."""

    encoder: Encoder
    kind: str
    model: Any
    calibrator: Calibrator | None
    card: dict[str, Any]
    sklearn_version: str = sklearn.__version__

    def calibrate(self, p: Matrix) -> Matrix:
        return p if self.calibrator is None else self.calibrator(p)

    def predict(self, rows: Sequence[Sequence[Value]]) -> Matrix:
        if not rows:
            return np.zeros(0)
        x = self.encoder.transform(rows)
        return self.calibrate(np.asarray(self.model.predict_proba(x)[:, 1], dtype=np.float64))

    def explain(self, rows: Sequence[Sequence[Value]]) -> tuple[Matrix, Matrix, Matrix]:
        """(calibrated probability, base log-odds, per-feature log-odds contributions)."""
        x = self.encoder.transform(rows)
        base, contrib = contributions(self.model, x)
        per_feature = self.encoder.by_feature(contrib)
        raw = _sigmoid(base + per_feature.sum(axis=1))
        return self.calibrate(raw), base, per_feature

    def effects(self, rows: Sequence[Sequence[Value]]) -> tuple[Matrix, Matrix]:
        """(probability, per-feature effect in probability points): how much the calibrated
        probability would drop if the feature's contribution were taken away. Its sign is
        the contribution's (the calibration maps are non-decreasing)."""
        if not rows:
            return np.zeros(0), np.zeros((0, len(self.encoder.features)))
        p, base, per_feature = self.explain(rows)
        logit = base + per_feature.sum(axis=1)
        # All "without feature j" probabilities in one calibration call (each call costs).
        without = self.calibrate(_sigmoid((logit[:, None] - per_feature).ravel()))
        effect = p[:, None] - without.reshape(per_feature.shape)
        return p, effect


def _folds(n: int) -> list[tuple[NDArray[np.intp], NDArray[np.intp]]]:
    return list(TimeSeriesSplit(n_splits=FOLDS).split(np.zeros(n)))


def _out_of_fold(make: Callable[[], Any], x: Matrix, y: NDArray[Any]) -> tuple[Matrix, float]:
    """Probabilities for every row after the first fold, and the mean fold ROC AUC."""
    p = np.full(len(y), np.nan)
    aucs = []
    for train, test in _folds(len(y)):
        if len(np.unique(y[train])) < 2:
            continue
        model = clone(make()).fit(x[train], y[train])
        p[test] = model.predict_proba(x[test])[:, 1]
        if len(np.unique(y[test])) == 2:
            aucs.append(roc_auc_score(y[test], p[test]))
    return p, float(np.mean(aucs)) if aucs else 0.5


def choose_calibration(p: Matrix, y: NDArray[Any]) -> tuple[Method, dict[str, float]]:
    """ "none", "sigmoid" or "isotonic", judged on the later half of time-ordered rows."""
    half = len(p) // 2
    early, late = slice(0, half), slice(half, None)
    briers: dict[Method, float] = {"none": float(brier_score_loss(y[late], p[late]))}
    if len(np.unique(y[early])) == 2:
        for method in METHODS:
            mapped = Calibrator.fit(method, p[early], y[early])(p[late])
            briers[method] = float(brier_score_loss(y[late], mapped))
    best: Method = min(briers, key=lambda m: briers[m])
    if best != "none" and briers[best] > briers["none"] * (1 - CALIBRATION_MARGIN):
        best = "none"
    return best, {str(method): brier for method, brier in briers.items()}


def fit(
    features: list[Feature],
    rows: Sequence[Sequence[Value]],
    labels: Sequence[int],
    order: Sequence[Any],
    candidates: dict[str, Callable[[], Any]] | None = None,
) -> Scorer:
    """Fit a scorer; ``order`` gives when each row's label became known. One thread: the
    fit runs in the worker beside the web server, and OpenMP threads fighting for busy cores
    were slower than one."""
    with threadpool_limits(limits=1):
        return _fit(features, rows, labels, order, candidates)


def _fit(
    features: list[Feature],
    rows: Sequence[Sequence[Value]],
    labels: Sequence[int],
    order: Sequence[Any],
    candidates: dict[str, Callable[[], Any]] | None = None,
) -> Scorer:
    candidates = candidates or CANDIDATES
    y_all = np.asarray(labels, dtype=np.int64)
    positives = int(y_all.sum())
    if len(y_all) < MIN_ROWS or min(positives, len(y_all) - positives) < MIN_PER_CLASS:
        raise NotEnoughHistory(
            f"Scoring needs at least {MIN_ROWS} outcomes with {MIN_PER_CLASS} of each kind; "
            f"there are {len(y_all)} with {positives} positive."
        )
    sequence = sorted(range(len(y_all)), key=lambda i: order[i])
    encoder = Encoder(features).fit(rows)
    x = encoder.transform([rows[i] for i in sequence])
    y = y_all[sequence]

    tried = {name: _out_of_fold(make, x, y) for name, make in candidates.items()}
    kind = max(tried, key=lambda name: tried[name][1])
    oof = tried[kind][0]
    scored = ~np.isnan(oof)
    method, briers = choose_calibration(oof[scored], y[scored])
    calibrator = None
    late_p, late_y = oof[scored][len(oof[scored]) // 2 :], y[scored][len(oof[scored]) // 2 :]
    if method != "none":
        early = len(oof[scored]) // 2
        judged = Calibrator.fit(method, oof[scored][:early], y[scored][:early])
        late_p = judged(late_p)
        calibrator = Calibrator.fit(method, oof[scored], y[scored])
    model = clone(candidates[kind]()).fit(x, y)
    scorer = Scorer(encoder, kind, model, calibrator, card={})
    _, _, per_feature = scorer.explain([rows[i] for i in sequence])
    importance = np.abs(per_feature).mean(axis=0)
    scorer.card = {
        "rows": len(y),
        "positives": positives,
        "features": [f.name for f in features],
        "model": kind,
        "candidates": {name: round(auc, 4) for name, (_, auc) in tried.items()},
        "calibration": method,
        "calibration_briers": {m: round(b, 5) for m, b in briers.items()},
        "metrics": evaluate(late_y, late_p),
        "importances": [
            {"feature": name, "importance": value}
            for value, name in sorted(
                ((round(float(v), 4), f.name) for f, v in zip(features, importance, strict=True)),
                key=lambda pair: -pair[0],
            )
        ],
        "sklearn": sklearn.__version__,
    }
    return scorer
