"""The forecast grid is adjusted where it stands, by keyboard only, in a browser: Enter on a
figure opens its editor with the focus in it, Enter saves, the roll-up above is recomputed,
the focus returns to the cell; Escape cancels."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from opportune.forecasting.models import ForecastAdjustment

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]
_shots = os.environ.get("OPPORTUNE_SCREENSHOTS")
SHOTS = Path(_shots) if _shots else None


def test_a_manager_adjusts_a_rep_by_keyboard_and_the_team_follows(company, open_browser, settings):  # type: ignore[no-untyped-def]
    settings.OPPORTUNE_FISCAL_YEAR_START_MONTH = 1
    for owner, amount in ((company.alice, "2000"), (company.bob, "3000")):
        company.opportunity(owner, stage_key="negotiation", amount=Decimal(amount),
                            close_date=dt.date(2026, 11, 15))  # fmt: skip
    page = open_browser(company.maria)
    page.goto("/forecast/?period=2026-Q4")
    east = page.locator(f"#row-team-{company.east.pk}")
    assert "5,000" in east.inner_text()
    alice_commit = page.get_by_role("link", name="Adjust Alice's commit: 2,000")
    alice_commit.focus()
    page.keyboard.press("Enter")
    amount = page.get_by_label("Adjusted commit of Alice")
    amount.wait_for()
    expect(amount).to_be_focused()
    # Cancel: the figures come back (htmx), the figure focused. Waiting for the swap's
    # response, not a timer, keeps a loaded machine from failing the test.
    with page.expect_response(lambda r: "/forecast/" in r.url and r.request.method == "GET"):
        page.keyboard.press("Escape")
    expect(page.get_by_role("link", name="Adjust Alice's commit: 2,000")).to_be_focused()
    page.keyboard.press("Enter")
    expect(amount).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("500")
    page.keyboard.press("Tab")
    page.keyboard.type("Legal review will slip")
    with page.expect_response(lambda response: "/forecast/adjustments/" in response.url):
        page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Adjust Alice's commit: 500")).to_be_focused()
    assert "3,500" in east.inner_text()  # 500 replaces Alice's 2,000 in East
    assert "raw 5,000" in east.inner_text()
    assert ForecastAdjustment.objects.get().previous_amount == Decimal("2000")
    assert (
        "Legal review will slip"
        in page.locator("section[aria-labelledby=history-title]").inner_text()
    )
    if SHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "forecast-grid.png"), full_page=True)
