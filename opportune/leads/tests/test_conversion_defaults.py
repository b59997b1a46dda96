"""What conversion proposes and applies when left alone (issue 14): a deal named "Company -
need", closing on the lead's expected purchase date when it is ahead, the best flagged
duplicate preselected, any pipeline, any visible account found by lookup."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from conftest import Company
from opportune.fiscal import fiscal_quarter_end
from opportune.leads.conversion import convert_lead, default_close_date_for
from opportune.leads.schemas import ConversionOptions
from opportune.opportunities.models import Pipeline, Stage
from opportune.web.testing import (
    HTMX,
    logged_in,
    plain_static_files,  # noqa: F401
)

pytestmark = pytest.mark.django_db


def test_the_deal_is_named_company_dash_need(company: Company) -> None:
    lead = company.qualified_lead(
        company.alice, company="Globex", need_description="Fleet telematics\nfor 40 trucks"
    )
    deal = convert_lead(company.alice, lead.pk, ConversionOptions()).opportunity
    assert deal is not None and deal.name == "Globex - Fleet telematics"


def test_without_a_need_the_deal_is_named_after_the_company(company: Company) -> None:
    lead = company.qualified_lead(company.alice, company="Globex", need_description="")
    deal = convert_lead(company.alice, lead.pk, ConversionOptions()).opportunity
    assert deal is not None and deal.name == "Globex"


def test_the_close_date_is_the_expected_purchase_date_when_it_is_ahead(company: Company) -> None:
    today = dt.date(2026, 3, 10)
    lead = company.qualified_lead(company.alice, expected_purchase_date=dt.date(2026, 9, 1))
    assert default_close_date_for(lead, today) == dt.date(2026, 9, 1)
    lead.expected_purchase_date = dt.date(2026, 1, 5)  # already past: not opened overdue
    assert default_close_date_for(lead, today) == fiscal_quarter_end(today)
    lead.expected_purchase_date = None
    assert default_close_date_for(lead, today) == fiscal_quarter_end(today)


def test_the_service_applies_the_expected_purchase_date(company: Company) -> None:
    ahead = timezone.localdate() + dt.timedelta(days=45)
    lead = company.qualified_lead(company.alice, expected_purchase_date=ahead)
    deal = convert_lead(company.alice, lead.pk, ConversionOptions()).opportunity
    assert deal is not None and deal.close_date == ahead


def test_a_chosen_pipeline_gets_the_deal_in_its_first_open_stage(company: Company) -> None:
    renewals = Pipeline.objects.create(key="renewals", name="Renewals")
    Stage.objects.create(
        pipeline=renewals,
        key="due",
        label="Due",
        order=1,
        default_probability=40,
        forecast_category="pipeline",
    )
    lead = company.qualified_lead(company.alice)
    deal = convert_lead(company.alice, lead.pk, ConversionOptions(pipeline="renewals")).opportunity
    assert deal is not None and (deal.pipeline.key, deal.stage.key) == ("renewals", "due")


def test_the_dialog_preselects_the_best_duplicate_not_a_new_account(
    company: Company, client: Client
) -> None:
    company.account(company.alice, "Globex Holdings", website="https://globex.example")
    exact = company.account(company.alice, "Globex Corporation")
    lead = company.qualified_lead(
        company.alice, website="https://globex.example", need_description="CRM rollout"
    )
    response = logged_in(client, company.alice).get(f"/leads/{lead.pk}/convert/")
    form = response.context["form"]
    assert form.initial["account"] == exact.pk
    assert form.initial["opportunity_name"] == "Globex Corporation - CRM rollout"
    assert f'value="{exact.pk}" checked' in response.content.decode()


def test_the_dialog_converts_into_any_visible_account_found_by_lookup(
    company: Company, client: Client
) -> None:
    other = company.account(company.alice, "Umbrella Group")
    lead = company.qualified_lead(company.alice)
    client = logged_in(client, company.alice)
    found = client.get("/opportunities/lookup/accounts/?q=umbrella", **HTMX).content.decode()
    assert f'value="{other.pk}"' in found
    response = client.post(
        f"/leads/{lead.pk}/convert/",
        {
            "account": other.pk,
            "contact": "",
            "create_opportunity": "on",
            "pipeline": "sales",
            "stage": "prospecting",
            "opportunity_name": "Umbrella - CRM",
            "close_date": "2026-12-31",
        },
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.converted_account_id == other.pk
    assert lead.converted_opportunity is not None
    assert lead.converted_opportunity.name == "Umbrella - CRM"
