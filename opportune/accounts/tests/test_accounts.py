"""Accounts: who owns a new one, what is required, and a parent hierarchy without loops."""

from __future__ import annotations

import pytest

from conftest import Company
from opportune.accounts.models import Account
from opportune.accounts.schemas import AccountChanges, AccountCreate
from opportune.accounts.services import save_account
from opportune.errors import NotAllowed, RuleViolation


def test_it_makes_the_creator_the_owner_of_a_new_account(company: Company) -> None:
    account = save_account(company.alice, AccountCreate(name="Initech"))
    assert account.owner == company.alice


def test_it_assigns_the_given_owner(company: Company) -> None:
    account = save_account(company.maria, AccountCreate(name="Initech", owner_id=company.bob.pk))
    assert account.owner == company.bob


def test_it_refuses_a_read_only_owner(company: Company) -> None:
    with pytest.raises(RuleViolation) as caught:
        save_account(company.maria, AccountCreate(name="Initech", owner_id=company.rita.pk))
    assert "owner_id" in caught.value.errors


def test_it_refuses_an_account_from_a_read_only_user(company: Company) -> None:
    with pytest.raises(NotAllowed):
        save_account(company.rita, AccountCreate(name="Initech"))
    assert not Account.objects.exists()


def test_it_refuses_to_blank_the_name(company: Company) -> None:
    account = company.account(company.alice, "Initech")
    with pytest.raises(RuleViolation) as caught:
        save_account(company.alice, AccountChanges(name=None), account)
    assert "name" in caught.value.errors
    account.refresh_from_db()
    assert account.name == "Initech"


def test_it_keeps_the_duplicate_keys_in_step_with_name_and_website(company: Company) -> None:
    account = save_account(
        company.alice, AccountCreate(name="ACME, Inc.", website="https://www.Acme.com/about")
    )
    assert (account.normalized_name, account.domain) == ("acme", "acme.com")
    save_account(company.alice, AccountChanges(name="Initech LLC", website=""), account)
    account.refresh_from_db()
    assert (account.normalized_name, account.domain) == ("initech", "")


def test_it_sets_a_visible_parent(company: Company) -> None:
    parent = company.account(company.alice, "Initech Holdings")
    child = save_account(company.alice, AccountCreate(name="Initech Europe", parent_id=parent.pk))
    assert child.parent == parent


def test_it_refuses_a_parent_out_of_view(company: Company) -> None:
    western = company.account(company.charlie, "Western Widgets")
    with pytest.raises(RuleViolation) as caught:
        save_account(company.alice, AccountCreate(name="Initech", parent_id=western.pk))
    assert "parent_id" in caught.value.errors


def test_it_refuses_an_account_as_its_own_parent(company: Company) -> None:
    account = company.account(company.alice, "Initech")
    with pytest.raises(RuleViolation) as caught:
        save_account(company.alice, AccountChanges(parent_id=account.pk), account)
    assert "parent_id" in caught.value.errors


def test_it_refuses_a_loop_in_the_account_hierarchy(company: Company) -> None:
    holding = company.account(company.alice, "Initech Holdings")
    europe = company.account(company.alice, "Initech Europe", parent=holding)
    france = company.account(company.alice, "Initech France", parent=europe)
    with pytest.raises(RuleViolation) as caught:
        save_account(company.alice, AccountChanges(parent_id=france.pk), holding)
    assert "parent_id" in caught.value.errors
    holding.refresh_from_db()
    assert holding.parent is None


def test_it_removes_the_parent(company: Company) -> None:
    holding = company.account(company.alice, "Initech Holdings")
    europe = company.account(company.alice, "Initech Europe", parent=holding)
    save_account(company.alice, AccountChanges(parent_id=None), europe)
    europe.refresh_from_db()
    assert europe.parent is None


@pytest.mark.parametrize("website", ["[erased]", "http://[not-an-address]/"])
def test_a_website_that_is_no_url_gives_no_domain_rather_than_an_error(website: str) -> None:
    from opportune.accounts.models import website_domain

    assert website_domain(website) == ""
