"""Deals without a lead in the UI (issue 14): "New opportunity" with field errors, the
account lookup among visible accounts, contact roles and pipeline moves through forms."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from conftest import Company
from opportune.fiscal import fiscal_quarter_end
from opportune.opportunities.models import ContactRole, Opportunity, Pipeline, Stage
from opportune.web.testing import (
    HTMX,
    logged_in,
    plain_static_files,  # noqa: F401
)

pytestmark = pytest.mark.django_db


def _renewals() -> Pipeline:
    renewals = Pipeline.objects.create(key="renewals", name="Renewals")
    for order, (key, probability, closed, won) in enumerate(
        [("renewal_due", 30, False, False), ("renewed", 100, True, True)]
    ):
        Stage.objects.create(
            pipeline=renewals,
            key=key,
            label=key.title(),
            order=order,
            default_probability=probability,
            forecast_category="closed" if closed else "pipeline",
            is_closed=closed,
            is_won=won,
        )
    return renewals


def test_new_opportunity_from_an_account_prefills_it_and_the_fiscal_close_date(
    company: Company, client: Client
) -> None:
    account = company.account(company.alice, "Initech")
    client = logged_in(client, company.alice)
    response = client.get(f"/opportunities/new/?account={account.pk}")
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["account"] == account.pk
    assert form.initial["close_date"] == fiscal_quarter_end(timezone.localdate())
    assert f'value="{account.pk}" checked' in response.content.decode()


def test_a_new_opportunity_opens_through_the_service_with_its_primary_role(
    company: Company, client: Client
) -> None:
    account = company.account(company.alice, "Initech")
    ann = company.contact(company.alice, account, first_name="Ann")
    client = logged_in(client, company.alice)
    response = client.post(
        "/opportunities/new/",
        {
            "name": "Initech upsell",
            "account": account.pk,
            "pipeline": "sales",
            "stage": "qualification",
            "amount": "5000",
            "close_date": "2026-12-31",
            "primary_contact": ann.pk,
            "owner": company.alice.pk,
            "type": "existing_upgrade",
        },
    )
    deal = Opportunity.objects.get(name="Initech upsell")
    assert response.status_code == 302 and response["Location"] == f"/opportunities/{deal.pk}/"
    assert (deal.stage.key, deal.owner, deal.close_date) == (
        "qualification",
        company.alice,
        dt.date(2026, 12, 31),
    )
    assert ContactRole.objects.get(opportunity=deal).contact == ann


def test_missing_or_invisible_account_and_no_name_are_field_errors_not_a_500(
    company: Company, client: Client
) -> None:
    hidden = company.account(company.charlie, "West Co")
    client = logged_in(client, company.alice)
    response = client.post(
        "/opportunities/new/", {"name": "", "account": hidden.pk, "close_date": "2026-12-31"}
    )
    assert response.status_code == 422
    assert "name" in response.context["form"].errors
    response = client.post(
        "/opportunities/new/", {"name": "Deal", "account": hidden.pk, "close_date": "2026-12-31"}
    )
    assert response.status_code == 422
    assert "account" in response.context["form"].errors
    assert not Opportunity.objects.exists()


def test_the_account_lookup_finds_only_visible_accounts(company: Company, client: Client) -> None:
    company.account(company.alice, "Umbrella East")
    company.account(company.charlie, "Umbrella West")
    client = logged_in(client, company.alice)
    page = client.get("/opportunities/lookup/accounts/?q=umbrella", **HTMX).content.decode()
    assert "Umbrella East" in page and "Umbrella West" not in page


def test_picking_another_pipeline_offers_its_stages(company: Company, client: Client) -> None:
    _renewals()
    client = logged_in(client, company.alice)
    response = client.get("/opportunities/new/?pipeline=renewals", **HTMX)
    assert [k for k, _ in response.context["form"].fields["stage"].choices] == ["renewal_due"]


def test_roles_are_added_made_primary_and_removed_from_the_page(
    company: Company, client: Client
) -> None:
    deal = company.opportunity(company.alice)
    ann = company.contact(company.alice, deal.account, first_name="Ann")
    ben = company.contact(company.alice, deal.account, first_name="Ben")
    client = logged_in(client, company.alice)
    url = f"/opportunities/{deal.pk}/roles/"
    client.post(url, {"action": "add", "contact": ann.pk, "role": "evaluator"})
    client.post(url, {"action": "add", "contact": ben.pk, "role": "decision_maker"})
    ben_role = ContactRole.objects.get(opportunity=deal, contact=ben)
    client.post(
        url,
        {"action": "save", "role_id": ben_role.pk, "role": "economic_buyer", "is_primary": "on"},
    )
    deal.refresh_from_db()
    assert deal.primary_contact == ben
    assert ContactRole.objects.get(pk=ben_role.pk).role == "economic_buyer"
    ann_role = ContactRole.objects.get(opportunity=deal, contact=ann)
    client.post(url, {"action": "remove", "role_id": ann_role.pk})
    assert list(ContactRole.objects.filter(opportunity=deal)) == [ben_role]
    refused = client.post(url, {"action": "remove", "role_id": 0}, follow=True)
    assert refused.status_code == 200


def test_a_read_only_user_gets_the_403_page_for_roles(company: Company, client: Client) -> None:
    deal = company.opportunity(company.alice)
    ann = company.contact(company.alice, deal.account)
    response = logged_in(client, company.rita).post(
        f"/opportunities/{deal.pk}/roles/", {"action": "add", "contact": ann.pk}
    )
    assert response.status_code == 403
    assert not ContactRole.objects.exists()


def test_the_move_dialog_proposes_the_mapped_stage_and_moves(
    company: Company, client: Client
) -> None:
    _renewals()
    deal = company.opportunity(company.alice, stage_key="needs_analysis")
    client = logged_in(client, company.alice)
    url = f"/opportunities/{deal.pk}/pipeline/"
    response = client.get(url + "?pipeline=renewals", **HTMX)
    assert response.context["proposal"].key == "renewal_due"
    client.post(url, {"pipeline": "renewals", "stage": "renewal_due"})
    deal.refresh_from_db()
    assert (deal.pipeline.key, deal.stage.key) == ("renewals", "renewal_due")


def test_the_lookups_read_a_fixed_number_of_queries_whatever_they_find(
    company: Company, client: Client
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = logged_in(client, company.alice)
    counts = []
    for rows in (1, 10):
        for i in range(rows):
            account = company.account(company.alice, f"Lookup {rows} {i}")
            company.contact(company.alice, account, last_name=f"Lookup{rows}")
        with CaptureQueriesContext(connection) as accounts:
            client.get(f"/opportunities/lookup/accounts/?q=lookup {rows}", **HTMX)
        with CaptureQueriesContext(connection) as contacts:
            client.get(f"/opportunities/lookup/contacts/?q=lookup{rows}", **HTMX)
        counts.append((len(accounts), len(contacts)))
    assert counts[0] == counts[1]
