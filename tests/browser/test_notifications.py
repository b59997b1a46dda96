"""A notification arriving, in a real browser: Alice hands her lead to Bob, Bob's bell shows
one unread, his inbox lists it and opening it reads it; then Bob edits a field of the lead
in place, once wrongly (the error at the field, which keeps the focus) and once rightly."""

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

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]
_shots = os.environ.get("OPPORTUNE_SCREENSHOTS")
SHOTS = Path(_shots) if _shots else None
PHONE = {"width": 390, "height": 844}


def _shoot(page: Page, name: str) -> None:
    """The page at desktop width, then at a phone's (390 px), for a human to look at."""
    if not SHOTS:
        return
    page.screenshot(path=str(SHOTS / f"{name}-desktop.png"))
    size = page.viewport_size
    page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    page.screenshot(path=str(SHOTS / f"{name}-390.png"), full_page=True)
    assert size is not None
    page.set_viewport_size(size)


def test_alice_assigns_a_lead_bob_is_told_and_edits_it_in_place(
    company: Company, open_browser: Callable[[User], Page]
) -> None:
    lead = company.lead(company.alice, last_name="Garbo", company="Globex Corporation")
    alice = open_browser(company.alice)
    alice.goto(f"/leads/{lead.pk}/")
    alice.get_by_role("link", name="Edit", exact=True).click()
    alice.get_by_label("Owner").select_option(label="Bob")
    alice.get_by_role("button", name="Save", exact=True).click()
    alice.wait_for_url(re.compile(r"/leads/$"))  # no longer hers to see

    bob = open_browser(company.bob)
    bell = bob.get_by_role("link", name="Notifications, 1 unread")
    bell.wait_for()
    assert bell.inner_text().strip() == "1"
    _shoot(bob, "bell")
    bell.click()
    bob.wait_for_url("**/notifications/")
    item = bob.get_by_role("link", name="Alice assigned you the lead")
    assert item.count() == 1
    _shoot(bob, "inbox")
    item.click()
    bob.wait_for_url(f"**/leads/{lead.pk}/")
    bob.get_by_role("link", name="Notifications, 0 unread").wait_for()

    # Inline: a required field emptied is refused at the field, which keeps the focus.
    bob.get_by_role("button", name="Edit Company").click()
    company_input = bob.locator("#id_inline-company")
    company_input.wait_for()
    assert company_input.evaluate("el => el === document.activeElement")
    company_input.fill("")
    with bob.expect_response(re.compile(r"/field/\?field=company")) as answer:
        company_input.press("Enter")
    assert answer.value.status == 422
    bob.get_by_role("alert").filter(has_text="required").wait_for()
    assert company_input.evaluate("el => el === document.activeElement")
    _shoot(bob, "inline-error")
    bob.get_by_role("button", name="Cancel").click()
    bob.locator("#inline-lead-company").get_by_text("Globex Corporation").wait_for()

    # A valid title is saved and shown, and the focus returns to its edit button.
    bob.get_by_role("button", name="Edit Title").click()
    bob.locator("#id_inline-title").fill("Head of Operations")
    with bob.expect_response(re.compile(r"/field/\?field=title")) as saved:
        bob.locator("#inline-lead-title").get_by_role("button", name="Save").click()
    assert saved.value.status == 200
    bob.locator("#inline-lead-title").get_by_text("Head of Operations").wait_for()
    edit_title = bob.get_by_role("button", name="Edit Title")
    edit_title.wait_for()
    assert edit_title.evaluate("el => el === document.activeElement")
    assert Lead.objects.get(pk=lead.pk).title == "Head of Operations"
