"""Converting into an existing account and contact (PRODUCT.md section 3): only their empty
fields are filled, nothing is overwritten (except contact.lead_source when asked), and the
contact must belong to the account."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import Company
from opportune.accounts.models import Account, Contact
from opportune.errors import RuleViolation
from opportune.leads.conversion import convert_lead
from opportune.leads.schemas import ConversionOptions
from opportune.opportunities.models import Opportunity


def test_it_converts_into_the_given_account_without_creating_one(company: Company) -> None:
    initech = company.account(company.alice, "Initech")
    lead = company.qualified_lead(company.alice)
    result = convert_lead(company.alice, lead.pk, ConversionOptions(account_id=initech.pk))
    assert result.account == initech
    assert Account.objects.count() == 1
    assert result.contact.account == initech
    assert result.opportunity is not None and result.opportunity.account == initech


def test_it_fills_only_the_empty_fields_of_an_existing_account(company: Company) -> None:
    initech = company.account(
        company.alice, "Initech", website="initech.example", employees=None, industry=""
    )
    lead = company.qualified_lead(
        company.alice,
        company="Initech Inc",
        website="https://other.example",
        employees=300,
        industry="Software",
        annual_revenue=Decimal("5000000.00"),
    )
    convert_lead(company.alice, lead.pk, ConversionOptions(account_id=initech.pk))
    initech.refresh_from_db()
    assert initech.name == "Initech"
    assert initech.website == "initech.example"
    assert initech.employees == 300
    assert initech.industry == "Software"
    assert initech.annual_revenue == Decimal("5000000.00")


def test_it_does_not_change_the_owner_of_an_existing_account(company: Company) -> None:
    initech = company.account(company.bob, "Initech")
    lead = company.qualified_lead(company.alice)
    convert_lead(company.maria, lead.pk, ConversionOptions(account_id=initech.pk))
    initech.refresh_from_db()
    assert initech.owner == company.bob


def test_it_fills_only_the_empty_fields_of_an_existing_contact(company: Company) -> None:
    initech = company.account(company.alice, "Initech")
    cora = company.contact(
        company.alice, initech, first_name="Cora", title="", email="cora@initech.example"
    )
    lead = company.qualified_lead(
        company.alice, first_name="Lena", title="CFO", email="lena@initech.example", city="Austin"
    )
    options = ConversionOptions(account_id=initech.pk, contact_id=cora.pk)
    result = convert_lead(company.alice, lead.pk, options)
    assert result.contact == cora
    assert Contact.objects.count() == 1
    cora.refresh_from_db()
    assert (cora.first_name, cora.last_name) == ("Cora", "Contact")
    assert cora.email == "cora@initech.example"
    assert cora.title == "CFO"
    assert cora.mailing_city == "Austin"


def test_it_keeps_the_contacts_lead_source_by_default(company: Company) -> None:
    initech = company.account(company.alice, "Initech")
    cora = company.contact(company.alice, initech, lead_source="web")
    lead = company.qualified_lead(company.alice, source="event")
    options = ConversionOptions(account_id=initech.pk, contact_id=cora.pk)
    convert_lead(company.alice, lead.pk, options)
    cora.refresh_from_db()
    assert cora.lead_source == "web"


def test_it_fills_an_empty_lead_source_of_the_contact(company: Company) -> None:
    initech = company.account(company.alice, "Initech")
    cora = company.contact(company.alice, initech, lead_source="")
    lead = company.qualified_lead(company.alice, source="event")
    convert_lead(
        company.alice, lead.pk, ConversionOptions(account_id=initech.pk, contact_id=cora.pk)
    )
    cora.refresh_from_db()
    assert cora.lead_source == "event"


def test_it_overwrites_the_contacts_lead_source_when_asked(company: Company) -> None:
    initech = company.account(company.alice, "Initech")
    cora = company.contact(company.alice, initech, lead_source="web", title="Buyer")
    lead = company.qualified_lead(company.alice, source="event", title="CFO")
    options = ConversionOptions(
        account_id=initech.pk, contact_id=cora.pk, overwrite_lead_source=True
    )
    convert_lead(company.alice, lead.pk, options)
    cora.refresh_from_db()
    assert cora.lead_source == "event"
    assert cora.title == "Buyer"  # and only the lead source


def test_it_refuses_a_contact_of_another_account(company: Company) -> None:
    initech = company.account(company.alice, "Initech")
    hooli = company.account(company.alice, "Hooli")
    gavin = company.contact(company.alice, hooli, first_name="Gavin")
    lead = company.qualified_lead(company.alice)
    options = ConversionOptions(account_id=initech.pk, contact_id=gavin.pk)
    with pytest.raises(RuleViolation) as caught:
        convert_lead(company.alice, lead.pk, options)
    assert "contact_id" in caught.value.errors
    lead.refresh_from_db()
    assert not lead.is_converted
    assert not Opportunity.objects.exists()


def test_it_attaches_a_contact_without_an_account_to_the_account(company: Company) -> None:
    initech = company.account(company.alice, "Initech")
    loner = company.contact(company.alice, None)
    lead = company.qualified_lead(company.alice)
    options = ConversionOptions(account_id=initech.pk, contact_id=loner.pk)
    convert_lead(company.alice, lead.pk, options)
    loner.refresh_from_db()
    assert loner.account == initech


def test_it_refuses_a_contact_without_its_account(company: Company) -> None:
    initech = company.account(company.alice, "Initech")
    cora = company.contact(company.alice, initech)
    lead = company.qualified_lead(company.alice)
    with pytest.raises(RuleViolation) as caught:
        convert_lead(company.alice, lead.pk, ConversionOptions(contact_id=cora.pk))
    assert "account_id" in caught.value.errors
    assert Account.objects.count() == 1


def test_it_refuses_an_account_the_user_cannot_see(company: Company) -> None:
    western = company.account(company.charlie, "Western Widgets")
    lead = company.qualified_lead(company.alice)
    with pytest.raises(RuleViolation) as caught:
        convert_lead(company.alice, lead.pk, ConversionOptions(account_id=western.pk))
    assert "account_id" in caught.value.errors


def test_it_refuses_a_contact_the_user_cannot_see(company: Company) -> None:
    initech = company.account(company.alice, "Initech")
    hidden = company.contact(company.charlie, initech)
    lead = company.qualified_lead(company.alice)
    options = ConversionOptions(account_id=initech.pk, contact_id=hidden.pk)
    with pytest.raises(RuleViolation) as caught:
        convert_lead(company.alice, lead.pk, options)
    assert "contact_id" in caught.value.errors


def test_a_leads_opt_outs_always_reach_the_existing_contact(company: Company) -> None:
    account = company.account(company.alice)
    contact = company.contact(company.alice, account, email="lena@globex.example")
    lead = company.qualified_lead(company.alice, do_not_call=True, email_opt_out=True)
    convert_lead(
        company.alice, lead.pk, ConversionOptions(account_id=account.pk, contact_id=contact.pk)
    )
    contact.refresh_from_db()
    assert (contact.do_not_call, contact.email_opt_out) == (True, True)


def test_a_contacts_email_is_stored_lower_case_so_duplicates_match(company: Company) -> None:
    contact = company.contact(company.alice, None, email=" Lena@Globex.Example ")
    assert Contact.objects.get(pk=contact.pk).email == "lena@globex.example"
