"""Countries are stored as ISO 3166 alpha-2 codes whatever way people write them, on every
write path, so rules and matching compare like with like; pages show the name."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.template import Context, Template
from django.test import Client

from conftest import ApiClient, Company
from opportune.accounts.models import Account, Contact
from opportune.capture.models import AssignmentRule
from opportune.identity.models import User
from opportune.leads.models import Lead
from opportune.leads.schemas import LeadCreate
from opportune.schemas import normalize_country
from opportune.web.testing import plain_static_files  # noqa: F401


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("United States", "US"),
        ("USA", "US"),
        ("U.S.", "US"),
        ("u.s.a.", "US"),
        ("us", "US"),
        ("United States of America", "US"),
        ("UK", "GB"),
        ("United Kingdom", "GB"),
        ("Great Britain", "GB"),
        ("Deutschland", "DE"),
        ("germany", "DE"),
        ("DEU", "DE"),
        ("  France ", "FR"),
        ("India", "IN"),
        ("South Korea", "KR"),
        ("Russia", "RU"),
        ("", ""),
    ],
)
def test_country_names_aliases_and_codes_become_alpha_2(typed: str, code: str) -> None:
    assert normalize_country(typed) == code


def test_an_unknown_country_is_kept_as_typed() -> None:
    assert normalize_country(" Atlantis ") == "Atlantis"
    assert LeadCreate(last_name="L", company="C", country="Atlantis").country == "Atlantis"


def test_the_api_stores_a_leads_country_as_its_code(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    response = api(company.alice).post(
        "/api/v1/leads", {"last_name": "L", "company": "C", "country": "United States"}
    )
    assert response.json()["country"] == "US"
    lead = Lead.objects.get(pk=response.json()["id"])
    patched = api(company.alice).patch(f"/api/v1/leads/{lead.pk}", {"country": "Deutschland"})
    assert patched.json()["country"] == "DE"


def test_accounts_and_contacts_store_codes(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    client = api(company.alice)
    account = client.post("/api/v1/accounts", {"name": "Initech", "billing_country": "USA"})
    assert account.json()["billing_country"] == "US"
    contact = client.post("/api/v1/contacts", {"last_name": "C", "mailing_country": "U.K."})
    assert contact.json()["mailing_country"] == "GB"


def test_conversion_copies_a_code_to_the_account_and_contact(company: Company) -> None:
    from opportune.leads.conversion import convert_lead
    from opportune.leads.schemas import ConversionOptions

    lead = company.qualified_lead(company.alice, country="United States")  # stored before codes
    result = convert_lead(company.alice, lead.pk, ConversionOptions())
    assert Account.objects.get(pk=result.account.pk).billing_country == "US"
    assert Contact.objects.get(pk=result.contact.pk).mailing_country == "US"


def test_a_rule_for_the_united_states_matches_a_lead_from_the_usa(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    AssignmentRule.objects.create(name="US", countries="United States", assign_to=company.bob)
    body = (
        api(company.mark)
        .post("/api/v1/leads", {"last_name": "L", "company": "C", "country": "USA"})
        .json()
    )
    assert body["owner_id"] == company.bob.pk


def test_the_lead_page_shows_the_country_name(company: Company) -> None:
    assert Template("{% load countries %}{{ 'DE'|country_name }}").render(Context()) == "Germany"
    assert (
        Template("{% load countries %}{{ 'Atlantis'|country_name }}").render(Context())
        == "Atlantis"
    )
    lead = company.lead(company.alice, country="DE")
    client = Client()
    client.force_login(company.alice)
    assert "Germany" in client.get(f"/leads/{lead.pk}/").content.decode()
