"""Each list's own ``q`` (leads, accounts, contacts) finds a phone written in any format.

The FilterSet is the one definition the UI list, the API list and the export share, so each
list has a FilterSet-level test and one API call proving the API goes through it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import QuerySet

from conftest import ApiClient, Company
from opportune.accounts.filters import AccountFilterSet, ContactFilterSet
from opportune.accounts.models import Account, Contact
from opportune.filtering import ListFilterSet
from opportune.identity.models import User
from opportune.leads.filters import LeadFilterSet
from opportune.leads.models import Lead

WRITTEN = ["+1 (415) 555-0100", "4155550100", "415.555.0100", "+14155550100"]


def _found(filterset: type[ListFilterSet], queryset: QuerySet[Any], q: str, user: User) -> set[int]:
    data = {"q": q, "status": "all"}
    return {row.pk for row in filterset(data, queryset, user=user).qs}


@pytest.mark.django_db
@pytest.mark.parametrize("q", WRITTEN)
def test_the_lead_filterset_matches_a_phone_in_any_format(company: Company, q: str) -> None:
    lead = company.lead(company.alice, phone="(415) 555-0100")
    company.lead(company.alice, phone="(415) 555-0199")
    assert _found(LeadFilterSet, Lead.objects.all(), q, company.ada) == {lead.pk}


@pytest.mark.django_db
@pytest.mark.parametrize("q", WRITTEN)
def test_the_account_filterset_matches_a_phone_in_any_format(company: Company, q: str) -> None:
    account = company.account(company.alice, name="Umbrella", phone="415-555-0100")
    company.account(company.alice, name="Hooli", phone="415-555-0199")
    assert _found(AccountFilterSet, Account.objects.all(), q, company.ada) == {account.pk}


@pytest.mark.django_db
@pytest.mark.parametrize("q", WRITTEN)
def test_the_contact_filterset_matches_a_phone_in_any_format(company: Company, q: str) -> None:
    contact = company.contact(company.alice, None, phone="(415) 555 0100")
    company.contact(company.alice, None, phone="(415) 555 0199")
    assert _found(ContactFilterSet, Contact.objects.all(), q, company.ada) == {contact.pk}


@pytest.mark.django_db
def test_words_keep_matching_substrings_in_the_account_and_contact_lists(
    company: Company,
) -> None:
    account = company.account(company.alice, name="Umbrella", phone="415-555-0100")
    contact = company.contact(company.alice, None, last_name="Okafor")
    assert _found(AccountFilterSet, Account.objects.all(), "mbrel", company.ada) == {account.pk}
    assert _found(ContactFilterSet, Contact.objects.all(), "kafo", company.ada) == {contact.pk}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "make", "params"),
    [
        ("/api/v1/leads", lambda c, phone: c.lead(c.alice, phone=phone), {"status": "all"}),
        ("/api/v1/accounts", lambda c, phone: c.account(c.alice, phone=phone), {}),
        ("/api/v1/contacts", lambda c, phone: c.contact(c.alice, None, phone=phone), {}),
    ],
)
def test_the_api_lists_match_a_phone_in_any_format(
    company: Company,
    api: Callable[[User], ApiClient],
    path: str,
    make: Callable[[Company, str], Any],
    params: dict[str, str],
) -> None:
    record = make(company, "(415) 555-0100")
    make(company, "(415) 555-0199")
    response = api(company.ada).get(path, q="+1 415.555.0100", **params)
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == [record.pk]
