"""The lead list in a real browser: filter it, save the view, reload, pick it and see the
same rows and total; change the owner of three leads at once; edit a status in its cell."""

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
from opportune.savedviews.models import SavedView

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]
_shots = os.environ.get("OPPORTUNE_SCREENSHOTS")
SHOTS = Path(_shots) if _shots else None


def _rows(page: Page) -> list[str]:
    return sorted(page.locator("#results tbody tr a.primary").all_inner_texts())


def _shoot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_saved_view_bulk_owner_change_and_an_inline_status(
    company: Company, open_browser: Callable[[User], Page]
) -> None:
    hot = [company.lead(company.alice, last_name=f"Hot{i}", rating="hot") for i in range(3)]
    for i in range(4):
        company.lead(company.bob, last_name=f"Cold{i}", rating="cold")
    page = open_browser(company.maria)
    page.goto("/leads/")
    page.locator("#list-total").get_by_text("7").wait_for()

    # Filter: hot leads only; the total follows.
    with page.expect_response(re.compile(r"/leads/\?.*rating=hot")):
        page.get_by_label("Rating").select_option("hot")
    page.locator("#list-total").get_by_text("3").wait_for()
    filtered = _rows(page)
    assert filtered == ["Ada Hot0", "Ada Hot1", "Ada Hot2"] or len(filtered) == 3

    # Save it as a view.
    page.get_by_text("Views", exact=True).click()
    page.get_by_label("Save current as").fill("Hot East")
    page.get_by_role("button", name="Save view").click()
    page.wait_for_url(re.compile(r"view=\d+"))
    view = SavedView.objects.get(name="Hot East")
    assert view.owner == company.maria and "rating=hot" in view.query
    _shoot(page, "saved-view-desktop")

    # Reload the plain list, then pick the view from the menu: same rows, same total.
    page.goto("/leads/?view=")
    page.locator("#list-total").get_by_text("7").wait_for()
    page.locator(".views-menu > summary").click()
    page.get_by_role("link", name="Hot East").click()
    page.wait_for_url(re.compile(rf"view={view.pk}"))
    page.locator("#list-total").get_by_text("3").wait_for()
    assert _rows(page) == filtered
    page.locator(".views-menu > summary").click()
    _shoot(page, "views-menu-desktop")
    page.locator(".views-menu > summary").click()

    # Bulk: select all three, give them to Bob.
    page.get_by_label("Select all leads on this page").check()
    page.locator("#selected-count").get_by_text("3 selected").wait_for()
    page.locator("#id_bulk-owner").select_option(str(company.bob.pk))
    page.get_by_role("button", name="Apply").click()
    page.get_by_text("Updated 3 leads.").wait_for()
    assert set(
        Lead.objects.filter(pk__in=[lead.pk for lead in hot]).values_list("owner", flat=True)
    ) == {company.bob.pk}

    # Inline: change one lead's status in its cell; the row re-renders with it.
    lead = hot[0]
    cell = page.locator(f"#cell-leads-{lead.pk}-status")
    cell.get_by_role("button").click()
    select = cell.get_by_role("combobox")
    select.wait_for()
    assert select.evaluate("el => el === document.activeElement")
    select.select_option("working")
    with page.expect_response(re.compile(rf"/lists/leads/{lead.pk}/cell/status/")):
        cell.get_by_role("button", name="Save").click()
    page.locator(f"#cell-leads-{lead.pk}-status").get_by_text("Working").wait_for()
    assert Lead.objects.get(pk=lead.pk).status.key == "working"
    _shoot(page, "bulk-and-inline-desktop")

    # A refusal stays in the cell: "Unqualified" needs a reason.
    cell = page.locator(f"#cell-leads-{hot[1].pk}-status")
    cell.get_by_role("button").click()
    cell.get_by_role("combobox").select_option("unqualified")
    cell.get_by_role("button", name="Save").click()
    cell.get_by_role("alert").wait_for()
    assert cell.get_by_role("combobox").evaluate("el => el === document.activeElement")
    _shoot(page, "inline-error-desktop")

    # The phone: 390 px wide, nothing wider than the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(view.url())
    page.locator("#list-total").wait_for()
    _shoot(page, "saved-view-phone")
    page.locator(".views-menu > summary").click()
    _shoot(page, "views-menu-phone")
