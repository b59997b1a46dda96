"""Why a model scored a row so: each feature's additive contribution to the model's log-odds.

For every row, ``base + contributions.sum() == the model's raw log-odds`` exactly, so the
reasons shown add up to the score before calibration.

- Regularized logistic regression (imputer, scaler, then coefficients): a feature's
  contribution is its coefficient times its standardized value; the base is the intercept,
  the log-odds of a row at the training means.
- Histogram gradient boosting: scikit-learn ships no TreeSHAP, so each tree's prediction is
  split along the row's decision path (Saabas' method): every split's feature is credited
  with the change of the expected value (training-count-weighted mean of the leaves below)
  from the node to the child the row goes to. The base is the model's baseline plus every
  tree's expected value. It is exact and additive like SHAP, but not SHAP's fair share:
  features split near the root tend to be credited more. ``shap`` would add numba and
  llvmlite (about 60 MB) for this, hence the approximation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline

Matrix = NDArray[np.float64]


def contributions(model: Any, x: Matrix) -> tuple[Matrix, Matrix]:
    """(base per row, contribution per row and encoded column) in log-odds."""
    if isinstance(model, Pipeline):
        return _linear(model, x)
    if isinstance(model, HistGradientBoostingClassifier):
        return _trees(model, x)
    raise TypeError(f"No explanation for {type(model).__name__}.")


def _linear(model: Pipeline, x: Matrix) -> tuple[Matrix, Matrix]:
    """Imputer and scaler applied by hand: the same arithmetic as their ``transform``
    without scikit-learn's per-call input checks, which dominated scoring one row."""
    imputer, scaler, regression = model[0], model[1], model[-1]
    filled = np.where(np.isnan(x), imputer.statistics_, x)
    z = (filled - scaler.mean_) / scaler.scale_
    contrib = z * regression.coef_[0]
    base = np.full(len(x), float(regression.intercept_[0]))
    return base, np.asarray(contrib, dtype=np.float64)


def _expected_values(nodes: Any) -> Matrix:
    """Each node's training-count-weighted mean of the leaf values under it."""
    values = np.array(nodes["value"], dtype=np.float64)
    counts = np.maximum(nodes["count"].astype(np.float64), 1.0)
    # Children always come after their parent in the array: fill bottom-up.
    for i in range(len(nodes) - 1, -1, -1):
        if not nodes["is_leaf"][i]:
            left, right = nodes["left"][i], nodes["right"][i]
            values[i] = (values[left] * counts[left] + values[right] * counts[right]) / (
                counts[left] + counts[right]
            )
    return values


# Per fitted model (held, so its id is not reused): each tree's node expectations, and its
# nodes as Python lists for walking a few rows without numpy's per-call overhead.
_TABLES: dict[int, tuple[Any, list[Matrix], list[tuple[list[Any], ...]]]] = {}
FEW_ROWS = 8  # up to this many rows, walk the trees in Python (scoring on write)


def _tables(
    model: HistGradientBoostingClassifier,
) -> tuple[list[Matrix], list[tuple[list[Any], ...]]]:
    if id(model) not in _TABLES:
        expected = [_expected_values(p.nodes) for (p,) in model._predictors]
        walks = [
            tuple(
                p.nodes[name].tolist()
                for name in (
                    "is_leaf",
                    "feature_idx",
                    "num_threshold",
                    "missing_go_to_left",
                    "left",
                    "right",
                )
            )
            for (p,) in model._predictors
        ]
        _TABLES[id(model)] = (model, expected, walks)
    _, expected, walks = _TABLES[id(model)]
    return expected, walks


def _few_rows(model: HistGradientBoostingClassifier, x: Matrix) -> tuple[Matrix, Matrix]:
    """The same walk as ``_trees``, in plain Python lists (numpy's per-element access costs
    more than the arithmetic): for one lead, ten times faster."""
    expected, walks = _tables(model)
    trees = _expected_lists(model)
    n, width = x.shape
    contrib = np.zeros((n, width))
    start = float(np.ravel(model._baseline_prediction)[0]) + sum(e[0] for e in expected)
    base = np.full(n, start)
    values = x.tolist()
    for r in range(n):
        row, out = values[r], [0.0] * width
        for tree, (leaf, feature, threshold, missing_left, left, right) in zip(
            trees, walks, strict=True
        ):
            at = 0
            while not leaf[at]:
                f = feature[at]
                value = row[f]
                go_left = missing_left[at] if value != value else value <= threshold[at]
                child = left[at] if go_left else right[at]
                out[f] += tree[child] - tree[at]
                at = child
        contrib[r] = out
    return base, contrib


_LISTS: dict[int, tuple[Any, list[list[float]]]] = {}


def _expected_lists(model: HistGradientBoostingClassifier) -> list[list[float]]:
    if id(model) not in _LISTS:
        _LISTS[id(model)] = (model, [e.tolist() for e in _tables(model)[0]])
    return _LISTS[id(model)][1]


def _trees(model: HistGradientBoostingClassifier, x: Matrix) -> tuple[Matrix, Matrix]:
    if len(x) <= FEW_ROWS:
        return _few_rows(model, x)
    n, width = x.shape
    contrib = np.zeros((n, width))
    base = np.full(n, float(np.ravel(model._baseline_prediction)[0]))
    rows = np.arange(n)
    expectations, _ = _tables(model)
    for (predictor,), expected in zip(model._predictors, expectations, strict=True):
        nodes = predictor.nodes
        base += expected[0]
        at = np.zeros(n, dtype=np.intp)
        while True:
            inner = ~nodes["is_leaf"][at].astype(bool)
            if not inner.any():
                break
            here = at[inner]
            feature = nodes["feature_idx"][here]
            value = x[rows[inner], feature]
            missing = np.isnan(value)
            go_left = np.where(
                missing,
                nodes["missing_go_to_left"][here].astype(bool),
                value <= nodes["num_threshold"][here],
            )
            child = np.where(go_left, nodes["left"][here], nodes["right"][here]).astype(np.intp)
            np.add.at(contrib, (rows[inner], feature), expected[child] - expected[here])
            at[inner] = child
    return base, contrib


# Per fitted model (held, so its id is not reused): per tree, a predictor whose leaves hold
# their own node index, the encoded columns the tree splits on, and each node's summed
# contributions along the path from the root to it (on those columns).
_LEAVES: dict[int, tuple[Any, list[tuple[Any, NDArray[np.intp], Matrix]], Any]] = {}


def _leaf_tables(
    model: HistGradientBoostingClassifier,
) -> tuple[list[tuple[Any, NDArray[np.intp], Matrix]], Any]:
    if id(model) not in _LEAVES:
        from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor

        expectations, _ = _tables(model)
        trees = []
        for (predictor,), expected in zip(model._predictors, expectations, strict=True):
            nodes = predictor.nodes.copy()
            nodes["value"] = np.arange(len(nodes), dtype=np.float64)
            indexer = TreePredictor(
                nodes, predictor.binned_left_cat_bitsets, predictor.raw_left_cat_bitsets
            )
            inner = ~nodes["is_leaf"].astype(bool)
            used = np.unique(nodes["feature_idx"][inner]).astype(np.intp)
            where = {int(f): k for k, f in enumerate(used)}
            path = np.zeros((len(nodes), len(used)))
            for at in range(len(nodes)):  # children come after their parent
                if inner[at]:
                    column = where[int(nodes["feature_idx"][at])]
                    for child in (int(nodes["left"][at]), int(nodes["right"][at])):
                        path[child] = path[at]
                        path[child, column] += expected[child] - expected[at]
            trees.append((indexer, used, path))
        _LEAVES[id(model)] = (model, trees, model._bin_mapper.make_known_categories_bitsets())
    _, trees, bitsets = _LEAVES[id(model)]
    return trees, bitsets


# Per fitted model and summing matrix: per tree, the features it splits on and each node's
# path sums per feature (the encoded columns' sums folded together).
Paths = list[tuple[NDArray[np.intp], Matrix]]
_FEATURE_PATHS: dict[tuple[int, int], tuple[Any, Matrix, Paths]] = {}


def _feature_paths(model: HistGradientBoostingClassifier, summing: Matrix) -> Paths:
    key = (id(model), id(summing))
    if key not in _FEATURE_PATHS:
        trees, _ = _leaf_tables(model)
        out = []
        for _, used, path in trees:
            by_feature = path @ summing[used]  # (nodes x features)
            features = np.flatnonzero(np.abs(by_feature).sum(axis=0)).astype(np.intp)
            out.append((features, np.ascontiguousarray(by_feature[:, features].T)))
        _FEATURE_PATHS[key] = (model, summing, out)
    return _FEATURE_PATHS[key][2]


def feature_contributions(model: Any, x: Matrix, summing: Matrix) -> tuple[Matrix, Matrix]:
    """(base per row, contribution per row and *feature*), ``summing`` being the (encoded
    column x feature) 0/1 matrix. For many rows of the tree model: each tree's leaf per row
    from scikit-learn's compiled predictor (its leaves relabelled with their node index),
    then that leaf's path sums per feature, added feature-major (each feature's row of the
    result is contiguous: adding into a row-major (rows x columns) matrix column by column
    was most of a million leads' re-score)."""
    if not isinstance(model, HistGradientBoostingClassifier) or len(x) <= FEW_ROWS:
        base, contrib = contributions(model, x)
        return base, np.asarray(contrib @ summing, dtype=np.float64)
    trees, _ = _leaf_tables(model)
    paths = _feature_paths(model, summing)
    expectations, _ = _tables(model)
    n = len(x)
    out = np.zeros((summing.shape[1], n))
    start = float(np.ravel(model._baseline_prediction)[0]) + sum(e[0] for e in expectations)
    # Binned once (uint8, what the trees were grown on): x <= a split's threshold exactly
    # when x's bin <= the split's bin, and missing values have their own bin, so the
    # leaves are the raw predictor's; a tenth of the memory per tree walk.
    mapper = model._bin_mapper
    data = np.ascontiguousarray(mapper.transform(np.asarray(x, dtype=np.float64)))
    missing = mapper.missing_values_bin_idx_
    for (indexer, used, _), (features, path) in zip(trees, paths, strict=True):
        if not len(used):
            continue
        # One thread: two OpenMP threads on the 2 shared cores made 200,000 leads take
        # 17 s instead of 9-13 s.
        leaf = indexer.predict_binned(data, missing, 1).astype(np.intp)
        for f, sums in zip(features.tolist(), path, strict=True):
            out[f] += sums.take(leaf)  # a row at a time: 5x less than gather and scatter
    return np.full(n, start), np.ascontiguousarray(out.T)
