"""Custom fields on the pages: the record forms show and save them (errors at the field),
record pages and the history tab show them by label, and only admins reach the settings."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import Company
from opportune.leads.models import Lead
from opportune.web.testing import logged_in, plain_static_files  # noqa: F401

from .helpers import define

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_static_files")]

NEW_LEAD = {"last_name": "Lead", "company": "Globex"}


def test_the_lead_form_saves_custom_values_and_shows_their_errors_at_the_field(
    company: Company, client: Client
) -> None:
    define(company.ada, "lead", "region", "picklist", required=True)
    define(company.ada, "lead", "seats", "number")
    define(company.ada, "lead", "products", "multi_picklist")
    browser = logged_in(client, company.alice)
    form = browser.get("/leads/new/").content.decode()
    assert 'name="custom.region"' in form and "Custom fields" in form
    refused = browser.post("/leads/new/", {**NEW_LEAD, "custom.seats": "lots"})
    assert refused.status_code == 422
    errors = refused.context["form"].errors
    assert errors["custom.seats"] == ["Enter a number."]
    assert errors["custom.region"] == ["This field is required."]
    created = browser.post(
        "/leads/new/",
        {**NEW_LEAD, "custom.region": "emea", "custom.seats": "12", "custom.products": ["apac"]},
    )
    assert created.status_code == 302
    lead = Lead.objects.get(last_name="Lead")
    assert lead.custom == {"region": "emea", "seats": 12, "products": ["apac"]}
    page = browser.get(f"/leads/{lead.pk}/").content.decode()
    assert "<dt>Region</dt><dd>EMEA</dd>" in page


def test_editing_a_custom_value_shows_in_the_history_tab_by_label(
    company: Company, client: Client
) -> None:
    define(company.ada, "account", "tier", "picklist")
    account = company.account(company.alice, custom={"tier": "emea"})
    browser = logged_in(client, company.alice)
    edit = browser.get(f"/accounts/{account.pk}/edit/").content.decode()
    assert '<option value="emea" selected>EMEA</option>' in edit
    saved = browser.post(
        f"/accounts/{account.pk}/edit/", {"name": account.name, "custom.tier": "apac"}
    )
    assert saved.status_code == 302, saved.content[:300]
    account.refresh_from_db()
    assert account.custom == {"tier": "apac"}
    history = browser.get(f"/accounts/{account.pk}/history/").content.decode()
    assert "Custom: Tier" in history and "APAC" in history


@pytest.mark.parametrize("who", ["maria", "alice", "mark", "rita"])
def test_only_admins_reach_the_custom_field_settings(
    company: Company, client: Client, who: str
) -> None:
    page = logged_in(client, getattr(company, who)).get("/admin/customfields/customfield/add/")
    assert page.status_code in (302, 403)
    admin_page = logged_in(client, company.ada).get("/admin/customfields/customfield/add/")
    assert admin_page.status_code == 200
    settings = logged_in(client, company.ada).get("/settings/").content.decode()
    assert "Custom fields" in settings
