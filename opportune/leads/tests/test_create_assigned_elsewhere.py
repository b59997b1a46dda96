"""A rep who creates a lead that an assignment rule hands to someone else is told where it
went, instead of landing on a "Not found" page for the lead they just made."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.messages import get_messages
from django.test import Client

from conftest import ApiClient, Company
from opportune.capture.models import AssignmentRule
from opportune.identity.models import User
from opportune.leads.models import Lead

WEST_LEAD = {"last_name": "Western", "company": "Hooli", "email": "w@hooli.example"}


def test_a_lead_assigned_out_of_view_returns_to_the_list_naming_its_owner(
    company: Company,
) -> None:
    AssignmentRule.objects.create(name="West", assign_to=company.charlie)
    client = Client()
    client.force_login(company.alice)
    response = client.post("/leads/new/", WEST_LEAD)
    lead = Lead.objects.get(last_name="Western")
    assert lead.owner == company.charlie
    assert response.status_code == 302
    assert response["Location"] == "/leads/"
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("Charlie" in m and "Western" in m for m in shown), shown


def test_a_lead_assigned_to_a_teammate_in_view_opens_its_page(company: Company) -> None:
    AssignmentRule.objects.create(name="East", assign_to=company.bob)
    client = Client()
    client.force_login(company.maria)
    response = client.post("/leads/new/", WEST_LEAD)
    lead = Lead.objects.get(last_name="Western")
    assert response["Location"] == f"/leads/{lead.pk}/"


def test_the_api_says_who_owns_the_created_lead_and_whether_you_see_it(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    AssignmentRule.objects.create(name="West", assign_to=company.charlie)
    body = api(company.alice).post("/api/v1/leads", WEST_LEAD).json()
    assert body["owner_id"] == company.charlie.pk
    assert body["owner"] == str(company.charlie)
    assert body["visible_to_you"] is False
