"""Account and contact pages: lists, record pages, create and edit."""

from __future__ import annotations

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from conftest import Company
from opportune.accounts.models import Account, Contact
from opportune.web.testing import (
    logged_in,
    plain_static_files,  # noqa: F401
)

pytestmark = pytest.mark.django_db


def test_the_account_list_shows_only_visible_accounts_and_searches(
    company: Company, client: Client
) -> None:
    company.account(company.alice, name="Initech")
    company.account(company.alice, name="Umbrella", website="umbrella.example")
    company.account(company.charlie, name="Westwind")
    client = logged_in(client, company.alice)

    def names(**params: str) -> list[str]:
        return [a.name for a in client.get("/accounts/", params).context["page"].rows]

    assert sorted(names()) == ["Initech", "Umbrella"]
    assert names(q="umbrella.ex") == ["Umbrella"]
    assert names(sort="name") == ["Initech", "Umbrella"]
    assert names(sort="-name") == ["Umbrella", "Initech"]


def test_the_account_page_shows_deals_contacts_converted_leads_and_activity(
    company: Company, client: Client
) -> None:
    opportunity = company.opportunity(company.alice, name="Renewal 2027")
    account = opportunity.account
    company.contact(company.alice, account, first_name="Cora")
    company.lead(company.alice, last_name="Was", is_converted=True, converted_account=account)
    page = logged_in(client, company.alice).get(f"/accounts/{account.pk}/").content.decode()
    for expected in ("Renewal 2027", "Cora Contact", "Lena Was", "Log a call"):
        assert expected in page, expected


def test_marketing_sees_no_deals_on_an_account(company: Company, client: Client) -> None:
    account = company.account(company.mark, name="Campaign target")
    page = logged_in(client, company.mark).get(f"/accounts/{account.pk}/").content.decode()
    assert "Campaign target" in page and ">Opportunities<" not in page


@pytest.mark.parametrize(
    "path",
    [
        "accounts/{account}/",
        "accounts/{account}/edit/",
        "contacts/{contact}/",
        "contacts/{contact}/edit/",
    ],
)
def test_another_reps_accounts_and_contacts_are_404(
    company: Company, client: Client, path: str
) -> None:
    account = company.account(company.alice)
    contact = company.contact(company.alice, account)
    url = "/" + path.format(account=account.pk, contact=contact.pk)
    client = logged_in(client, company.bob)
    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "Hacked", "last_name": "Hacked"}).status_code == 404
    assert not Account.objects.filter(name="Hacked").exists()
    assert not Contact.objects.filter(last_name="Hacked").exists()


def test_creating_an_account_requires_a_name(company: Company, client: Client) -> None:
    client = logged_in(client, company.alice)
    refused = client.post("/accounts/new/", {"name": "", "website": "x.example"})
    assert refused.status_code == 422
    assert refused.context["form"].errors == {"name": ["This field is required."]}
    done = client.post("/accounts/new/", {"name": "Hooli", "owner": str(company.alice.pk)})
    account = Account.objects.get(name="Hooli")
    assert done["Location"] == f"/accounts/{account.pk}/"
    assert account.owner == company.alice


def test_editing_an_account(company: Company, client: Client) -> None:
    account = company.account(company.alice)
    logged_in(client, company.alice).post(
        f"/accounts/{account.pk}/edit/",
        {"name": "Initech Inc.", "industry": "Software", "owner": str(company.alice.pk)},
    )
    account.refresh_from_db()
    assert (account.name, account.industry) == ("Initech Inc.", "Software")


def test_a_contact_with_a_bad_email_is_refused_at_the_field(
    company: Company, client: Client
) -> None:
    account = company.account(company.alice)
    response = logged_in(client, company.alice).post(
        "/contacts/new/", {"last_name": "Doe", "email": "nope", "account": str(account.pk)}
    )
    assert response.status_code == 422
    assert response.context["form"].errors == {"email": ["Enter a valid email address."]}


def test_creating_a_contact_at_an_account(company: Company, client: Client) -> None:
    account = company.account(company.alice)
    client = logged_in(client, company.alice)
    form = client.get(f"/contacts/new/?account={account.pk}").context["form"]
    assert form.initial["account"] == account.pk
    response = client.post(
        "/contacts/new/",
        {
            "first_name": "Jo",
            "last_name": "Doe",
            "email": "JO@x.example",
            "account": str(account.pk),
            "owner": str(company.alice.pk),
        },
    )
    contact = Contact.objects.get(last_name="Doe")
    assert response["Location"] == f"/contacts/{contact.pk}/"
    assert contact.account == account and contact.email == "jo@x.example"


def test_the_contact_page_shows_deals_and_activity(company: Company, client: Client) -> None:
    opportunity = company.opportunity(company.alice, name="Renewal 2027")
    contact = company.contact(company.alice, opportunity.account)
    from opportune.opportunities.models import ContactRole

    ContactRole.objects.create(opportunity=opportunity, contact=contact, role="decision_maker")
    page = logged_in(client, company.alice).get(f"/contacts/{contact.pk}/").content.decode()
    assert "Renewal 2027" in page and "Decision maker" in page and "Log a call" in page


@pytest.mark.parametrize("rows", [5, 50])
def test_lists_cost_the_same_queries_for_5_or_50(
    company: Company,
    client: Client,
    rows: int,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    for number in range(rows):
        account = company.account(company.alice if number % 2 else company.bob, name=f"A{number}")
        company.contact(company.alice, account, last_name=f"C{number}")
    client = logged_in(client, company.maria)
    client.get("/accounts/")
    # 12: one reads the custom fields the "Columns" chooser offers (none per row); the
    # capped total is one COUNT; the saved views menu reads the teams and the views; a bare
    # URL looks up the user's default view; the bulk bar's owner picker reads the owners.
    with django_assert_max_num_queries(12):
        accounts = client.get("/accounts/")
    with django_assert_max_num_queries(12):
        contacts = client.get("/contacts/")
    assert len(accounts.context["page"].rows) == rows
    assert len(contacts.context["page"].rows) == rows


@pytest.mark.parametrize("path", ["/accounts/", "/contacts/"])
def test_list_searches_answer_the_results_fragment(
    company: Company, client: Client, path: str
) -> None:
    company.contact(
        company.alice, company.account(company.alice, name="Fragmentco"), last_name="Frag"
    )
    response = logged_in(client, company.alice).get(path, {"q": "frag"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results">') and "<html" not in body
    assert len(response.context["page"].rows) == 1
