"""The search index: one per kind, kept in step by the database itself.

SQLite: a contentless FTS5 table per kind (``search_lead``...; rowid = the record's id)
filled by triggers on insert, delete and update of the searched columns, so every write
path (services, bulk imports' ``executemany``, merges, restores, purges, raw SQL) keeps it
right. The recycle bin is not the index's concern: queries join the live rows.

PostgreSQL: a GIN expression index per kind on ``to_tsvector('simple', <document>)``; the
query repeats the expression, so the index is the only copy and needs no upkeep code. The
document and the query go through ``opportune_fold(text)``, an immutable SQL function that
drops accents ('José' -> 'Jose', as SQLite's ``remove_diacritics`` does): ``unaccent`` when
the extension is there or can be created (it is trusted: a non-superuser owner of the
database may), else a ``translate`` of the Latin letters (docs/search.md says why).

``install`` is idempotent. The migration calls it, and so does ``post_migrate``: SQLite's
schema editor rebuilds a table to alter it, which drops that table's triggers, so any later
migration of a searched table would otherwise silently stop the index's upkeep. When it
finds triggers missing it recreates them and refills that kind's index.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.db import DatabaseError, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.expressions import RawSQL

from .terms import Terms

LEAD, ACCOUNT, CONTACT, OPPORTUNITY = "lead", "account", "contact", "opportunity"
KINDS = (LEAD, ACCOUNT, CONTACT, OPPORTUNITY)


@dataclass(frozen=True)
class Source:
    table: str
    text_columns: tuple[str, ...]  # searched as they are
    phone_columns: tuple[str, ...] = ()  # also searched as bare digits


SOURCES = {
    LEAD: Source(
        "leads_lead",
        ("first_name", "last_name", "company", "email", "phone", "phone_key"),
        ("phone",),
    ),
    ACCOUNT: Source("accounts_account", ("name", "website", "phone"), ("phone",)),
    CONTACT: Source(
        "accounts_contact", ("first_name", "last_name", "email", "phone", "phone_key"), ("phone",)
    ),
    OPPORTUNITY: Source("opportunities_opportunity", ("name",)),
}


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


# The text values of the custom fields' JSON object (not its keys).
_PG_TEXT_VALUES = 'strict $.* ? (@.type() == "string")'


FOLD = "opportune_fold"


def _latin_letters() -> tuple[str, str]:
    """Accented Latin letters (U+00C0-U+024F) and their base letters, for ``translate``."""
    # Letters with a stroke do not decompose: named here (as unaccent's rules do).
    accented, plain = list("ŁłØøĐđĦħıŦŧƀƗƚ"), list("LlOoDdHhiTtbIl")
    for code in range(0xC0, 0x250):
        char = chr(code)
        base = unicodedata.normalize("NFKD", char)[0]
        if base != char and base.isascii() and base.isalpha():
            accented.append(char)
            plain.append(base)
    return "".join(accented), "".join(plain)


def fold_function_body(unaccent_schema: str | None) -> str:
    """The body of ``opportune_fold``: unaccent's own dictionary named with its schema (so
    the function does not depend on search_path, which an index expression must not), or
    the translate fallback."""
    if unaccent_schema:
        return f"SELECT {unaccent_schema}.unaccent('{unaccent_schema}.unaccent'::regdictionary, $1)"
    accented, plain = _latin_letters()
    return f"SELECT translate($1, '{accented}', '{plain}')"


def postgres_document(kind: str) -> str:
    """The indexed text of a row on PostgreSQL: immutable functions only (an index needs it)."""
    source = SOURCES[kind]
    parts = [f"coalesce(\"{c}\", '')" for c in source.text_columns]
    parts += [
        f"regexp_replace(coalesce(\"{c}\", ''), '\\D', '', 'g')" for c in source.phone_columns
    ]
    parts.append(f"coalesce(jsonb_path_query_array(\"custom\", '{_PG_TEXT_VALUES}')::text, '')")
    text = " || ' ' || ".join(parts)
    # Words and digits only, as SQLite's tokenizer sees them: the parser would otherwise keep
    # 'ann@acme.com' or '+1415...' whole, and 'acme' would not find them.
    words = f"regexp_replace(lower({FOLD}({text})), '[^[:alnum:]]+', ' ', 'g')"
    return f"to_tsvector('simple'::regconfig, {words})"


# The query's words folded like the documents' ('josé' finds 'Jose' too).
POSTGRES_QUERY = f"to_tsquery('simple'::regconfig, {FOLD}(%s))"


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


def install(connection: BaseDatabaseWrapper) -> None:
    """Create what is missing of every kind's index (and refill an index that missed writes)."""
    if connection.vendor == "sqlite":
        _install_sqlite(connection)
    elif connection.vendor == "postgresql":
        _install_postgres(connection)


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


def install_fold(connection: BaseDatabaseWrapper, *, replace: bool = False) -> str:
    """Create ``opportune_fold`` (if missing, or ``replace``): with unaccent when the
    extension exists or this role may create it, else the translate fallback. Returns which
    ("unaccent" or "translate"). Replacing it changes what the indexes hold: the caller
    rebuilds them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_proc WHERE proname = %s", [FOLD])
        if cursor.fetchone() and not replace:
            return ""
        try:
            with transaction.atomic(using=connection.alias):  # a savepoint: failure is fine
                cursor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        except DatabaseError:
            pass  # not allowed (or not installed): the fallback below
        cursor.execute(
            "SELECT n.nspname FROM pg_extension e "
            "JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'unaccent'"
        )
        row = cursor.fetchone()
        schema = row[0] if row else None
        cursor.execute(
            f"CREATE OR REPLACE FUNCTION {FOLD}(text) RETURNS text "
            "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE "
            f"AS $fold$ {fold_function_body(schema)} $fold$"
        )
        return "unaccent" if schema else "translate"


def _install_postgres(connection: BaseDatabaseWrapper) -> None:
    install_fold(connection)
    with connection.cursor() as cursor:
        for kind in KINDS:
            source = SOURCES[kind]
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {_fts(kind)}_doc ON {source.table} "
                f"USING gin ({postgres_document(kind)})"
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
    with connection.cursor() as cursor:
        for kind in KINDS:
            if connection.vendor == "sqlite":
                for name in _sqlite_triggers(kind):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                cursor.execute(f"DROP TABLE IF EXISTS {_fts(kind)}")
            elif connection.vendor == "postgresql":
                cursor.execute(f"DROP INDEX IF EXISTS {_fts(kind)}_doc")
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP FUNCTION IF EXISTS {FOLD}(text)")


def matching_ids(kind: str, terms: Terms, vendor: str) -> RawSQL:
    """The ids of the kind's rows (deleted ones included) whose text matches: a subquery for
    ``pk__in``, so visibility and the recycle bin stay the querysets' business."""
    if vendor == "postgresql":
        sql = (
            f"SELECT id FROM {SOURCES[kind].table} "
            f"WHERE {postgres_document(kind)} @@ {POSTGRES_QUERY}"
        )
        return RawSQL(sql, [terms.tsquery()])
    fts = _fts(kind)
    return RawSQL(f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s", [terms.fts5()])


def newest_ids(kind: str, terms: Terms, vendor: str, limit: int) -> tuple[str, list[str | int]]:
    """The SQL of the ids of the kind's ``limit`` newest matching rows (deleted ones
    included), walking the index newest-first and stopping there: a common word's 60,000
    matches at a million leads are never gathered (see docs/search.md, "Cost"). The engine
    uses it on SQLite only; the PostgreSQL form is kept for benchmarks/search.py, which
    shows why (its plan walks the primary key, recomputing the document per row)."""
    if vendor == "postgresql":
        sql = (
            f"SELECT id FROM {SOURCES[kind].table} "
            f"WHERE {postgres_document(kind)} @@ {POSTGRES_QUERY} "
            "ORDER BY id DESC LIMIT %s"
        )
        return sql, [terms.tsquery(), limit]
    fts = _fts(kind)
    # FTS5 answers ORDER BY rowid DESC itself, reading its doclists backwards.
    return (
        f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s ORDER BY rowid DESC LIMIT %s",
        [terms.fts5(), limit],
    )
