"""The search index: one per kind, kept in step by the database itself.

SQLite: a contentless FTS5 table per kind (``search_lead``...; rowid = the record's id)
filled by triggers on insert, delete and update of the searched columns, so every write
path (services, bulk imports' ``executemany``, merges, restores, purges, raw SQL) keeps it
right. The recycle bin is not the index's concern: queries join the live rows.

PostgreSQL (opportune/search/postgres.py): a stored ``search_doc tsvector`` column per
table, set by a trigger from the same columns, with a GIN index.

``install`` is idempotent. The migration calls it, and so does ``post_migrate``: SQLite's
schema editor rebuilds a table to alter it, which drops that table's triggers, so any later
migration of a searched table would otherwise silently stop the index's upkeep. When it
finds triggers missing it recreates them and refills that kind's index.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.expressions import RawSQL

from . import postgres
from .postgres import fold_function_body, install_fold
from .sources import ACCOUNT, CONTACT, KINDS, LEAD, OPPORTUNITY, SOURCES, Source
from .terms import Terms

__all__ = [
    "ACCOUNT",
    "CONTACT",
    "KINDS",
    "LEAD",
    "OPPORTUNITY",
    "SOURCES",
    "Source",
    "fold_function_body",
    "install_fold",
]


def _sqlite_digits(column: str) -> str:
    sql = column
    for char in " -().+/":
        sql = f"replace({sql}, '{char}', '')"
    return sql


def sqlite_document(kind: str, row: str) -> str:
    """The indexed text of a row (``NEW``, ``OLD`` or a table alias), as an SQL expression."""
    source = SOURCES[kind]
    parts = [f"{row}.{c}" for c in source.text_columns]
    parts += [_sqlite_digits(f"{row}.{c}") for c in source.phone_columns]
    # Custom fields: the text values of the JSON object (not its keys).
    parts.append(
        f"coalesce((SELECT group_concat(value, ' ') FROM json_each({row}.custom) "
        "WHERE type = 'text'), '')"
    )
    return " || ' ' || ".join(f"coalesce({p}, '')" for p in parts)


# FTS5 prefix indexes: a query word of 2 to 8 characters is one doclist read, however
# many distinct words start with it. Without one, FTS5 copies and merges the doclists of
# every word starting so, whatever the LIMIT: "garc"* (60,000 words from emails such as
# "garcia12345") 270 ms at a million leads, "example"* (one word in every email) 370 ms;
# with the index 1 and 8 ms (benchmarks/search.py). A longer word is rarely common.
PREFIXES = "2 3 4 5 6 7 8"


def _fts(kind: str) -> str:
    return f"search_{kind}"


def _sqlite_triggers(kind: str) -> dict[str, str]:
    source, fts = SOURCES[kind], _fts(kind)
    insert = f"INSERT INTO {fts}(rowid, body) VALUES (NEW.id, {sqlite_document(kind, 'NEW')});"
    delete = (
        f"INSERT INTO {fts}({fts}, rowid, body) "
        f"VALUES ('delete', OLD.id, {sqlite_document(kind, 'OLD')});"
    )
    columns = ", ".join([*source.text_columns, "custom"])
    return {
        f"{fts}_ai": f"AFTER INSERT ON {source.table} BEGIN {insert} END",
        f"{fts}_ad": f"AFTER DELETE ON {source.table} BEGIN {delete} END",
        f"{fts}_au": f"AFTER UPDATE OF {columns} ON {source.table} BEGIN {delete} {insert} END",
    }


def install(connection: BaseDatabaseWrapper, *, refill: bool = False) -> None:
    """Create what is missing of every kind's index (and refill an index that missed writes;
    on PostgreSQL ``refill`` recomputes every document, after the fold function changed)."""
    if connection.vendor == "sqlite":
        _install_sqlite(connection)
    elif connection.vendor == "postgresql":
        postgres.install(connection, refill=refill)


def _install_sqlite(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        present = {name for (name,) in cursor.fetchall()}
        for kind in KINDS:
            source, fts = SOURCES[kind], _fts(kind)
            if source.table not in present:
                continue
            triggers = _sqlite_triggers(kind)
            if fts in present and all(name in present for name in triggers):
                continue
            if fts not in present:
                cursor.execute(
                    f"CREATE VIRTUAL TABLE {fts} USING fts5(body, content='', "
                    f"tokenize='unicode61 remove_diacritics 2', prefix='{PREFIXES}')"
                )
            else:
                cursor.execute(f"INSERT INTO {fts}({fts}) VALUES ('delete-all')")
            for name, body in triggers.items():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                cursor.execute(f"CREATE TRIGGER {name} {body}")
            cursor.execute(
                f"INSERT INTO {fts}(rowid, body) "
                f"SELECT id, {sqlite_document(kind, 'r')} FROM {source.table} AS r"
            )


def rebuild_sqlite(connection: BaseDatabaseWrapper) -> None:
    """Drop and recreate every kind's FTS5 table (refilled from the rows): for a change of
    the table's options, such as its prefix indexes."""
    with connection.cursor() as cursor:
        for kind in KINDS:
            for name in _sqlite_triggers(kind):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {_fts(kind)}")
    _install_sqlite(connection)


def uninstall(connection: BaseDatabaseWrapper) -> None:
    if connection.vendor == "postgresql":
        postgres.uninstall(connection)
        return
    with connection.cursor() as cursor:
        for kind in KINDS:
            for name in _sqlite_triggers(kind):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {_fts(kind)}")


def matching_ids(kind: str, terms: Terms, vendor: str) -> RawSQL:
    """The ids of the kind's rows (deleted ones included) whose text matches: a subquery for
    ``pk__in``, so visibility and the recycle bin stay the querysets' business."""
    if vendor == "postgresql":
        sql = f"SELECT id FROM {SOURCES[kind].table} WHERE {postgres.matches(kind)}"
        return RawSQL(sql, [terms.tsquery()])
    fts = _fts(kind)
    return RawSQL(f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s", [terms.fts5()])


def newest_ids(kind: str, terms: Terms, vendor: str, limit: int) -> tuple[str, list[str | int]]:
    """The SQL of the ids of the kind's ``limit`` newest matching rows (deleted ones
    included), walking the index newest-first and stopping there: a common word's 60,000
    matches at a million leads are never gathered (see docs/search.md, "Cost"). PostgreSQL:
    the planner walks the primary key backwards testing the stored ``search_doc`` for a
    common word, and takes the GIN bitmap for a rare one (docs/search.md shows both plans)."""
    if vendor == "postgresql":
        sql = (
            f"SELECT id FROM {SOURCES[kind].table} WHERE {postgres.matches(kind)} "
            "ORDER BY id DESC LIMIT %s"
        )
        return sql, [terms.tsquery(), limit]
    fts = _fts(kind)
    # FTS5 answers ORDER BY rowid DESC itself, reading its doclists backwards.
    return (
        f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s ORDER BY rowid DESC LIMIT %s",
        [terms.fts5(), limit],
    )
