"""Deals without a lead in a real browser (issue 14): a deal opened on an account page,
contacts added to it and one made primary, the deal moved to another pipeline with its
stage mapped, and a lead converted into an existing account found by search.

Set ``SHOTS_DIR`` to keep desktop and 390 px screenshots of each step."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import Company
from opportune.identity.models import User
from opportune.leads.models import Lead
from opportune.opportunities.models import ContactRole, Opportunity, Pipeline, Stage

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def _shot(page: Page, name: str) -> None:
    """Desktop and phone screenshots of the page as it is, when SHOTS_DIR is set."""
    folder = os.environ.get("SHOTS_DIR")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.set_viewport_size({"width": 1440, "height": 1000})
    page.screenshot(path=f"{folder}/{name}-desktop.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=f"{folder}/{name}-390.png", full_page=True)
    if size:
        page.set_viewport_size(size)


def _renewals() -> Pipeline:
    renewals = Pipeline.objects.create(key="renewals", name="Renewals")
    rows = [
        ("renewal_due", "Renewal due", 30, False, False),
        ("quote_sent", "Quote sent", 65, False, False),
        ("renewed", "Renewed", 100, True, True),
        ("churned", "Churned", 0, True, False),
    ]
    for order, (key, label, probability, closed, won) in enumerate(rows):
        Stage.objects.create(
            pipeline=renewals,
            key=key,
            label=label,
            order=order,
            default_probability=probability,
            forecast_category="closed" if won else "omitted" if closed else "pipeline",
            is_closed=closed,
            is_won=won,
        )
    return renewals


def test_a_deal_opened_on_an_account_gets_roles_and_moves_pipeline(
    company: Company, open_browser: Callable[[User], Page]
) -> None:
    _renewals()
    account = company.account(company.alice, "Initech")
    company.contact(company.alice, account, first_name="Ann", last_name="Lee")
    company.contact(company.alice, account, first_name="Ben", last_name="Ode")
    page = open_browser(company.alice)

    # "New opportunity" on the account page opens the form with the account chosen.
    page.goto(f"/accounts/{account.pk}/")
    _shot(page, "account-page")
    page.locator("#new-opportunity").click()
    page.wait_for_url(re.compile(r"/opportunities/new/\?account="))
    assert page.get_by_role("radio", name=re.compile("Initech")).is_checked()
    page.locator("#id_name").fill("Initech upsell")
    page.get_by_label("Stage").select_option("value_proposition")
    page.get_by_label("Amount").fill("12000")
    _shot(page, "new-opportunity")
    page.get_by_role("button", name="Open opportunity").click()
    page.wait_for_url(re.compile(r"/opportunities/\d+/$"))
    deal = Opportunity.objects.get(name="Initech upsell")
    assert (deal.account_id, deal.stage.key) == (account.pk, "value_proposition")

    # Contact roles: the first is primary; another is made primary in its row.
    roles = page.locator("#contact-roles")
    roles.get_by_label("Add a contact").select_option(label="Ann Lee")
    roles.get_by_label("Role", exact=True).select_option(label="Evaluator")
    roles.get_by_role("button", name="Add contact").click()
    page.locator("#contact-roles [data-role]").first.wait_for()
    roles.get_by_label("Add a contact").select_option(label="Ben Ode")
    roles.get_by_label("Role", exact=True).select_option(label="Decision maker")
    roles.get_by_role("button", name="Add contact").click()
    ben = roles.locator("li", has_text="Ben Ode")
    ben.wait_for()
    ben.get_by_label("Primary").check()
    ben.get_by_role("button", name=re.compile("^Save")).click()
    roles.locator("li", has_text="Ben Ode").get_by_text("Primary", exact=True).wait_for()
    deal.refresh_from_db()
    assert deal.primary_contact is not None and deal.primary_contact.first_name == "Ben"
    assert ContactRole.objects.filter(opportunity=deal, is_primary=True).count() == 1
    _shot(page, "contact-roles")

    # Move to the renewals pipeline: the nearest stage (65% for 50%) is proposed.
    page.locator("#move-pipeline").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_label("Move to pipeline").select_option("renewals")
    proposal = dialog.locator("#stage-proposal")
    proposal.wait_for()
    assert "Quote sent" in proposal.inner_text()
    assert dialog.get_by_label("Stage in that pipeline").input_value() == "quote_sent"
    _shot(page, "move-pipeline")
    dialog.get_by_role("button", name="Move").click()
    page.get_by_text("moved to Renewals").wait_for()
    deal.refresh_from_db()
    assert (deal.pipeline.key, deal.stage.key) == ("renewals", "quote_sent")
    assert page.locator("#stage-history tbody tr").count() == 2

    # The pipeline's head offers "New opportunity" for that pipeline.
    page.goto("/pipeline/renewals/")
    assert page.locator("#new-opportunity").get_attribute("href") == (
        "/opportunities/new/?pipeline=renewals"
    )
    _shot(page, "pipeline-head")


def test_a_lead_is_converted_into_an_existing_account_found_by_search(
    company: Company, open_browser: Callable[[User], Page]
) -> None:
    umbrella = company.account(company.alice, "Umbrella Group")
    company.account(company.charlie, "Umbrella West")  # outside Alice's view
    lead = company.qualified_lead(
        company.alice,
        company="Acme Widgets",
        email="wile@acme.example",
        need_description="Rocket skates",
    )
    page = open_browser(company.alice)
    page.goto(f"/leads/{lead.pk}/")
    page.locator("#convert-button").click()
    dialog = page.locator("dialog[open]")
    assert dialog.get_by_label("Opportunity name").input_value() == "Acme Widgets - Rocket skates"
    with page.expect_response(re.compile(r"/opportunities/lookup/accounts/")):
        dialog.get_by_label("Or find another account").fill("umbrella")
    found = dialog.get_by_role("radio", name=re.compile("Umbrella Group"))
    found.check()
    assert dialog.get_by_text("Umbrella West").count() == 0
    _shot(page, "convert-lookup")
    dialog.get_by_role("button", name="Convert").click()
    page.wait_for_url(re.compile(r"/opportunities/\d+/$"))
    converted = Lead.objects.get(pk=lead.pk)
    assert converted.converted_account_id == umbrella.pk
    assert page.locator("h1").inner_text() == "Acme Widgets - Rocket skates"
