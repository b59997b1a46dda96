"""The analytics pages in a real browser: each report card comes by its own request once the
page is shown, and its chart is drawn when it arrives; the page's form carries its query into
every report."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.utils import timezone

from conftest import Company
from opportune.identity.models import User

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
_shots = os.environ.get("OPPORTUNE_SCREENSHOTS")
SHOTS = Path(_shots) if _shots else None


def deals(company: Company) -> None:
    today = timezone.localdate()
    for owner, stage, amount in [
        (company.alice, "closed_won", "31000"),
        (company.bob, "closed_lost", "9000"),
        (company.alice, "negotiation", "18500"),
        (company.bob, "proposal", "42000"),
    ]:
        company.opportunity(
            owner,
            stage_key=stage,
            amount=Decimal(amount),
            close_date=today,
            **({"lost_reason_key": "price"} if stage == "closed_lost" else {}),
        )


def drawn_charts(page: Page) -> list[str]:
    """The ids of the charts Chart.js has drawn on the page."""
    return list(
        page.evaluate(
            "() => [...document.querySelectorAll('canvas[data-chart]')]"
            ".filter(c => window.Chart.getChart(c)).map(c => c.dataset.chart)"
        )
    )


def test_each_analytics_report_arrives_by_its_own_request_with_its_chart(
    company: Company, open_browser: Callable[[User], Page]
) -> None:
    from playwright.sync_api import expect

    deals(company)
    page = open_browser(company.maria)
    reports: list[str] = []
    page.on(
        "request",
        lambda request: reports.append(request.url) if "fragment=" in request.url else None,
    )
    page.goto("/analytics/")
    for report in ["summary", "funnel", "win_rates", "time_in_stage"]:
        expect(page.locator(f"#report-{report}:not([aria-busy])")).to_be_visible()
    expect(page.locator("[aria-busy=true]")).to_have_count(0)
    assert sorted(url.split("fragment=")[1] for url in reports) == [
        "funnel", "summary", "time_in_stage", "win_rates",
    ]  # fmt: skip
    assert sorted(drawn_charts(page)) == ["chart-funnel", "chart-rates"]
    expect(page.locator("#report-win_rates table")).to_contain_text("Alice")
    if SHOTS:
        page.screenshot(path=str(SHOTS / "analytics-reports.png"), full_page=True)


def test_the_pipeline_page_carries_its_days_into_each_report(
    company: Company, open_browser: Callable[[User], Page]
) -> None:
    from playwright.sync_api import expect

    deals(company)
    page = open_browser(company.maria)
    page.goto("/analytics/pipeline/")
    expect(page.locator("#report-changes")).to_contain_text("4 deals")  # created today
    before = timezone.localdate() - dt.timedelta(days=1)  # the days before they were
    page.get_by_label("Changes from").fill((before - dt.timedelta(days=30)).isoformat())
    page.locator("input[name=to_day]").fill(before.isoformat())
    with page.expect_request(lambda r: "fragment=changes" in r.url) as asked:
        page.get_by_role("button", name="Show").click()
    assert f"to_day={before.isoformat()}" in asked.value.url
    expect(page.locator("#report-changes")).to_contain_text("No change between these days.")
    expect(page.locator("[aria-busy=true]")).to_have_count(0)
    assert sorted(drawn_charts(page)) == ["chart-trend", "chart-waterfall"]
    if SHOTS:
        page.screenshot(path=str(SHOTS / "pipeline-reports.png"), full_page=True)
