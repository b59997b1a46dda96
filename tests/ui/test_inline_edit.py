"""Inline editing of one field on a record page: saved through the kind's form, schema and
service (history recorded), errors in the product's words at the field, and no editing for
a user the policy does not let change the record."""

from __future__ import annotations

from django.test import Client

from conftest import Company
from opportune.audit.models import FieldChange
from opportune.leads.models import Lead
from opportune.web.testing import (
    HTMX,
    logged_in,
    plain_static_files,  # noqa: F401
)


def _url(kind: str, pk: int, field: str) -> str:
    return f"/records/{kind}/{pk}/field/?field={field}"


def test_a_valid_value_is_saved_through_the_service_and_shown(
    company: Company, client: Client
) -> None:
    lead = company.lead(company.alice)
    alice = logged_in(client, company.alice)
    form = alice.get(_url("lead", lead.pk, "title"), **HTMX).content.decode()
    assert 'name="inline-title"' in form and "autofocus" in form
    response = alice.post(_url("lead", lead.pk, "title"), {"inline-title": "CTO"}, **HTMX)
    assert response.status_code == 200
    assert '<span class="inline-value">CTO</span>' in response.content.decode()
    lead.refresh_from_db()
    assert lead.title == "CTO"
    change = FieldChange.objects.get(record_type="lead", record_id=lead.pk, field="title")
    assert (change.new_value, change.changed_by_id) == ("CTO", company.alice.pk)


def test_each_kind_saves_its_own_field(company: Company, client: Client) -> None:
    deal = company.opportunity(company.alice)
    contact = company.contact(company.alice, None)
    alice = logged_in(client, company.alice)
    alice.post(_url("opportunity", deal.pk, "amount"), {"inline-amount": "1234.50"}, **HTMX)
    alice.post(_url("account", deal.account_id, "employees"), {"inline-employees": "42"}, **HTMX)
    alice.post(_url("contact", contact.pk, "phone"), {"inline-phone": "+1 555 0100"}, **HTMX)
    deal.refresh_from_db()
    contact.refresh_from_db()
    assert str(deal.amount) == "1234.50"
    assert deal.account.employees == 42
    assert contact.phone == "+1 555 0100"


def test_an_invalid_value_is_refused_in_words_at_the_field(
    company: Company, client: Client
) -> None:
    lead = company.lead(company.alice)
    alice = logged_in(client, company.alice)
    response = alice.post(_url("lead", lead.pk, "company"), {"inline-company": ""}, **HTMX)
    assert response.status_code == 422
    page = response.content.decode()
    assert "required" in page
    assert 'aria-invalid="true"' in page and "autofocus" in page
    assert 'aria-describedby="id_inline-company_error"' in page
    lead.refresh_from_db()
    assert lead.company != ""


def test_a_bad_number_is_refused_at_the_field(company: Company, client: Client) -> None:
    deal = company.opportunity(company.alice)
    alice = logged_in(client, company.alice)
    response = alice.post(_url("opportunity", deal.pk, "amount"), {"inline-amount": "lots"}, **HTMX)
    assert response.status_code == 422
    assert "number" in response.content.decode().lower()


def test_a_user_who_may_not_change_the_record_gets_no_editor(
    company: Company, client: Client
) -> None:
    """Rita (read only) sees East's records but changes none: no edit button, and a 403."""
    lead = company.lead(company.alice)
    rita = logged_in(client, company.rita)
    page = rita.get(f"/leads/{lead.pk}/").content.decode()
    assert 'class="inline-edit"' not in page
    assert rita.post(_url("lead", lead.pk, "title"), {"inline-title": "x"}).status_code == 403
    alices_page = logged_in(Client(), company.alice).get(f"/leads/{lead.pk}/").content.decode()
    assert 'aria-label="Edit Title"' in alices_page


def test_a_converted_lead_is_not_edited_in_place(company: Company, client: Client) -> None:
    lead = company.lead(company.alice)
    Lead.objects.filter(pk=lead.pk).update(is_converted=True)
    alice = logged_in(client, company.alice)
    assert 'class="inline-edit"' not in alice.get(f"/leads/{lead.pk}/").content.decode()
    assert alice.post(_url("lead", lead.pk, "title"), {"inline-title": "x"}).status_code == 409


def test_a_field_not_offered_in_place_is_a_400(company: Company, client: Client) -> None:
    lead = company.lead(company.alice)
    response = logged_in(client, company.alice).post(_url("lead", lead.pk, "owner"), {})
    assert response.status_code == 400
