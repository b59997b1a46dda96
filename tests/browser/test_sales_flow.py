"""A rep's day in a real browser: a lead from capture to a lost deal, and a closed door."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from conftest import Company
from opportune.identity.models import User
from opportune.leads.models import Lead
from opportune.opportunities.models import Opportunity, Stage

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def _column_total(page: Page, stage: Stage) -> str:
    return page.locator(f"#head-{stage.pk} [data-total]").inner_text()


def test_a_lead_becomes_an_opportunity_moves_through_the_pipeline_and_is_lost(
    company: Company, open_browser: Callable[[User], Page]
) -> None:
    existing = company.account(company.alice, name="Globex Corporation", website="globex.example")
    page = open_browser(company.alice)

    # Capture: a bad email is refused at the field, then fixed.
    page.locator("#main-nav").get_by_role("link", name="Leads").click()
    page.get_by_role("link", name="+ New lead").click()
    page.get_by_label("First name").fill("Greta")
    page.get_by_label("Last name").fill("Garbo")
    page.get_by_label(re.compile(r"^Company")).fill("Globex Corporation")
    page.get_by_label("Email", exact=True).fill("greta-at-globex")
    page.get_by_role("button", name="Create lead").click()
    error = page.locator("#id_email_error")
    assert error.inner_text() == "Enter a valid email address."
    assert page.get_by_label("Email", exact=True).input_value() == "greta-at-globex"
    page.get_by_label("Email", exact=True).fill("greta@globex.example")
    page.get_by_role("button", name="Create lead").click()
    page.wait_for_url(re.compile(r"/leads/\d+/$"))
    lead = Lead.objects.get(last_name="Garbo")
    assert page.locator("#checklist").get_by_text("3 blocking").is_visible()

    # Qualify with the checklist (htmx swaps it in place).
    checklist = page.locator("#checklist")
    checklist.get_by_label("Need identified").check()
    checklist.get_by_label("What they need").fill("One pipeline for three regions")
    checklist.get_by_label("Budget confirmed").check()
    checklist.get_by_label("Budget", exact=True).fill("25000")
    checklist.get_by_label("Decision maker confirmed").check()
    checklist.get_by_label("Decision maker", exact=True).fill("Hank Scorpio")
    checklist.get_by_role("button", name="Save qualification").click()
    page.locator("#checklist").get_by_text("Ready to convert").wait_for()
    assert page.locator("#convert-button").inner_text().strip() == "Convert"

    # Convert through the dialog, into the existing account.
    page.locator("#convert-button").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_text("possible duplicate").wait_for()
    # The flagged duplicate is preselected; the deal is named "Company - need".
    assert dialog.get_by_label(re.compile("Use existing Globex Corporation")).is_checked()
    name = "Globex Corporation - One pipeline for three regions"
    assert dialog.get_by_label("Opportunity name").input_value() == name
    assert dialog.get_by_label("Amount").input_value() == "25000.00"
    dialog.get_by_role("button", name="Convert").click()
    page.wait_for_url(re.compile(r"/opportunities/\d+/$"))
    lead.refresh_from_db()
    opportunity = lead.converted_opportunity
    assert lead.is_converted and opportunity is not None
    assert opportunity.account_id == existing.pk
    assert page.locator("h1").inner_text() == name

    # Drag it across the kanban into negotiation; the column totals follow.
    stages = {s.key: s for s in Stage.objects.filter(pipeline=opportunity.pipeline)}
    page.locator("#main-nav").get_by_role("link", name="Pipeline").click()
    card = page.locator(f"#deal-{opportunity.pk}")
    card.wait_for()
    assert _column_total(page, stages["prospecting"]) == "$25k"
    assert _column_total(page, stages["negotiation"]) == "$0"
    card.drag_to(page.locator(f"#cards-{stages['negotiation'].pk}"))
    page.wait_for_timeout(1500)
    page.locator(f"#cards-{stages['negotiation'].pk} #deal-{opportunity.pk}").wait_for()
    total = f"#head-{stages['negotiation'].pk} [data-total]"
    expect(page.locator(total)).to_have_text("$25k")
    assert _column_total(page, stages["prospecting"]) == "$0"
    assert Opportunity.objects.get(pk=opportunity.pk).stage.key == "negotiation"

    # Drop it on "lost": the server asks why, and the reason is kept.
    page.locator(f"#deal-{opportunity.pk}").drag_to(page.locator(".dropzone.lost"))
    dialog = page.locator("dialog[open]")
    dialog.get_by_text(f"Why was {name} lost?").wait_for()
    dialog.get_by_label("Lost reason").select_option(label="Lost to competitor")
    dialog.get_by_role("button", name="Mark as lost").click()
    page.locator(f"#deal-{opportunity.pk}").wait_for(state="detached")
    assert page.locator("dialog[open]").count() == 0
    assert _column_total(page, stages["negotiation"]) == "$0"
    opportunity.refresh_from_db()
    assert opportunity.is_closed and not opportunity.is_won
    assert opportunity.lost_reason is not None and opportunity.lost_reason.key == "competitor"

    page.goto(f"/opportunities/{opportunity.pk}/")
    assert page.get_by_text("Lost: Lost to competitor").is_visible()
    history = page.locator("#stage-history tbody tr")
    assert history.count() == 3  # prospecting, negotiation, closed lost


def test_a_rep_cannot_open_another_reps_lead(
    company: Company, open_browser: Callable[[User], Page]
) -> None:
    lead = company.lead(company.alice, last_name="Private")
    page = open_browser(company.bob)
    response = page.goto(f"/leads/{lead.pk}/")
    assert response is not None and response.status == 404
    assert page.get_by_role("heading", name="Not found").is_visible()
    assert "Private" not in page.content()


def test_the_move_picker_moves_a_card_without_a_mouse(
    company: Company, open_browser: Callable[[User], Page]
) -> None:
    opportunity = company.opportunity(company.alice, name="Keyboard deal")
    page = open_browser(company.alice)
    page.goto("/pipeline/")
    card = page.locator(f"#deal-{opportunity.pk}")
    card.focus()
    page.keyboard.press("Enter")
    picker = page.locator("#move-picker[open]")
    picker.get_by_role("button", name="Proposal / price quote").focus()
    page.keyboard.press("Enter")
    proposal = Stage.objects.get(pipeline=opportunity.pipeline, key="proposal")
    page.locator(f"#cards-{proposal.pk} #deal-{opportunity.pk}").wait_for()
    assert Opportunity.objects.get(pk=opportunity.pk).stage_id == proposal.pk
