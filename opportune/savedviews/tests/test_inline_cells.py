"""Inline editing of list cells: the same service and schema as the record's pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from conftest import Company
from opportune.audit.models import FieldChange
from opportune.leads.models import Lead
from opportune.opportunities.models import Opportunity
from opportune.web.testing import (
    HTMX,
    logged_in,
    plain_static_files,  # noqa: F401
)

pytestmark = pytest.mark.django_db


def test_a_status_cell_saves_through_the_service_and_answers_the_row(
    company: Company, client: Client
) -> None:
    lead = company.lead(company.alice, last_name="Inline")
    client = logged_in(client, company.alice)
    url = f"/lists/leads/{lead.pk}/cell/status/"
    form = client.get(url, **HTMX)
    assert form.status_code == 200 and 'name="value"' in form.content.decode()
    assert form["HX-Retarget"] == f"#cell-leads-{lead.pk}-status"
    row = client.post(url, {"value": "working"}, **HTMX)
    assert row.status_code == 200
    assert row.content.decode().lstrip().startswith(f'<tr id="lead-row-{lead.pk}"')
    assert Lead.objects.get(pk=lead.pk).status.key == "working"
    assert FieldChange.objects.filter(field="status", record_id=lead.pk).exists()


def test_a_refused_value_is_shown_in_the_cell_and_nothing_changes(
    company: Company, client: Client
) -> None:
    lead = company.lead(company.alice)
    client = logged_in(client, company.alice)
    response = client.post(f"/lists/leads/{lead.pk}/cell/status/", {"value": "unqualified"}, **HTMX)
    assert response.status_code == 422
    body = response.content.decode()
    assert "reason" in body and 'aria-invalid="true"' in body and "autofocus" in body
    assert Lead.objects.get(pk=lead.pk).status.key == "new"


def test_deal_cells_validate_with_the_deal_schema(company: Company, client: Client) -> None:
    deal = company.opportunity(company.alice)
    client = logged_in(client, company.alice)
    base = f"/lists/opportunities/{deal.pk}/cell"
    assert client.post(f"{base}/amount/", {"value": "-5"}, **HTMX).status_code == 422
    assert client.post(f"{base}/amount/", {"value": "1234.50"}, **HTMX).status_code == 200
    assert client.post(f"{base}/close_date/", {"value": "2027-02-03"}, **HTMX).status_code == 200
    assert client.post(f"{base}/stage/", {"value": "proposal"}, **HTMX).status_code == 200
    deal = Opportunity.objects.get(pk=deal.pk)
    assert deal.amount == Decimal("1234.50") and deal.close_date == dt.date(2027, 2, 3)
    assert deal.stage.key == "proposal"


def test_a_user_who_may_not_change_the_record_is_told_so_in_the_cell(
    company: Company, client: Client
) -> None:
    lead = company.lead(company.alice)
    client = logged_in(client, company.rita)  # read-only: sees East's leads
    response = client.post(f"/lists/leads/{lead.pk}/cell/owner/", {"value": ""}, **HTMX)
    assert response.status_code == 422 and "Read-only" in response.content.decode()
    assert Lead.objects.get(pk=lead.pk).owner == company.alice


def test_an_unknown_cell_is_a_404(company: Company, client: Client) -> None:
    lead = company.lead(company.alice)
    client = logged_in(client, company.alice)
    assert client.get(f"/lists/leads/{lead.pk}/cell/email/").status_code == 404
    assert client.get(f"/lists/accounts/{lead.pk}/cell/owner/").status_code == 404
