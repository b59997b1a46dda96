"""Contacts: who owns a new one, what is required, and the account they work at."""

from __future__ import annotations

import pytest

from conftest import Company
from opportune.accounts.models import Contact
from opportune.accounts.schemas import ContactChanges, ContactCreate
from opportune.accounts.services import save_contact
from opportune.errors import NotAllowed, RuleViolation


def test_it_makes_the_creator_the_owner_of_a_new_contact(company: Company) -> None:
    contact = save_contact(company.bob, ContactCreate(last_name="Gibbons"))
    assert contact.owner == company.bob


def test_it_puts_a_contact_at_a_visible_account(company: Company) -> None:
    initech = company.account(company.alice, "Initech")
    contact = save_contact(company.alice, ContactCreate(last_name="Gibbons", account_id=initech.pk))
    assert contact.account == initech


def test_it_refuses_an_account_out_of_view(company: Company) -> None:
    western = company.account(company.charlie, "Western Widgets")
    with pytest.raises(RuleViolation) as caught:
        save_contact(company.alice, ContactCreate(last_name="Gibbons", account_id=western.pk))
    assert "account_id" in caught.value.errors
    assert not Contact.objects.exists()


def test_it_refuses_a_contact_from_a_read_only_user(company: Company) -> None:
    with pytest.raises(NotAllowed):
        save_contact(company.rita, ContactCreate(last_name="Gibbons"))


def test_it_refuses_to_blank_the_last_name(company: Company) -> None:
    contact = company.contact(company.alice, None, last_name="Gibbons")
    with pytest.raises(RuleViolation) as caught:
        save_contact(company.alice, ContactChanges(last_name=None), contact)
    assert "last_name" in caught.value.errors


def test_it_stores_emails_lower_cased(company: Company) -> None:
    contact = save_contact(
        company.alice, ContactCreate(last_name="Gibbons", email="P.G@Initech.COM")
    )
    assert contact.email == "p.g@initech.com"


def test_it_moves_a_contact_off_its_account(company: Company) -> None:
    initech = company.account(company.alice, "Initech")
    contact = company.contact(company.alice, initech)
    save_contact(company.alice, ContactChanges(account_id=None), contact)
    contact.refresh_from_db()
    assert contact.account is None
