"""Changing an opportunity's account, primary contact and owner: the primary contact works at
the opportunity's account, and both are records the user can see."""

from __future__ import annotations

import pytest

from conftest import Company
from opportune.errors import RuleViolation
from opportune.opportunities.models import Opportunity
from opportune.opportunities.services import change_opportunity


def test_it_sets_a_primary_contact_of_the_account(company: Company) -> None:
    initech = company.account(company.alice, "Initech")
    peter = company.contact(company.alice, initech)
    deal = company.opportunity(company.alice, account=initech)
    change_opportunity(company.alice, deal, {"primary_contact_id": peter.pk})
    assert Opportunity.objects.get(pk=deal.pk).primary_contact == peter


def test_it_refuses_a_primary_contact_of_another_account(company: Company) -> None:
    deal = company.opportunity(company.alice, account=company.account(company.alice, "Initech"))
    gavin = company.contact(company.alice, company.account(company.alice, "Hooli"))
    with pytest.raises(RuleViolation) as caught:
        change_opportunity(company.alice, deal, {"primary_contact_id": gavin.pk})
    assert "primary_contact_id" in caught.value.errors


def test_it_refuses_a_primary_contact_out_of_view(company: Company) -> None:
    initech = company.account(company.alice, "Initech")
    hidden = company.contact(company.charlie, initech)
    deal = company.opportunity(company.alice, account=initech)
    with pytest.raises(RuleViolation) as caught:
        change_opportunity(company.alice, deal, {"primary_contact_id": hidden.pk})
    assert "primary_contact_id" in caught.value.errors


def test_it_refuses_an_account_out_of_view(company: Company) -> None:
    deal = company.opportunity(company.alice)
    western = company.account(company.charlie, "Western Widgets")
    with pytest.raises(RuleViolation) as caught:
        change_opportunity(company.alice, deal, {"account_id": western.pk})
    assert "account_id" in caught.value.errors


def test_it_moves_the_opportunity_with_its_contact_to_another_account(company: Company) -> None:
    initech = company.account(company.alice, "Initech")
    hooli = company.account(company.alice, "Hooli")
    gavin = company.contact(company.alice, hooli)
    deal = company.opportunity(company.alice, account=initech)
    change_opportunity(
        company.alice, deal, {"account_id": hooli.pk, "primary_contact_id": gavin.pk}
    )
    deal = Opportunity.objects.get(pk=deal.pk)
    assert (deal.account, deal.primary_contact) == (hooli, gavin)


def test_it_refuses_to_move_an_opportunity_away_from_its_primary_contacts_account(
    company: Company,
) -> None:
    initech = company.account(company.alice, "Initech")
    peter = company.contact(company.alice, initech)
    deal = company.opportunity(company.alice, account=initech)
    change_opportunity(company.alice, deal, {"primary_contact_id": peter.pk})
    hooli = company.account(company.alice, "Hooli")
    with pytest.raises(RuleViolation) as caught:
        change_opportunity(company.alice, deal, {"account_id": hooli.pk})
    assert "primary_contact_id" in caught.value.errors
    assert Opportunity.objects.get(pk=deal.pk).account == initech


def test_it_moves_the_opportunity_when_the_primary_contact_is_cleared(company: Company) -> None:
    initech = company.account(company.alice, "Initech")
    peter = company.contact(company.alice, initech)
    deal = company.opportunity(company.alice, account=initech)
    change_opportunity(company.alice, deal, {"primary_contact_id": peter.pk})
    hooli = company.account(company.alice, "Hooli")
    change_opportunity(company.alice, deal, {"account_id": hooli.pk, "primary_contact_id": None})
    deal = Opportunity.objects.get(pk=deal.pk)
    assert (deal.account, deal.primary_contact) == (hooli, None)


def test_it_reassigns_the_owner(company: Company) -> None:
    deal = company.opportunity(company.alice)
    change_opportunity(company.maria, deal, {"owner_id": company.bob.pk})
    assert Opportunity.objects.get(pk=deal.pk).owner == company.bob


def test_the_primary_contact_role_follows_the_primary_contact(company: Company) -> None:
    from opportune.opportunities.models import ContactRole

    initech = company.account(company.alice, "Initech")
    peter = company.contact(company.alice, initech, first_name="Peter")
    milton = company.contact(company.alice, initech, first_name="Milton")
    deal = company.opportunity(company.alice, account=initech)
    ContactRole.objects.create(opportunity=deal, contact=peter, is_primary=True)
    change_opportunity(company.alice, deal, {"primary_contact_id": peter.pk})
    change_opportunity(company.alice, deal, {"primary_contact_id": milton.pk})
    primary = ContactRole.objects.filter(opportunity=deal, is_primary=True)
    assert [role.contact for role in primary] == [milton]
    assert ContactRole.objects.filter(opportunity=deal, contact=peter).exists()  # role kept

    change_opportunity(company.alice, deal, {"primary_contact_id": None})
    assert not ContactRole.objects.filter(opportunity=deal, is_primary=True).exists()
