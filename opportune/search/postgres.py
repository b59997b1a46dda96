"""The PostgreSQL search index: a stored ``tsvector`` per row, kept by a trigger, with GIN.

Each searched table (``leads_lead``, ``accounts_account``, ``accounts_contact``,
``opportunities_opportunity``) has a ``search_doc tsvector`` column that no model declares.
A ``BEFORE INSERT OR UPDATE`` trigger sets it from the row, so every write path keeps it
right without code of its own: services, the importer's ``COPY``, merges, restores,
erasure, raw SQL; a write to ``search_doc`` itself is recomputed. An update that leaves the
searched columns alone (scores, activity dates) returns early and keeps the document. A
GIN index on the column (``search_<kind>_vector``) answers ``search_doc @@ <query>``.

Why a stored column: a GIN index yields matches in no order, so for the newest matches of
a common word the planner walks the primary key backwards and tests each row; with the
document only in an expression index it recomputed the expression (folding, regexes) per
row (8 s at 200,000 leads), with the column it reads a stored value (docs/search.md, Cost).

Why a trigger rather than ``GENERATED ALWAYS AS (...) STORED``: PostgreSQL refuses to alter
the type of a column a generated column reads ("cannot alter type of a column used by a
generated column"), so a later ``AlterField`` (a longer ``company``, say) would fail on
PostgreSQL only. The same holds for a trigger's ``UPDATE OF`` column list or ``WHEN``
clause, so the trigger has neither; its PL/pgSQL body pins no column.

The document and the query go through ``opportune_fold(text)``, an immutable SQL function
that drops accents ('José' -> 'Jose', as SQLite's ``remove_diacritics`` does): ``unaccent``
when the extension is there or can be created (it is trusted: a non-superuser owner of the
database may), else a ``translate`` of the Latin letters (docs/search.md says why).
"""

from __future__ import annotations

import unicodedata

from django.db import DatabaseError, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from . import words
from .sources import KINDS, SOURCES

COLUMN = "search_doc"
FOLD = "opportune_fold"
# The text values of the custom fields' JSON object (not its keys).
_PG_TEXT_VALUES = 'strict $.* ? (@.type() == "string")'


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
    the function does not depend on search_path), or the translate fallback."""
    if unaccent_schema:
        return f"SELECT {unaccent_schema}.unaccent('{unaccent_schema}.unaccent'::regdictionary, $1)"
    accented, plain = _latin_letters()
    return f"SELECT translate($1, '{accented}', '{plain}')"


def document(kind: str, row: str = "") -> str:
    """The ``tsvector`` of a row as an SQL expression (``row``: ``NEW`` in the trigger)."""
    source = SOURCES[kind]
    prefix = f"{row}." if row else ""
    parts = [f"coalesce({prefix}\"{c}\", '')" for c in source.text_columns]
    parts += [
        f"regexp_replace(coalesce({prefix}\"{c}\", ''), '\\D', '', 'g')"
        for c in source.phone_columns
    ]
    parts.append(
        f"coalesce(jsonb_path_query_array({prefix}\"custom\", '{_PG_TEXT_VALUES}')::text, '')"
    )
    text = " || ' ' || ".join(parts)
    # Words and digits only, as SQLite's tokenizer sees them: the parser would otherwise keep
    # 'ann@acme.com' or '+1415...' whole, and 'acme' would not find them.
    words = f"regexp_replace(lower({FOLD}({text})), '[^[:alnum:]]+', ' ', 'g')"
    # Runs of letters and of digits apart ('garcia12345' -> 'garcia 12345'; the query makes
    # such a word a phrase, Terms.tsquery). GIN has no prefix index: 'garcia':* reads every
    # distinct word it starts, and emails made one per lead ('garcia12345', 60,000 at a
    # million leads: 80-120 ms for 'sofia garcia'); split, it reads a handful.
    for before, after in (("alpha", "digit"), ("digit", "alpha")):
        words = f"regexp_replace({words}, '([[:{before}:]])([[:{after}:]])', '\\1 \\2', 'g')"
    return f"to_tsvector('simple'::regconfig, {words})"


# The query's words folded like the documents' ('josé' finds 'Jose' too).
QUERY = f"to_tsquery('simple'::regconfig, {FOLD}(%s))"


def matches(kind: str) -> str:
    """The condition a row of the kind matches the query (one ``%s``: ``Terms.tsquery``)."""
    return f"{SOURCES[kind].table}.{COLUMN} @@ {QUERY}"


def _function(kind: str) -> str:
    return f"search_{kind}_document"


def _index(kind: str) -> str:
    return f"search_{kind}_vector"


def install_fold(connection: BaseDatabaseWrapper, *, replace: bool = False) -> str:
    """Create ``opportune_fold`` (if missing, or ``replace``): with unaccent when the
    extension exists or this role may create it, else the translate fallback. Returns which
    ("unaccent" or "translate"). Replacing it changes what the documents hold: the caller
    refills them (``install(connection, refill=True)``)."""
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


def _unchanged(kind: str) -> str:
    """The trigger's early return: an update that leaves the searched columns and a set
    document alone (a score, a date) keeps the document without recomputing it. In the
    function's body, not as ``UPDATE OF`` columns or a ``WHEN`` clause: those make the
    trigger depend on the columns, and PostgreSQL then refuses to alter their type."""
    columns = [*SOURCES[kind].text_columns, "custom"]
    new = ", ".join(f'NEW."{c}"' for c in columns)
    old = ", ".join(f'OLD."{c}"' for c in columns)
    return (
        f"IF TG_OP = 'UPDATE' AND NEW.{COLUMN} IS NOT NULL AND NEW.{COLUMN} = OLD.{COLUMN} "
        f"AND ({new}) IS NOT DISTINCT FROM ({old}) THEN RETURN NEW; END IF;"
    )


def install(connection: BaseDatabaseWrapper, *, refill: bool = False) -> None:
    """Create what is missing: the fold function, and per kind the column, its trigger and
    its GIN index (idempotent; ``post_migrate`` calls it). A column just added, or whose
    trigger was missing, is filled; ``refill`` fills every kind's again (a new fold)."""
    install_fold(connection)
    new_words = words.create(connection)  # before the triggers, which insert into it
    with connection.cursor() as cursor:
        for kind in KINDS:
            table, name = SOURCES[kind].table, _function(kind)
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = %s AND column_name = %s),"
                " EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = %s AND NOT tgisinternal)",
                [table, COLUMN, name],
            )
            has_column, has_trigger = cursor.fetchone()
            # The expression index it replaces: dropped first, not kept up during the fill.
            cursor.execute(f"DROP INDEX IF EXISTS search_{kind}_doc")
            if not has_column:
                cursor.execute(f"ALTER TABLE {table} ADD COLUMN {COLUMN} tsvector")
            cursor.execute(
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
                f"AS $doc$ BEGIN {_unchanged(kind)} "
                f"NEW.{COLUMN} := {document(kind, 'NEW')}; {words.trigger_insert('NEW')} "
                "RETURN NEW; END $doc$"
            )
            cursor.execute(
                f"CREATE OR REPLACE TRIGGER {name} BEFORE INSERT OR UPDATE "
                f"ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()"
            )
            if refill or not (has_column and has_trigger):
                # Through the trigger (a NULL document is recomputed): one definition.
                cursor.execute(f"UPDATE {table} SET {COLUMN} = NULL")
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {_index(kind)} ON {table} USING gin ({COLUMN})"
            )
    if new_words:
        words.fill(connection)


def uninstall(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for kind in KINDS:
            table, name = SOURCES[kind].table, _function(kind)
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")
            cursor.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS {COLUMN}")
            cursor.execute(f"DROP INDEX IF EXISTS search_{kind}_doc")
        cursor.execute(f"DROP FUNCTION IF EXISTS {FOLD}(text)")
    words.uninstall(connection)
