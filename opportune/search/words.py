"""PostgreSQL: the table of indexed words, so a prefix is asked of GIN as its whole words.

GIN has no prefix index: for ``'garcia':*`` it gathers the postings of every word the
prefix starts into a bitmap before intersecting with the other words, where for whole words
it skips through the postings. At a million leads ``'sofia':* & 'garcia':*`` took 163-174 ms
and ``'sofia' & ('garcia' | 'garcian')`` 15-18 ms for the same rows (docs/search.md). So the
query looks each prefix up in ``search_word`` (every word of every document, a btree in
byte order: a prefix is a range) and asks for its whole words instead; a prefix starting
more than ``MAX_EXPANSION`` words keeps ``:*`` (a common short prefix: the planner walks the
primary key then, and a long OR would cost more than it saves).

The document trigger (postgres.py) inserts a new document's words; nothing else needs to
delete one for correctness (a stale word expands to a term that matches nothing). Erasure
does delete the erased person's words no document uses any more (``forget_unused``): the
table would otherwise keep the person's name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from django.db.backends.base.base import BaseDatabaseWrapper

from .sources import KINDS, SOURCES
from .terms import Terms

TABLE = "search_word"
MAX_EXPANSION = 100  # chosen by measurement at a million leads (docs/search.md)
COLUMN = "search_doc"
# U+10FFFF: the greatest character, so ``word < prefix || it`` bounds the prefix's range.
_TOP = "chr(1114111)"


def trigger_insert(row: str = "NEW") -> str:
    """The trigger's statement adding a document's words the table does not hold yet."""
    return insert_words(f"tsvector_to_array({row}.{COLUMN})")


def insert_words(array: str) -> str:
    """Insert the words of a text array (SQL) the table does not hold yet. The table has no
    unique key on purpose: an insert then never waits on another transaction's uncommitted
    insert of the same word, so concurrent writes cannot block or deadlock each other here;
    two of them adding the same new word at once store it twice, which ``expand`` reads
    through ``DISTINCT``."""
    return (
        f"INSERT INTO {TABLE} (word) SELECT w FROM unnest({array}) AS w "
        f"WHERE NOT EXISTS (SELECT 1 FROM {TABLE} s WHERE s.word = w);"
    )


def create(connection: BaseDatabaseWrapper) -> bool:
    """Create the table if missing (before the document triggers, which insert into it);
    True when it was, and ``fill`` should then follow once the documents are there.
    ``COLLATE "C"``: byte order, so the btree answers a prefix's range; not unique (see
    ``trigger_insert``)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [TABLE])
        if cursor.fetchone()[0]:
            return False
        cursor.execute(f'CREATE TABLE {TABLE} (word text COLLATE "C" NOT NULL)')
        cursor.execute(f"CREATE INDEX {TABLE}_word ON {TABLE} (word)")
        return True


def fill(connection: BaseDatabaseWrapper) -> None:
    """Add the words of every stored document (``ts_stat``: each distinct word once)."""
    union = " UNION ".join(
        f"SELECT word FROM ts_stat('SELECT {COLUMN} FROM {SOURCES[kind].table}')" for kind in KINDS
    )
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {TABLE} (word) {union}")


def uninstall(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


def prefixes(terms: Terms) -> list[str]:
    """The runs ``Terms.tsquery`` asks as prefixes (the last run of each long enough word)."""
    return sorted({last for last in (terms.prefix_of(word) for word in terms.words) if last})


def expand(connection: BaseDatabaseWrapper, terms: Terms) -> Terms:
    """The terms with each prefix's whole words (one query for all of them); a prefix
    starting more than MAX_EXPANSION words stays a prefix."""
    wanted = prefixes(terms)
    if not wanted or connection.vendor != "postgresql":
        return terms
    # The lexeme to_tsquery makes of the prefix: folded and lowered, as the document's.
    sql = (
        "SELECT p.prefix, w.word FROM unnest(%s::text[]) AS p(prefix) "
        "CROSS JOIN LATERAL (SELECT lower(opportune_fold(p.prefix)) AS lexeme) AS f "
        f"CROSS JOIN LATERAL (SELECT DISTINCT word FROM {TABLE} WHERE word >= f.lexeme "
        f"AND word < f.lexeme || {_TOP} AND starts_with(word, f.lexeme) "
        "ORDER BY word LIMIT %s) AS w"
    )
    found: dict[str, list[str]] = {prefix: [] for prefix in wanted}
    with connection.cursor() as cursor:
        cursor.execute(sql, [wanted, MAX_EXPANSION + 1])
        for prefix, word in cursor.fetchall():
            found[prefix].append(word)
    return terms.expanded(
        {prefix: tuple(words) for prefix, words in found.items() if len(words) <= MAX_EXPANSION}
    )


def words_of(connection: BaseDatabaseWrapper, ids: Mapping[str, Sequence[int]]) -> list[str]:
    """The words of the given rows' documents (per kind), read before they change."""
    if connection.vendor != "postgresql":
        return []
    words: set[str] = set()
    with connection.cursor() as cursor:
        for kind, pks in ids.items():
            if not pks:
                continue
            cursor.execute(
                f"SELECT DISTINCT unnest(tsvector_to_array({COLUMN})) "
                f"FROM {SOURCES[kind].table} WHERE id = ANY(%s)",
                [list(pks)],
            )
            words.update(word for (word,) in cursor.fetchall())
    return sorted(words)


def forget_unused(connection: BaseDatabaseWrapper, words: Iterable[str]) -> None:
    """Delete those of ``words`` no document holds any more (after an erasure).

    The table lock waits for the transactions inserting documents (and their words) to end
    and holds new ones until this transaction ends: a word a concurrent document has just
    reused (its insert did nothing, the word being there) is then seen in that document and
    kept. Erasures are rare; the wait is one erasure's transaction."""
    wanted = list(words)
    if not wanted or connection.vendor != "postgresql":
        return
    unused = " AND ".join(
        f"NOT EXISTS (SELECT 1 FROM {SOURCES[kind].table} "
        f"WHERE {COLUMN} @@ quote_literal(w.word)::tsquery)"
        for kind in KINDS
    )
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {TABLE} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {TABLE} AS w WHERE w.word = ANY(%s) AND {unused}", [wanted])
