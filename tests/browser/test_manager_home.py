"""My work in a real browser: the sales manager's team blocks (pipeline, deals at risk,
attainment, recent closes), on a desktop and a 390 px phone; and a rep's "show all" tasks."""

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
from opportune.activities.models import Activity
from opportune.forecasting.models import Quota
from opportune.forecasting.periods import current_period
from opportune.identity.models import User

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
_shots = os.environ.get("OPPORTUNE_SCREENSHOTS")
SHOTS = Path(_shots) if _shots else None


def team_world(company: Company) -> None:
    today = timezone.localdate()
    quarter = current_period()
    for owner, name, stage, amount, close in [
        (company.alice, "Globex renewal", "proposal", "42000", today - dt.timedelta(days=6)),
        (company.alice, "Initech expansion", "negotiation", "18500", quarter.end),
        (company.bob, "Umbrella pilot", "prospecting", "7300", quarter.shifted(1).end),
        (company.bob, "Hooli platform", "closed_won", "26000", today),
        (company.alice, "Acme upgrade", "closed_won", "31000", today),
        (company.bob, "Stark services", "closed_lost", "9000", today),
    ]:
        company.opportunity(
            owner,
            name=name,
            stage_key=stage,
            amount=Decimal(amount),
            close_date=close,
            **({"lost_reason_key": "price"} if stage == "closed_lost" else {}),
        )
    for user, amount in ((company.alice, "60000"), (company.bob, "40000")):
        Quota.objects.create(
            user=user,
            period=quarter.key,
            period_start=quarter.start,
            period_end=quarter.end,
            amount=Decimal(amount),
        )


def test_a_manager_sees_her_team_on_my_work(
    company: Company, open_browser: Callable[[User], Page]
) -> None:
    team_world(company)
    page = open_browser(company.maria)
    page.goto("/my-work/")
    risks = page.locator("section[aria-labelledby=risk-title]")
    assert "Globex renewal" in risks.inner_text()
    assert "Close date passed" in risks.inner_text()
    attainment = page.locator("section[aria-labelledby=attainment-title]").inner_text()
    assert "Alice" in attainment and "52%" in attainment  # 31,000 of 60,000
    closes = page.locator("section[aria-labelledby=closes-title]").inner_text()
    assert "Hooli platform" in closes and "Lost" in closes
    pipeline = page.locator("section[aria-labelledby=team-pipeline-title]").inner_text()
    assert "Past due" in pipeline and "Negotiation" in pipeline
    page.set_viewport_size({"width": 1400, "height": 900})
    if SHOTS:
        page.screenshot(path=str(SHOTS / "manager-home-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    if SHOTS:
        page.screenshot(path=str(SHOTS / "manager-home-390.png"), full_page=True)
    # On a phone the team blocks stack in one column: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_rep_sees_every_overdue_task_behind_show_all(
    company: Company, open_browser: Callable[[User], Page]
) -> None:
    lead = company.lead(company.alice)
    late = timezone.localdate() - dt.timedelta(days=3)
    Activity.objects.bulk_create(
        Activity(kind="task", subject=f"Call back {n:03d}", due_date=late, owner=company.alice,
                 lead=lead)
        for n in range(122)
    )  # fmt: skip
    page = open_browser(company.alice)
    page.goto("/my-work/")
    assert page.locator(".stat .n").first.inner_text() == "122"
    if SHOTS:
        page.set_viewport_size({"width": 1400, "height": 900})
        page.screenshot(path=str(SHOTS / "rep-home-desktop.png"))
    page.get_by_role("link", name="Show all 122 overdue").click()
    page.wait_for_url("**/my-work/tasks/?due=overdue")
    assert page.locator("#my-tasks li").count() == 50
    page.get_by_role("link", name="Next").click()
    page.get_by_text("Call back 050", exact=True).wait_for()
    if SHOTS:
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(SHOTS / "rep-tasks-390.png"), full_page=True)
