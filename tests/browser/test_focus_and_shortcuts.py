"""Keyboard users: after a form error focus lands on the first field to correct, its error
tied to it by aria-describedby, on a whole page and in an htmx fragment; "?" opens the
shortcuts page and "g" then a letter goes to a page."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from conftest import Company
from opportune.identity.models import User
from tests.browser.axe import assert_no_serious_violations

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
_shots = os.environ.get("OPPORTUNE_SCREENSHOTS")
SHOTS = Path(_shots) if _shots else None


def _focused_field_and_its_error(page: Page) -> tuple[str, str]:
    """The focused element's name and the text of what its aria-describedby names."""
    result = page.evaluate(
        """() => {
          const el = document.activeElement;
          const ids = (el.getAttribute("aria-describedby") || "").split(/\\s+/).filter(Boolean);
          return [el.name || el.tagName,
                  ids.map((id) => document.getElementById(id)?.textContent || "").join(" ")];
        }"""
    )
    return str(result[0]), str(result[1])


def test_a_bad_email_on_a_full_page_form_takes_focus_to_the_email_field(
    company: Company, open_browser: Callable[[User], Page]
) -> None:
    page = open_browser(company.alice)
    page.goto("/leads/new/")
    page.get_by_label("Last name").fill("Garbo")
    page.get_by_label("Company").fill("Globex")
    page.get_by_label("Email", exact=True).fill("greta@globex")
    page.get_by_role("button", name="Create lead").click()
    page.locator(".errorlist").first.wait_for()
    name, described = _focused_field_and_its_error(page)
    assert name == "email"
    assert "email" in described.lower()
    assert page.get_by_label("Email", exact=True).get_attribute("aria-invalid") == "true"
    assert_no_serious_violations(page)
    if SHOTS:
        page.screenshot(path=str(SHOTS / "lead-form-error-focus.png"))


def test_a_bad_email_in_an_htmx_edit_takes_focus_to_the_email_field(
    company: Company, open_browser: Callable[[User], Page]
) -> None:
    lead = company.lead(company.alice)
    page = open_browser(company.alice)
    page.goto(f"/leads/{lead.pk}/")
    page.get_by_role("link", name="Edit").first.click()
    email = page.locator("#lead-details").get_by_label("Email", exact=True)
    email.fill("lena@globex")
    with page.expect_response(lambda r: r.status == 422):
        page.locator("#lead-details").get_by_role("button", name="Save").click()
    page.locator("#lead-details .errorlist").first.wait_for()
    expect(page.locator(":focus")).to_have_attribute("name", "email")
    name, described = _focused_field_and_its_error(page)
    assert name == "email" and "email" in described.lower()


def test_question_mark_opens_the_shortcuts_page_and_g_l_goes_to_leads(
    company: Company, open_browser: Callable[[User], Page]
) -> None:
    page = open_browser(company.alice)
    page.keyboard.press("?")
    page.wait_for_url(re.compile(r"/help/shortcuts/$"))
    assert page.get_by_role("heading", name="Keyboard shortcuts").is_visible()
    if SHOTS:
        page.screenshot(path=str(SHOTS / "shortcuts.png"), full_page=True)
    page.keyboard.press("g")
    page.keyboard.press("l")
    page.wait_for_url(re.compile(r"/leads/$"))
    # Typing in a field is typing, not a shortcut.
    page.locator("main input[type=search], main input[type=text]").first.press("?")
    assert page.url.endswith("/leads/")
