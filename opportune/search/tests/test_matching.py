"""What global search finds: prefixes, phones in any format, custom text, visibility, the
recycle bin, and an index that follows every write path (services, import, merge, purge)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from pytest_django import Settings

from conftest import Company
from opportune.accounts.models import Account
from opportune.accounts.schemas import AccountChanges
from opportune.accounts.services import save_account
from opportune.audit.bin import delete_record, purge_record, restore_record
from opportune.capture.merge import merge_leads
from opportune.identity.models import User
from opportune.imports.tests.helpers import run_import
from opportune.leads.models import Lead
from opportune.leads.schemas import LeadChanges
from opportune.leads.services import update_lead
from opportune.search import engine, index
from opportune.search.terms import Terms, parse

# PostgreSQL looks the prefixes' whole words up first: one query (opportune/search/words.py).
EXPANSION = int(connection.vendor == "postgresql")


def found(user: User, q: str, kind: str = "lead") -> list[int]:
    """The ids of one kind the user finds for the text."""
    results = engine.search(user, q, limit=50)
    return [hit.id for group in results.groups if group.kind == kind for hit in group.hits]


def test_a_phone_in_any_format_is_one_set_of_digit_forms() -> None:
    forms = {parse(q).phone_forms for q in ["+1 (415) 555-0100", "4155550100", "415-555-0100"]}
    assert forms == {("14155550100", "4155550100")}


def test_words_are_prefixes_except_one_letter_and_punctuation_is_dropped() -> None:
    assert parse("Acm  O'Brien!").fts5() == '"acm"* "o" "brien"*'
    assert parse("acm smi").tsquery() == "'acm':* & 'smi':*"
    assert not parse(" !!! ")
    assert parse("555-0100") == Terms(words=("555", "0100"))  # too short for a phone


def test_a_word_of_letters_and_digits_is_a_phrase_of_its_runs_on_postgresql() -> None:
    """As the PostgreSQL document splits them: 'garcia':* then reads a handful of words,
    not one per email ('garcia12345'...)."""
    assert parse("garcia12").tsquery() == "('garcia' <-> '12':*)"
    assert parse("b2b x1").tsquery() == "('b' <-> '2' <-> 'b') & ('x' <-> '1')"
    assert parse("garcia12").fts5() == '"garcia12"*'  # FTS5 keeps such a word whole


@pytest.mark.django_db
def test_an_email_is_found_by_its_name_prefix_and_by_its_numbered_part(company: Company) -> None:
    lead = company.lead(
        company.alice, first_name="Ann", email="sofia.garcia12345@umbrella1234.example"
    )
    company.lead(company.alice, first_name="Bea", email="sofia.garcia99@hooli7.example")
    assert found(company.ada, "garcia1234") == [lead.pk]
    assert found(company.ada, "sofia.garcia12345@umbrella1234.example") == [lead.pk]
    assert found(company.ada, "umbrella12") == [lead.pk]
    assert len(found(company.ada, "garc")) == 2


@pytest.mark.django_db
@pytest.mark.parametrize("q", ["+1 (415) 555-0100", "4155550100", "415-555-0100", "+14155550100"])
def test_a_lead_is_found_by_its_phone_written_any_way(company: Company, q: str) -> None:
    lead = company.lead(company.alice, phone="(415) 555-0100")
    company.lead(company.alice, phone="(415) 555-0199")
    assert found(company.ada, q) == [lead.pk]


@pytest.mark.django_db
def test_an_account_without_phone_key_is_found_by_its_national_number(company: Company) -> None:
    account = company.account(company.alice, name="Umbrella", phone="415.555.0100")
    assert found(company.ada, "+1 415 555 0100", "account") == [account.pk]


@pytest.mark.django_db
def test_a_word_prefix_finds_names_companies_and_emails(company: Company) -> None:
    acme = company.lead(company.alice, company="Acme Rockets", email="wile@acme.example")
    other = company.lead(company.alice, first_name="Ruth", last_name="Acland", company="Hooli")
    assert found(company.ada, "acm") == [acme.pk]
    assert found(company.ada, "acme.example") == [acme.pk]
    assert found(company.ada, "ruth acl") == [other.pk]
    assert found(company.ada, "cme") == []  # prefixes, not substrings


@pytest.mark.django_db
def test_case_and_accents_do_not_matter_on_either_database(company: Company) -> None:
    lead = company.lead(company.alice, last_name="Núñez")
    jose = company.lead(company.alice, first_name="José", last_name="Ångström")
    plain = company.lead(company.alice, first_name="Jose", last_name="Angstrom")
    assert found(company.ada, "NÚÑ") == [lead.pk]
    assert found(company.ada, "nune") == [lead.pk]
    assert found(company.ada, "jose") == [plain.pk, jose.pk]
    assert found(company.ada, "josé angs") == [plain.pk, jose.pk]


@pytest.mark.django_db
def test_without_unaccent_postgresql_folds_latin_letters_by_translate() -> None:
    """The fallback for a role that may not create the extension (docs/search.md)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's tokenizer removes diacritics")
    body = index.fold_function_body(None)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION pg_temp.fold_fallback(text) RETURNS text LANGUAGE sql IMMUTABLE "
            f"AS $f$ {body} $f$"
        )
        cursor.execute("SELECT pg_temp.fold_fallback('José Núñez Ångström Łódź çà')")
        assert cursor.fetchone() == ("Jose Nunez Angstrom Lodz ca",)


@pytest.mark.django_db
def test_custom_text_field_values_are_searched_not_their_keys(company: Company) -> None:
    lead = company.lead(company.alice, custom={"favourite_island": "Zanzibar"})
    assert found(company.ada, "zanzi") == [lead.pk]
    assert found(company.ada, "favourite") == []


@pytest.mark.django_db
def test_contacts_and_deals_are_found_by_their_accounts_name(company: Company) -> None:
    account = company.account(company.alice, name="Vandelay Industries")
    contact = company.contact(company.alice, account)
    deal = company.opportunity(company.alice, account=account, name="Latex order")
    assert found(company.ada, "vandel", "contact") == [contact.pk]
    assert found(company.ada, "vandel", "opportunity") == [deal.pk]
    assert found(company.ada, "latex", "opportunity") == [deal.pk]


@pytest.mark.django_db
def test_bob_does_not_find_alices_lead(company: Company) -> None:
    lead = company.lead(company.alice, company="Initrode")
    assert found(company.alice, "initrode") == [lead.pk]
    assert found(company.bob, "initrode") == []
    assert found(company.maria, "initrode") == [lead.pk]  # her team's manager


@pytest.mark.django_db
def test_marketing_finds_no_opportunity(company: Company) -> None:
    company.opportunity(company.alice, name="Stark expansion")
    assert engine.visible_kinds(company.mark) == ["lead", "account", "contact"]
    assert found(company.mark, "stark", "opportunity") == []
    assert found(company.ada, "stark", "opportunity") != []


@pytest.mark.django_db
def test_deleted_records_are_absent_until_restored(company: Company) -> None:
    lead = company.lead(company.alice, company="Wonka")
    delete_record(company.alice, lead)
    assert found(company.ada, "wonka") == []
    restore_record(company.alice, "lead", lead.pk)
    assert found(company.ada, "wonka") == [lead.pk]
    delete_record(company.alice, Lead.objects.get(pk=lead.pk))
    purge_record(company.ada, "lead", lead.pk)
    assert found(company.ada, "wonka") == []


@pytest.mark.django_db
def test_the_index_follows_updates_through_the_services(company: Company) -> None:
    lead = company.lead(company.alice, company="Oldname")
    update_lead(company.alice, lead, LeadChanges(company="Newname", phone="212 555 0142"))
    assert found(company.ada, "oldname") == []
    assert found(company.ada, "newnam") == [lead.pk]
    assert found(company.ada, "(212) 555-0142") == [lead.pk]
    account = company.account(company.alice, name="Before")
    save_account(
        company.alice, AccountChanges(name="Aftermath"), Account.objects.get(pk=account.pk)
    )
    assert found(company.ada, "before", "account") == []
    assert found(company.ada, "afterm", "account") == [account.pk]


@pytest.mark.django_db
def test_merged_leads_are_found_once_as_the_master(company: Company) -> None:
    master = company.lead(company.alice, company="Merger Co")
    twin = company.lead(company.alice, company="Merger Co")
    merge_leads(company.alice, master.pk, [twin.pk])
    assert found(company.ada, "merger") == [master.pk]


@pytest.mark.django_db
def test_imported_leads_are_indexed(company: Company, settings: Settings, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path
    job = run_import(
        company.ada,
        "FirstName,LastName,Company,Email,Phone\n"
        "Ada,Lovelace,Analytical Engines,ada@engines.example,(415) 555-0100\n",
    )
    assert job.status == "done"
    lead = Lead.objects.get(last_name="Lovelace")
    assert found(company.ada, "analyt engi") == [lead.pk]
    assert found(company.ada, "415-555-0100") == [lead.pk]


@pytest.mark.django_db
def test_counts_are_capped_and_the_first_page_is_the_newest(company: Company) -> None:
    leads = [company.lead(company.alice, company="Hooli") for _ in range(7)]
    results = engine.search(company.ada, "hooli", kinds=["lead"], limit=5)
    (group,) = results.groups
    assert [hit.id for hit in group.hits] == [lead.pk for lead in reversed(leads)][:5]
    assert (group.total, group.capped, group.total_text) == (7, False, "7")
    assert group.list_url == "/leads/?q=hooli&status=all"


@pytest.fixture
def small_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cap of 3 (window 4): the window's cases with a handful of rows."""
    monkeypatch.setattr(engine, "COUNT_CAP", 3)
    monkeypatch.setattr(engine, "WINDOW", 4)


@pytest.mark.django_db
@pytest.mark.usefixtures("small_window")
def test_when_every_newest_match_is_visible_the_window_answers_capped(
    company: Company, django_assert_num_queries: Any
) -> None:
    leads = [company.lead(company.alice, company="Hooli") for _ in range(6)]
    # The index's 4 newest, then page and count at once.
    with django_assert_num_queries(2 + EXPANSION):
        (group,) = engine.search(company.ada, "hooli", kinds=["lead"], limit=2).groups
    assert [hit.id for hit in group.hits] == [leads[5].pk, leads[4].pk]
    assert (group.total, group.capped, group.total_text) == (3, True, "3+")


@pytest.mark.django_db
@pytest.mark.usefixtures("small_window")
def test_a_rep_who_sees_few_of_the_newest_matches_gets_her_own_older_ones(
    company: Company,
) -> None:
    """The index's newest matches are all Bob's: Alice's older ones still come, counted."""
    mine = [company.lead(company.alice, company="Hooli") for _ in range(2)]
    for _ in range(5):
        company.lead(company.bob, company="Hooli")
    (group,) = engine.search(company.alice, "hooli", kinds=["lead"], limit=5).groups
    assert [hit.id for hit in group.hits] == [mine[1].pk, mine[0].pk]
    assert (group.total, group.capped) == (2, False)


@pytest.mark.django_db
@pytest.mark.usefixtures("small_window")
def test_deleted_rows_among_the_newest_matches_are_not_counted(company: Company) -> None:
    leads = [company.lead(company.alice, company="Hooli") for _ in range(5)]
    delete_record(company.alice, leads[4])
    (group,) = engine.search(company.ada, "hooli", kinds=["lead"], limit=5).groups
    assert [hit.id for hit in group.hits] == [lead.pk for lead in reversed(leads[:4])]
    assert (group.total, group.capped) == (3, True)  # 4 live matches: beyond the cap of 3


@pytest.mark.django_db
@pytest.mark.usefixtures("small_window")
def test_a_full_page_in_the_window_is_shown_with_a_floor_count(company: Company) -> None:
    """A rep's newest matches fill the page from the window: "2+" rather than a scan of
    every match to count the older ones (on both databases)."""
    for _ in range(3):
        company.lead(company.alice, company="Hooli")
    for _ in range(3):
        company.lead(company.bob, company="Hooli")
    mine = [company.lead(company.alice, company="Hooli") for _ in range(2)]
    company.lead(company.bob, company="Hooli")
    company.lead(company.bob, company="Hooli")
    (group,) = engine.search(company.alice, "hooli", kinds=["lead"], limit=2).groups
    assert [hit.id for hit in group.hits] == [mine[1].pk, mine[0].pk]
    assert (group.total, group.capped, group.total_text) == (2, True, "2+")
