"""The convert dialog: duplicates shown, defaults prefilled, refusals explained."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from conftest import Company
from opportune.fiscal import fiscal_quarter_end
from opportune.leads.models import Lead
from opportune.opportunities.models import Opportunity
from opportune.web.testing import (
    HTMX,
    logged_in,
    plain_static_files,  # noqa: F401
)

pytestmark = pytest.mark.django_db


def test_the_dialog_shows_duplicate_accounts_and_contacts(company: Company, client: Client) -> None:
    account = company.account(company.alice, name="Globex Corp.")
    company.contact(company.alice, account, email="lena@globex.example")
    company.account(company.charlie, name="Globex")  # not Alice's to see
    lead = company.qualified_lead(company.alice)
    response = logged_in(client, company.alice).get(f"/leads/{lead.pk}/convert/", **HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert [a.pk for a in response.context["candidates"].accounts] == [account.pk]
    assert "Use existing <strong>Globex Corp.</strong>" in body
    assert "same email" in body


def test_the_dialog_prefills_the_opportunity_per_the_rules(
    company: Company, client: Client
) -> None:
    lead = company.qualified_lead(company.alice, company="Initrode", budget_amount=Decimal("42000"))
    form = logged_in(client, company.alice).get(f"/leads/{lead.pk}/convert/").context["form"]
    assert form.initial["opportunity_name"] == "Initrode"
    assert form.initial["amount"] == Decimal("42000")
    assert form.initial["close_date"] == fiscal_quarter_end(timezone.localdate())
    assert form.initial["stage"] == "prospecting"
    assert form.initial["create_opportunity"] is True


def test_an_unconfirmed_budget_is_not_an_amount(company: Company, client: Client) -> None:
    lead = company.lead(company.alice, budget_amount=Decimal("42000"))
    form = logged_in(client, company.alice).get(f"/leads/{lead.pk}/convert/").context["form"]
    assert form.initial["amount"] is None


def test_converting_into_an_existing_account_lands_on_the_opportunity(
    company: Company, client: Client
) -> None:
    account = company.account(company.alice, name="Globex Corporation")
    lead = company.qualified_lead(company.alice)
    response = logged_in(client, company.alice).post(
        f"/leads/{lead.pk}/convert/",
        {
            "account": str(account.pk),
            "contact": "",
            "create_opportunity": "on",
            "opportunity_name": "Globex expansion",
            "amount": "30000",
            "close_date": "2027-03-31",
            "stage": "needs_analysis",
        },
        **HTMX,
    )
    lead.refresh_from_db()
    opportunity = lead.converted_opportunity
    assert opportunity is not None
    assert response["HX-Redirect"] == f"/opportunities/{opportunity.pk}/"
    assert opportunity.account_id == account.pk
    assert (opportunity.name, opportunity.amount, opportunity.stage.key) == (
        "Globex expansion",
        Decimal("30000"),
        "needs_analysis",
    )
    assert lead.is_converted and lead.converted_contact is not None
    assert lead.converted_contact.account_id == account.pk


def test_converting_without_an_opportunity_lands_on_the_account(
    company: Company, client: Client
) -> None:
    lead = company.qualified_lead(company.alice)
    response = logged_in(client, company.alice).post(
        f"/leads/{lead.pk}/convert/",
        {"account": "", "contact": "", "opportunity_name": "ignored when not creating"},
    )
    lead.refresh_from_db()
    assert lead.converted_opportunity is None
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/{lead.converted_account_id}/"
    assert not Opportunity.objects.exists()


def test_a_refused_conversion_lists_the_missing_criteria(company: Company, client: Client) -> None:
    lead = company.lead(company.alice, need_identified=True)
    client = logged_in(client, company.alice)
    dialog = client.get(f"/leads/{lead.pk}/convert/", **HTMX).content.decode()
    assert (
        "does not meet the qualification policy yet: Budget confirmed, Decision maker confirmed"
        in dialog
    )
    assert "override" not in dialog.lower()  # a rep may not override
    response = client.post(
        f"/leads/{lead.pk}/convert/",
        {"account": "", "contact": "", "create_opportunity": "on"},
        **HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert response.context["refused"] == ["Budget confirmed", "Decision maker confirmed"]
    assert 'id="convert-refused"' in body and "Traceback" not in body
    assert not Lead.objects.get(pk=lead.pk).is_converted


def test_a_manager_may_override_the_policy(company: Company, client: Client) -> None:
    lead = company.lead(company.alice)
    client = logged_in(client, company.maria)
    assert (
        "Convert although the qualification policy is not met"
        in client.get(f"/leads/{lead.pk}/convert/").content.decode()
    )
    client.post(
        f"/leads/{lead.pk}/convert/",
        {"account": "", "contact": "", "create_opportunity": "on", "override_qualification": "on"},
    )
    assert Lead.objects.get(pk=lead.pk).is_converted


def test_a_bad_amount_is_shown_at_its_field(company: Company, client: Client) -> None:
    lead = company.qualified_lead(company.alice)
    response = logged_in(client, company.alice).post(
        f"/leads/{lead.pk}/convert/",
        {"account": "", "contact": "", "create_opportunity": "on", "amount": "-1"},
        **HTMX,
    )
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["amount"]


def test_a_converted_lead_is_not_converted_twice(company: Company, client: Client) -> None:
    lead = company.lead(company.alice, is_converted=True)
    response = logged_in(client, company.alice).post(f"/leads/{lead.pk}/convert/", {}, **HTMX)
    assert response["HX-Redirect"] == f"/leads/{lead.pk}/"


def test_the_converted_lead_page_links_its_records(company: Company, client: Client) -> None:
    lead = company.qualified_lead(company.alice)
    client = logged_in(client, company.alice)
    client.post(
        f"/leads/{lead.pk}/convert/", {"account": "", "contact": "", "create_opportunity": "on"}
    )
    lead.refresh_from_db()
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert f"/opportunities/{lead.converted_opportunity_id}/" in page
    assert f"/accounts/{lead.converted_account_id}/" in page
    assert "The lead is read-only now." in page and "Save qualification" not in page
