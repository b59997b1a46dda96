"""Re-scoring every open lead after a fit, and scoring an import batch as it lands:
set-based (``columns.py``), never a query or a model instance per lead.

After a fit: the open leads are read in id order, ``CHUNK`` at a time, as plain columns
(custom field values extracted by the database, activities counted by a correlated
subquery on the activity's lead index), scored with numpy, and the scores and reasons
collected in a temporary table (``executemany`` on SQLite, ``COPY`` on PostgreSQL); one
``UPDATE ... FROM`` then writes them all. No field history: the score is derived data.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction

from opportune.activities.models import Activity
from opportune.customfields.models import FieldType
from opportune.leads.models import Lead, LeadStatus

from . import columns
from .leads import BUILT_IN, Schema, active_model, model_features

CHUNK = 50_000
TEMP = "scoring_rescored"


def _column(name: str) -> str:
    return str(Lead._meta.get_field(name).column)  # type: ignore[union-attr]


def _select(schema: Schema) -> tuple[str, list[Any], list[str]]:
    """The SELECT of the raw columns (before the WHERE), its parameters and column names."""
    q = connection.ops.quote_name
    meta = Lead._meta
    # The creation time only for date fields' ages (parsing it was a tenth of the read).
    dated = any(field.type == FieldType.DATE for field in schema.custom)
    names = ["id", *BUILT_IN, *(["created_at"] if dated else [])]
    exprs = [f"l.{q(_column(n))}" for n in names]
    params: list[Any] = []
    if schema.custom:
        # The JSON once per lead, parsed in Python (``_custom_columns``): one
        # ``json_extract`` per field and lead was a quarter of a re-score, and the values
        # are then those the per-lead path reads (``true``, not SQLite's 1).
        names.append("custom")
        exprs.append(f"l.{q(_column('custom'))}")
    activity = q(Activity._meta.db_table)
    lead_id = q(str(Activity._meta.get_field("lead").column))
    exprs.append(
        f"(SELECT COUNT(*) FROM {activity} a WHERE a.{lead_id} = l.{q('id')} "
        "AND a.deleted_at IS NULL)"
    )
    names.append("activities")
    sql = f"SELECT {', '.join(exprs)} FROM {q(meta.db_table)} l"
    return sql, params, names


def score_open(ids: Sequence[int] | None = None, chunk: int = CHUNK) -> int:
    """(Re-)score the open leads (all, or those given) with the active lead model; returns
    how many were scored."""
    active = active_model()
    if active is None:
        return 0
    model, schema = active
    if [f.name for f in schema.features] != [f.name for f in model_features(model)]:
        return 0  # the fit's custom fields are gone: no score until the next fit
    select, params, names = _select(schema)
    closed = list(LeadStatus.objects.filter(is_closed=True).values_list("pk", flat=True))
    where = "l.deleted_at IS NULL AND l.id > %s"
    if closed:
        where += f" AND l.status_id NOT IN ({', '.join(['%s'] * len(closed))})"
    wanted = sorted(set(ids)) if ids is not None else None
    reasons = columns.Reasons(schema, schema.labels)
    total = 0
    with transaction.atomic(), connection.cursor() as cursor:
        _create_temp(cursor)
        last = 0
        while True:
            if wanted is None:
                sql = f"{select} WHERE {where} ORDER BY l.id LIMIT %s"
                cursor.execute(sql, [*params, last, *closed, chunk])
            else:
                part = _next(wanted, last, chunk)
                if not part:
                    break
                marks = ", ".join(["%s"] * len(part))
                sql = f"{select} WHERE {where} AND l.id IN ({marks}) ORDER BY l.id"
                cursor.execute(sql, [*params, last, *closed, *part])
                last = part[-1]
            rows = cursor.fetchall()
            if not rows and wanted is None:
                break
            if rows:
                raw: dict[str, Sequence[Any]] = dict(
                    zip(names, zip(*rows, strict=True), strict=True)
                )
                raw.setdefault("created_at", [None] * len(rows))
                _custom_columns(schema, raw)
                scores, texts = columns.score_columns(model, schema, raw, reasons)
                _put(cursor, list(zip(raw["id"], scores, texts, strict=True)))
                total += len(rows)
            if wanted is None:
                if len(rows) < chunk:
                    break
                last = rows[-1][0]
        _apply(cursor)
    return total


def _custom_columns(schema: Schema, raw: dict[str, Sequence[Any]]) -> None:
    """Replace the ``custom`` JSON column (text, or already parsed) by one column per
    custom field of the schema."""
    if not schema.custom:
        return
    keys = [field.key for field in schema.custom]
    given = raw.pop("custom")
    # Each distinct JSON text parsed once, all of them in one ``json.loads`` call (the
    # per-call overhead was half the parsing); many leads share theirs (``{}`` for none).
    texts = {c: None for c in given if c.__class__ is str}
    parsed = json.loads("[" + ",".join(texts) + "]") if texts else []
    known: dict[Any, tuple[Any, ...]] = {
        text: tuple(map((d or {}).get, keys)) for text, d in zip(texts, parsed, strict=True)
    }
    empty = (None,) * len(keys)
    rows = [
        known[c] if c.__class__ is str else tuple(map(c.get, keys)) if c else empty for c in given
    ]
    for key, column in zip(keys, zip(*rows, strict=True), strict=True):
        raw[f"custom.{key}"] = column


def _next(wanted: list[int], last: int, chunk: int) -> list[int]:
    from bisect import bisect_right

    start = bisect_right(wanted, last)
    return wanted[start : start + chunk]


def _create_temp(cursor: Any) -> None:
    if connection.vendor == "postgresql":
        # Dropped by hand, not ON COMMIT: inside an outer transaction there is no commit.
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{TEMP}")
        cursor.execute(
            f"CREATE TEMP TABLE {TEMP} (id bigint PRIMARY KEY, score smallint, reasons jsonb)"
        )
    else:
        cursor.execute(f"DROP TABLE IF EXISTS temp.{TEMP}")
        cursor.execute(
            f"CREATE TEMP TABLE {TEMP} (id INTEGER PRIMARY KEY, score INTEGER, reasons TEXT)"
        )


def _put(cursor: Any, rows: list[tuple[int, int, str]]) -> None:
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {TEMP} (id, score, reasons) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        cursor.executemany(f"INSERT INTO {TEMP} (id, score, reasons) VALUES (%s, %s, %s)", rows)


def _apply(cursor: Any) -> None:
    table = connection.ops.quote_name(Lead._meta.db_table)
    cursor.execute(
        f"UPDATE {table} SET score = s.score, score_reasons = s.reasons "
        f"FROM {TEMP} s WHERE {table}.id = s.id"
    )
    schema = "pg_temp" if connection.vendor == "postgresql" else "temp"
    cursor.execute(f"DROP TABLE {schema}.{TEMP}")


def score_import_rows(rows: list[dict[str, Any]], now: dt.datetime) -> None:
    """Give lead rows about to be inserted by an import their score and reasons (JSON text),
    in place: scored in numpy before the batch's one INSERT, so they land scored in the
    batch's transaction at no query per row. Closed (historical) rows are not scored."""
    closed = set(LeadStatus.objects.filter(is_closed=True).values_list("pk", flat=True))
    open_rows = [row for row in rows if row.get("status_id") not in closed]
    active = active_model() if open_rows else None
    if active is None:
        return
    model, schema = active
    if [f.name for f in schema.features] != [f.name for f in model_features(model)]:
        return
    raw = columns.raw_of_rows(schema, open_rows, now)
    scores, texts = columns.score_columns(model, schema, raw)
    for row, score, text in zip(open_rows, scores, texts, strict=True):
        row["score"] = score
        row["score_reasons"] = text  # JSON text: the inserter passes strings through
