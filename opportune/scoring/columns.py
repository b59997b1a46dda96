"""Set-based lead scoring: a batch of leads as columns, encoded, scored and explained with
numpy, without a Python object per lead.

``Schema.row`` and ``Encoder.transform`` build one list per lead and one float per cell in
Python: fine for the few leads of a write, 300 s for a million. Here each feature is one
column (a list comprehension or one numpy call), categories are one-hot encoded by code
comparison, and the tree model's contributions come from leaf indices
(``explain.leaf_contributions``). The result must equal the row path's (tested), so the
conversions below mirror ``Schema.row`` value for value.

Raw columns are named like ``values_of``: the built-in field names, ``custom.<key>``, and
``created_at`` and ``activities``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from itertools import repeat
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import core, points
from .core import Encoder, Value
from .explain import Matrix, feature_contributions
from .leads import (
    CATEGORIES,
    COMPLETENESS,
    CUSTOM_NUMBERS,
    FLAGS,
    NUMBERS,
    Labels,
    Schema,
    _custom_value,
    _flag,
    _log,
    describe,
    email_kind,
    seniority,
)

Raw = Mapping[str, Sequence[Any]]
Column = list[Value] | Matrix
MADE = 100_000  # reason texts kept for reuse, at most
_FLAGS: dict[Any, float | None] = {True: 1.0, False: 0.0, None: None, "": None}


def _numbers(values: Sequence[Any], convert: Any) -> Matrix:
    try:
        return np.array(values, dtype=np.float64)  # None -> nan
    except (TypeError, ValueError):
        return np.array(
            [math.nan if (v := convert(x)) is None else v for x in values], dtype=np.float64
        )


def _logs(values: Sequence[Any]) -> Matrix:
    """``_log`` of a column: log10(1 + max(value, 0)), NaN for none."""
    try:
        numbers = np.array(values, dtype=np.float64)  # None -> nan
    except (TypeError, ValueError):
        return _numbers([_log(v) for v in values], _log)
    return np.asarray(np.log10(1 + np.maximum(numbers, 0.0)), dtype=np.float64)


def _custom_number(value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _flags(values: Sequence[Any]) -> Matrix:
    try:  # booleans, 0/1 (SQLite's JSON) or none: converted in C
        quick = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        pass
    else:
        if ((quick == 0) | (quick == 1) | np.isnan(quick)).all():
            return quick
    out = [_FLAGS[v] if v in _FLAGS else _flag(v) for v in values]
    return np.array([math.nan if v is None else v for v in out], dtype=np.float64)


def _categories(values: Sequence[Any]) -> list[Value]:
    return [None if v is None or v == "" else v if v.__class__ is str else str(v) for v in values]


def feature_columns(schema: Schema, raw: Raw) -> list[Column]:
    """One column per feature of ``schema.features``, in ``Schema.row``'s values (numbers
    as float arrays, NaN for none)."""
    n = len(raw["email"])
    seniorities: dict[str, str | None] = {}
    emails = raw["email"]
    titles = raw["title"]
    filled = np.zeros(n)
    for name in COMPLETENESS:  # truth of each value, tested in C
        filled += np.array(raw[name], dtype=object).astype(bool)
    columns: list[Column] = [
        *(_categories(raw[name]) for name in CATEGORIES),
        *(_logs(raw[name]) for name in NUMBERS),
        *(_flags(raw[name]) for name in FLAGS),
        [email_kind(str(e or "")) for e in emails],
        [
            seniorities[t] if t in seniorities else seniorities.setdefault(t, seniority(t))
            for t in (str(t or "") for t in titles)
        ],
        filled / len(COMPLETENESS),
        np.array(raw["activities"], dtype=np.float64),
    ]
    created = raw["created_at"]
    for custom in schema.custom:
        values = raw[f"custom.{custom.key}"]
        if custom.type == "picklist":
            columns.append(_categories(values))
        elif custom.type == "checkbox":
            columns.append(_flags(values))
        elif custom.type in CUSTOM_NUMBERS:
            columns.append(_numbers(values, _custom_number))
        else:  # dates: age at creation, per lead
            ages = [_custom_value(custom, v, c) for v, c in zip(values, created, strict=True)]
            columns.append(np.array([math.nan if a is None else a for a in ages], dtype=float))
    return [columns[i] for i in schema.kept] if schema.excluded else columns


def encode(encoder: Encoder, columns: list[Column], n: int) -> Matrix:
    """``Encoder.transform`` on columns: numbers as they are, categories one-hot."""
    spec = encoder.columns
    x = np.empty((n, len(spec)))
    c = 0
    while c < len(spec):
        i, category = spec[c]
        column = columns[i]
        if category is None:
            x[:, c] = column
            c += 1
            continue
        name = encoder.features[i].name
        values = encoder.categories[name]
        index: dict[Any, int] = {v: k for k, v in enumerate(values)}
        codes = np.fromiter(map(index.get, column, repeat(-1)), dtype=np.intp, count=n)
        x[:, c : c + len(values)] = codes[:, None] == np.arange(len(values))
        c += len(values)
    return x


def effects(
    model: core.Scorer | points.Points, columns: list[Column], n: int
) -> tuple[Matrix, Matrix]:
    """(probability, per-feature effect) as ``Scorer.effects`` / ``Points.effects`` give."""
    if isinstance(model, points.Points):
        rows = list(zip(*(_as_values(column) for column in columns), strict=True))
        return model.effects(rows)
    if n == 0:
        return np.zeros(0), np.zeros((0, len(model.encoder.features)))
    x = encode(model.encoder, columns, n)
    base, per_feature = feature_contributions(model.model, x, model.encoder.summing)
    logit = base + per_feature.sum(axis=1)
    p = model.calibrate(core._sigmoid(logit))
    without = model.calibrate(core._sigmoid((logit[:, None] - per_feature).ravel()))
    return p, p[:, None] - without.reshape(per_feature.shape)


def _as_values(column: Column) -> list[Value]:
    if isinstance(column, np.ndarray):
        return [None if math.isnan(v) else v for v in column.tolist()]
    return column


def _unique_rows(a: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.intp]]:
    """``np.unique(a, axis=0, return_inverse=True)`` (in some order of the distinct rows):
    each row packed into one integer when the columns' ranges allow, which is several
    times faster than unique on rows."""
    if not len(a):
        return a, np.zeros(0, dtype=np.intp)
    low = a.min(axis=0)
    spans = (a.max(axis=0) - low + 1).tolist()
    if math.prod(spans) >= 2**62:
        distinct, inverse = np.unique(a, axis=0, return_inverse=True)
        return distinct, inverse.ravel()
    key = np.zeros(len(a), dtype=np.int64)
    for c, span in enumerate(spans):
        key = key * span + (a[:, c] - low[c])
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return a[first], inverse.ravel()


def _top(effect: Matrix, top: int) -> NDArray[np.intp]:
    """The ``top`` largest effects' columns by size per row, ties to the first column (the
    row path's stable sort): ``argmax`` picks the first maximum, and ``top`` passes of it
    cost a tenth of sorting every row."""
    size = np.abs(effect)
    n, k = size.shape[0], min(top, size.shape[1])
    order = np.empty((n, k), dtype=np.intp)
    rows = np.arange(n)
    for s in range(k):
        best = size.argmax(axis=1)
        order[:, s] = best
        size[rows, best] = -1.0
    return order


def _codes(column: Column) -> tuple[NDArray[np.int64], list[Value]]:
    """A code per row and the value of each code (NaN and "" as the row path sees them:
    NaN is no value)."""
    if isinstance(column, np.ndarray):
        distinct, code = np.unique(column, return_inverse=True)
        values: list[Value] = [None if v != v else v for v in distinct.tolist()]
        return code.ravel().astype(np.int64), values
    index = {v: i for i, v in enumerate(dict.fromkeys(column))}
    code = np.fromiter(map(index.__getitem__, column), dtype=np.int64, count=len(column))
    return code, list(index)


class Reasons:
    """The top three reasons of many leads as JSON text, equal to ``leads.reasons``; the
    words of a (feature, value, points) are made once."""

    def __init__(self, schema: Schema, labels: Labels) -> None:
        self.features = schema.features
        self.labels = labels
        self.names = [json.dumps(f.name) for f in self.features]
        self.made: dict[tuple[int, Value, int], str] = {}

    def texts(self, columns: list[Column], effect: Matrix, top: int = 3) -> list[str]:
        """Set-based: each shown (feature, value, points) gets one id by ``np.unique``, each
        distinct row of ids one JSON text; a Python loop per lead was a fifth of a re-score."""
        n = effect.shape[0]
        if n == 0:
            return []
        order = _top(effect, top)
        given = np.round(np.take_along_axis(effect, order, axis=1) * 100).astype(np.int64)
        # A reason is shown while every one before it has points (the row path's ``break``).
        shown = np.cumprod(given != 0, axis=1).astype(bool)
        k = order.shape[1]
        codes = np.zeros((n, k), dtype=np.int64)
        values: dict[int, list[Value]] = {}
        for j in np.unique(order[shown]).tolist():
            code, values[j] = _codes(columns[j])
            at = (order == j) & shown
            codes[at] = code[np.nonzero(at)[0]]
        # One id per (feature, value code, points) shown; -1 for none.
        triples = np.stack([order, codes, given], axis=2)[shown]
        parts, inverse = _unique_rows(triples)
        ids = np.full((n, k), -1, dtype=np.int64)
        ids[shown] = inverse.ravel()
        if len(self.made) > MADE:
            self.made.clear()  # continuous values: do not hold a million texts
        made = self.made
        part_texts = []
        for j, code, p in parts.tolist():
            value = values[j][code]
            key = (j, value, p)
            part = made.get(key)
            if part is None:
                part = made[key] = self._part(j, value, p)
            part_texts.append(part)
        rows, row_of = _unique_rows(ids)
        row_texts = np.array(
            ["[" + ", ".join(part_texts[i] for i in row if i >= 0) + "]" for row in rows.tolist()],
            dtype=object,
        )
        return list(row_texts[row_of.ravel()].tolist())

    def _part(self, j: int, value: Value, p: int) -> str:
        text = describe(self.features[j].name, value, self.labels)
        return (
            f'{{"feature": {self.names[j]}, "text": '
            f'{json.dumps(f"{text} ({p:+d})")}, "points": {p}}}'
        )


def score_columns(
    model: core.Scorer | points.Points, schema: Schema, raw: Raw, reasons: Reasons | None = None
) -> tuple[list[int], list[str]]:
    """Scores (0-100) and reasons (JSON text) of the leads given as raw columns."""
    n = len(raw["email"])
    columns = feature_columns(schema, raw)
    p, effect = effects(model, columns, n)
    scores = np.round(np.asarray(p) * 100).astype(int).tolist()
    return scores, (reasons or Reasons(schema, schema.labels)).texts(columns, effect)


def raw_of_rows(schema: Schema, rows: Sequence[dict[str, Any]], now: dt.datetime) -> Raw:
    """Raw columns of lead rows as an import writes them (field names, ``custom`` dict)."""
    from .leads import BUILT_IN

    raw: dict[str, Sequence[Any]] = {name: [row.get(name) for row in rows] for name in BUILT_IN}
    customs = [row.get("custom") or {} for row in rows]
    for custom in schema.custom:
        raw[f"custom.{custom.key}"] = [c.get(custom.key) for c in customs]
    raw["created_at"] = [row.get("created_at") or now for row in rows]
    raw["activities"] = [0] * len(rows)
    return raw
