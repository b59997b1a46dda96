"""PostgreSQL: prefixes are asked of GIN as their whole words, from the table of indexed
words (opportune/search/words.py). A search finds the same records with and without the
expansion, new documents' words are there at once whatever wrote them, and an erased
person's words leave the table."""

from __future__ import annotations

import random

import psycopg
import pytest
from django.db import connection

from conftest import Company
from opportune.leads.models import Lead
from opportune.leads.schemas import LeadChanges, LeadCreate
from opportune.leads.services import create_lead, update_lead
from opportune.privacy.services import erase_personal_data
from opportune.search import index, words
from opportune.search.terms import Terms, parse

from .test_matching import found

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's table of indexed words"
)
SEED = 1234  # fixed: a failure is reproducible
SYLLABLES = ["ka", "ri", "mo", "ten", "sa", "lu", "ve", "dor", "an", "zi"]


def _indexed(word: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {words.TABLE} WHERE word = %s", [word])
        return cursor.fetchone() is not None


def _matching(terms: Terms) -> set[int]:
    matching = Lead.with_deleted.filter(pk__in=index.matching_ids("lead", terms, "postgresql"))
    return set(matching.values_list("pk", flat=True))


def test_a_prefix_given_its_whole_words_is_an_or_of_them_and_none_matches_nothing() -> None:
    terms = parse("sofia garcia12 jo")
    assert terms.tsquery() == "'sofia':* & ('garcia' <-> '12':*) & 'jo':*"
    expanded = terms.expanded({"sofia": ("sofia", "sofian"), "12": ("12",), "jo": ()})
    assert expanded.tsquery() == "('sofia' | 'sofian') & ('garcia' <-> ('12')) & ('jo')"
    assert terms.expanded({"jo": ()}).tsquery().startswith("'sofia':* &")  # kept: too many


@pytest.mark.django_db
@on_postgresql
@pytest.mark.parametrize("max_expansion", [words.MAX_EXPANSION, 3])
def test_a_search_finds_the_same_records_with_and_without_expansion(
    company: Company, monkeypatch: pytest.MonkeyPatch, max_expansion: int
) -> None:
    """Random names, emails with digits and accented words; random prefixes of them (and
    of nothing), one or two words. With a small limit some prefixes stay ``:*``."""
    monkeypatch.setattr(words, "MAX_EXPANSION", max_expansion)
    rng = random.Random(SEED)

    def word() -> str:
        return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3)))

    vocabulary: list[str] = []
    for n in range(40):
        first, last, firm = word().title(), word().title(), word()
        first = first.replace("a", "á", 1) if n % 7 == 0 else first
        vocabulary += [first.lower(), last.lower(), firm]
        company.lead(
            company.alice,
            first_name=first,
            last_name=last,
            company=f"{firm} {rng.choice(['Labs', 'Foods'])}",
            email=f"{last.lower()}{rng.randint(1, 999)}@{firm}.example",
        )
    queries = ["zzq", "ka", "labs", "kari12", "á"]
    for _ in range(60):
        picked = [rng.choice(vocabulary) for _ in range(rng.randint(1, 2))]
        queries.append(" ".join(w[: rng.randint(2, len(w))] for w in picked))
    for q in queries:
        terms = parse(q)
        expanded = words.expand(connection, terms)
        assert _matching(expanded) == _matching(terms), (q, expanded.tsquery())
    assert any(t for t in (words.expand(connection, parse(q)).whole for q in queries))


@pytest.mark.django_db
@on_postgresql
def test_new_words_are_found_at_once_through_services_and_raw_sql(company: Company) -> None:
    lead = create_lead(company.alice, LeadCreate(last_name="Xerxandra", company="Qoph Works"))
    assert _indexed("xerxandra")
    assert found(company.ada, "xerxa qop") == [lead.pk]
    update_lead(company.alice, lead, LeadChanges(last_name="Yzmeralda"))
    assert found(company.ada, "yzmer") == [lead.pk]
    template = company.lead(company.alice)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO leads_lead SELECT (json_populate_record(t, json_build_object("
            "'id', nextval(pg_get_serial_sequence('leads_lead', 'id')), 'last_name', v.name))).* "
            "FROM leads_lead AS t, (VALUES ('Wolkenstein'), ('Wolkenbruch')) AS v(name) "
            "WHERE t.id = %s",
            [template.pk],
        )
    assert len(found(company.ada, "wolken")) == 2
    assert found(company.ada, "wolkenb") == [Lead.objects.get(last_name="Wolkenbruch").pk]


@pytest.mark.django_db
@on_postgresql
def test_erasure_drops_the_persons_words_no_other_document_holds(company: Company) -> None:
    lead = company.lead(
        company.alice,
        first_name="Quenby",
        last_name="Zarathustra",
        company="Sharedco",
        email="quenby@zarathustra.example",
    )
    company.lead(company.alice, last_name="Other", company="Sharedco")
    assert _indexed("quenby") and _indexed("zarathustra")
    erase_personal_data(company.ada, lead)
    assert not _indexed("quenby") and not _indexed("zarathustra")
    assert _indexed("sharedco")  # another lead still holds it
    assert found(company.ada, "quen") == []


@on_postgresql
@pytest.mark.django_db
def test_writers_adding_the_same_new_words_in_opposite_orders_never_wait_on_each_other() -> None:
    """Two transactions adding the same new words, in opposite orders, both go through at
    once: with a unique key on the word the second would wait for the first (and two bulk
    writes crossing like this would deadlock)."""
    new = ["zqvorthal", "zqvorthan", "zqvorthas"]
    with connection.cursor() as cursor:  # the test's transaction: left uncommitted
        cursor.execute(words.insert_words("%s::text[]"), [new])
    settings = connection.settings_dict
    other = psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        host=settings["HOST"] or "localhost",
        port=settings["PORT"] or 5432,
    )
    try:
        with other.transaction():
            other.execute("SET LOCAL lock_timeout = '2s'")
            other.execute(words.insert_words("%s::text[]"), [list(reversed(new))])
            stored = other.execute(
                f"SELECT count(*) FROM {words.TABLE} WHERE word = ANY(%s)", [new]
            ).fetchone()
            assert stored == (3,)  # its own three; the test's are not committed
            raise _RolledBack  # leave the shared test database as it was
    except _RolledBack:
        pass
    finally:
        other.close()
    with connection.cursor() as cursor:  # as two writers racing on a new word leave it
        cursor.execute(f"INSERT INTO {words.TABLE} (word) VALUES (%s)", [new[0]])
    assert words.expand(connection, parse("zqvorth")).whole == (("zqvorth", tuple(new)),)


class _RolledBack(Exception):
    pass
