"""PostgreSQL: the stored ``search_doc`` column is the database's business. Every write path
(services, multi-row SQL, erasure, raw SQL, even a write to the column itself) leaves it
right, found by a search afterwards; altering a searched column's type still works (the
reason for a trigger over a generated column, opportune/search/postgres.py)."""

from __future__ import annotations

import pytest
from django.db import connection

from conftest import Company
from opportune.accounts.models import Contact
from opportune.accounts.schemas import ContactChanges
from opportune.accounts.services import save_contact
from opportune.leads.models import Lead
from opportune.opportunities.services import change_opportunity
from opportune.privacy.services import erase_personal_data
from opportune.search import postgres

from .test_matching import found

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's stored document"),
]


def _document(table: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {postgres.COLUMN}::text FROM {table} WHERE id = %s", [pk])
        (row,) = cursor.fetchall()
    return str(row[0])


def test_a_lead_inserted_by_multi_row_sql_gets_its_document(company: Company) -> None:
    """A raw multi-row INSERT (the importer's SQLite shape; its PostgreSQL COPY is
    ``test_imported_leads_are_indexed``): no model code runs."""
    template = company.lead(company.alice, company="Template")
    given = ["first_name", "last_name", "company", "email", "phone"]
    rest = [
        str(f.column)
        for f in Lead._meta.concrete_fields
        if not f.primary_key and f.column not in given
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO leads_lead ({', '.join(given + rest)}) "
            f"SELECT {', '.join(f'v.{c}' for c in given)}, {', '.join(f't.{c}' for c in rest)} "
            "FROM leads_lead AS t, (VALUES (%s, %s, %s, %s, %s), (%s, %s, %s, %s, %s)) "
            f"AS v({', '.join(given)}) WHERE t.id = %s",
            [
                *("Grace", "Hopper", "Navy Compilers", "grace@navy.example", "(212) 555-0199"),
                *("Alan", "Turing", "Bletchley Works", "", ""),
                template.pk,
            ],
        )
    grace = Lead.objects.get(last_name="Hopper")
    assert found(company.ada, "navy compil") == [grace.pk]
    assert found(company.ada, "2125550199") == [grace.pk]
    assert "'bletchley'" in _document("leads_lead", Lead.objects.get(last_name="Turing").pk)


def test_a_write_to_the_column_itself_is_recomputed_from_the_row(company: Company) -> None:
    lead = company.lead(company.alice, company="Genuine Corp")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE leads_lead SET {postgres.COLUMN} = to_tsvector('forged') WHERE id = %s",
            [lead.pk],
        )
    assert found(company.ada, "forged") == []
    assert found(company.ada, "genuine") == [lead.pk]


def test_an_erased_lead_is_no_longer_found_by_its_name_or_email(company: Company) -> None:
    lead = company.lead(
        company.alice, first_name="Zelda", last_name="Quixote", email="zelda@quixote.example"
    )
    assert found(company.ada, "zelda quix") == [lead.pk]
    erase_personal_data(company.ada, lead)
    assert found(company.ada, "zelda") == []
    assert found(company.ada, "quixote") == []  # the email too
    assert lead.pk in found(company.ada, "erased")


def test_an_erased_contact_is_no_longer_found(company: Company) -> None:
    account = company.account(company.alice, name="Pemberley")
    contact = company.contact(company.alice, account, first_name="Fitzwilliam", last_name="Darcy")
    assert found(company.ada, "fitzw", "contact") == [contact.pk]
    erase_personal_data(company.ada, contact)
    assert found(company.ada, "fitzw", "contact") == []
    assert found(company.ada, "pemberl", "contact") == [contact.pk]  # still by its account


def test_contact_and_deal_services_keep_their_documents(company: Company) -> None:
    account = company.account(company.alice, name="Rivendell")
    contact = company.contact(company.alice, account, last_name="Elrond")
    save_contact(
        company.alice, ContactChanges(last_name="Arwen"), Contact.objects.get(pk=contact.pk)
    )
    assert found(company.ada, "elrond", "contact") == []
    assert found(company.ada, "arwen", "contact") == [contact.pk]
    deal = company.opportunity(company.alice, account=account, name="Mithril order")
    change_opportunity(company.alice, deal, {"name": "Lembas renewal"})
    assert found(company.ada, "mithril", "opportunity") == []
    assert found(company.ada, "lembas", "opportunity") == [deal.pk]


def test_a_searched_column_can_still_change_type(company: Company) -> None:
    """What a later ``AlterField`` (a longer company name) does; a generated column would
    make PostgreSQL refuse it."""
    lead = company.lead(company.alice, company="Widening Ltd")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks block the DDL
        cursor.execute("ALTER TABLE leads_lead ALTER COLUMN company TYPE varchar(400)")
        cursor.execute("UPDATE leads_lead SET company = %s WHERE id = %s", ["Wider Ltd", lead.pk])
    assert found(company.ada, "wider") == [lead.pk]


def test_install_fills_a_column_it_adds_and_is_idempotent(company: Company) -> None:
    lead = company.lead(company.alice, company="Reinstalled Inc")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks block the DDL
        cursor.execute(f"ALTER TABLE leads_lead DROP COLUMN {postgres.COLUMN}")
    postgres.install(connection)  # what the migration and post_migrate do
    postgres.install(connection)
    assert found(company.ada, "reinstal") == [lead.pk]
