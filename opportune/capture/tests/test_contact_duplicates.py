"""A new lead for someone already a contact is a duplicate too: as Salesforce's duplicate
rules match leads against contacts, the lead reports the visible contacts with its email or
phone (API create, the duplicates endpoint, the duplicates page)."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from conftest import ApiClient, Company
from opportune.capture.duplicates import find_matching_contacts
from opportune.identity.models import User


def test_a_lead_matches_a_visible_contact_by_email(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    account = company.account(company.alice, "Globex")
    cora = company.contact(company.alice, account, email="Cora@Globex.example")
    response = api(company.alice).post(
        "/api/v1/leads",
        {"last_name": "Contact", "company": "Globex", "email": "cora@globex.example"},
    )
    assert response.status_code == 201
    contacts = [d for d in response.json()["duplicates"] if d["kind"] == "contact"]
    assert [(d["id"], d["reasons"], d["account_id"]) for d in contacts] == [
        (cora.pk, ["email"], account.pk)
    ]
    lead_id = response.json()["id"]
    listed = api(company.alice).get(f"/api/v1/leads/{lead_id}/duplicates").json()
    assert [(d["kind"], d["id"]) for d in listed] == [("contact", cora.pk)]


def test_a_lead_matches_a_contact_by_phone_written_differently(company: Company) -> None:
    cora = company.contact(company.alice, None, phone="+1 (415) 555-0123")
    lead = company.lead(company.alice, email="", phone="415.555.0123")
    assert [(m.contact, m.reasons) for m in find_matching_contacts(company.alice, lead)] == [
        (cora, ["phone"])
    ]


def test_a_lead_does_not_report_a_contact_out_of_view(company: Company) -> None:
    company.contact(company.charlie, None, email="lena@globex.example")
    lead = company.lead(company.alice)
    assert find_matching_contacts(company.alice, lead) == []


def test_the_duplicates_page_lists_the_matching_contact(company: Company) -> None:
    company.contact(company.alice, None, first_name="Corazon", email="lena@globex.example")
    lead = company.lead(company.alice)
    client = Client()
    client.force_login(company.alice)
    page = client.get(f"/capture/leads/{lead.pk}/duplicates/")
    assert page.status_code == 200
    assert "Corazon" in page.content.decode()
