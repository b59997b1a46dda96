"""Layout at a common laptop width (1440 px): the Opportunities list shows its owner column
without sideways scrolling, and the sidebar's dark column runs the page's full length."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import Company
from opportune.identity.models import User

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
_shots = os.environ.get("OPPORTUNE_SCREENSHOTS")
SHOTS = Path(_shots) if _shots else None


def test_the_opportunity_list_shows_the_owner_column_at_1440_px(
    company: Company, open_browser: Callable[[User], Page]
) -> None:
    account = company.account(company.alice, "Consolidated Intercontinental Holdings Group")
    for n in range(30):
        company.opportunity(
            company.alice,
            account=account,
            name=f"Consolidated Intercontinental Holdings - fleet telematics renewal {n}",
        )
    page = open_browser(company.alice)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/opportunities/")
    wrap = page.locator(".table-wrap").first
    overflow = wrap.evaluate("el => el.scrollWidth - el.clientWidth")
    assert overflow <= 0, f"the table is {overflow} px wider than its box"
    owner = page.locator("tbody tr td .owner").first
    box, cell = wrap.bounding_box(), owner.bounding_box()
    assert box and cell and cell["x"] + cell["width"] <= box["x"] + box["width"]
    # A long page: the sidebar's background reaches its bottom.
    page.set_viewport_size({"width": 1440, "height": 600})
    bottom = page.evaluate("document.documentElement.scrollHeight")
    page.mouse.wheel(0, bottom)
    colour = page.evaluate(
        """() => { const el = document.elementFromPoint(20, window.innerHeight - 5);
                   return getComputedStyle(el.closest('.sidebar') || el).backgroundColor; }"""
    )
    assert colour == "rgb(20, 21, 26)"
    if SHOTS:
        page.screenshot(path=str(SHOTS / "opportunities-1440.png"), full_page=True)
