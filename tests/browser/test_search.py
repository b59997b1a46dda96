"""Global search in a browser: "/" focuses the top bar's box, typing shows grouped results
(only what the user sees), the arrow keys walk them, Escape closes them, Enter follows one;
on a phone too. Screenshots with OPPORTUNE_SCREENSHOTS=/some/dir."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, Response, expect

from conftest import Company
from opportune.identity.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
_shots = os.environ.get("OPPORTUNE_SCREENSHOTS")
SHOTS = Path(_shots) if _shots else None


def _dropdown(response: Response) -> bool:
    return "/search/" in response.url and "dropdown=1" in response.url


def _shot(page: Page, name: str) -> None:
    if SHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / name))


def test_slash_type_see_grouped_results_and_follow_one_by_keyboard(
    company: Company, open_browser: Callable[[User], Page]
) -> None:
    lead = company.lead(
        company.alice, first_name="Wile", last_name="Coyote", company="Acme Rockets"
    )
    account = company.account(company.alice, name="Acme Holdings", website="acme.example")
    company.contact(company.alice, account, first_name="Road", last_name="Runner")
    company.opportunity(company.alice, account=account, name="Acme Holdings - Anvils")
    company.lead(company.bob, first_name="Secret", last_name="Bobslead", company="Acme Hidden")
    page = open_browser(company.alice)
    page.set_viewport_size({"width": 1440, "height": 900})
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    box = page.get_by_role("combobox", name="Search records")
    dropdown = page.locator("#topbar-search-results")

    page.locator("body").press("/")
    expect(box).to_be_focused()
    with page.expect_response(_dropdown):
        box.press_sequentially("acme")
    expect(dropdown).to_be_visible()
    for group in ("Leads", "Accounts", "Contacts", "Opportunities"):
        expect(dropdown.get_by_role("group", name=re.compile(f"^{group} 1$"))).to_be_visible()
    expect(dropdown.get_by_role("link", name="Wile Coyote")).to_be_visible()
    expect(dropdown).not_to_contain_text("Bobslead")  # Bob's lead: not Alice's to see
    _shot(page, "search-desktop-1440.png")

    box.press("Escape")
    expect(dropdown).to_be_hidden()
    expect(box).to_be_focused()
    box.press("ArrowDown")
    expect(dropdown).to_be_visible()
    first = dropdown.get_by_role("link", name="Wile Coyote")
    expect(first).to_be_focused()
    first.press("Enter")
    page.wait_for_url(f"**/leads/{lead.pk}/")
    assert [m for m in messages if "Content Security Policy" in m] == []


def test_on_a_phone_a_number_written_another_way_finds_the_lead(
    company: Company, open_browser: Callable[[User], Page]
) -> None:
    lead = company.lead(
        company.alice, first_name="Ada", last_name="Lovelace", phone="+1 415 555 0100"
    )
    page = open_browser(company.alice)
    page.set_viewport_size({"width": 390, "height": 844})
    box = page.get_by_role("combobox", name="Search records")
    with page.expect_response(_dropdown):
        box.fill("(415) 555-0100")
    link = page.locator("#topbar-search-results").get_by_role("link", name="Ada Lovelace")
    expect(link).to_be_visible()
    _shot(page, "search-phone-390.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    link.click()
    page.wait_for_url(f"**/leads/{lead.pk}/")


def test_the_results_page_shows_every_group_with_show_all_links(
    company: Company, open_browser: Callable[[User], Page]
) -> None:
    for number in range(25):
        company.lead(company.alice, last_name=f"Lead{number}", company="Initrode")
    page = open_browser(company.alice)
    page.set_viewport_size({"width": 1440, "height": 900})
    box = page.get_by_role("combobox", name="Search records")
    box.fill("initrode")
    box.press("Enter")
    page.wait_for_url("**/search/?q=initrode")
    expect(page.get_by_role("heading", name="Leads 25")).to_be_visible()
    expect(page.get_by_role("link", name="Show all 25 leads")).to_be_visible()
    _shot(page, "search-results-page-1440.png")
