"""A bulk stage change on the opportunity list in a real browser: deals of two pipelines,
a stage key only one of them has; the whole action is refused and the other deal named."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import Company
from opportune.identity.models import User
from opportune.opportunities.models import Opportunity, Pipeline, Stage
from opportune.opportunities.services import OpportunityDraft, open_opportunity

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]
_shots = os.environ.get("OPPORTUNE_SCREENSHOTS")
SHOTS = Path(_shots) if _shots else None


def test_a_bulk_stage_missing_from_one_deal_s_pipeline_is_refused_naming_it(
    company: Company, open_browser: Callable[[User], Page]
) -> None:
    renewals = Pipeline.objects.create(key="renewals", name="Renewals")
    Stage.objects.create(
        pipeline=renewals,
        key="quoted",
        label="Quoted",
        default_probability=40,
        forecast_category="pipeline",
    )
    company.opportunity(company.alice, name="New business")
    draft = OpportunityDraft(
        name="Renewal",
        account=company.account(company.alice, "Renewing"),
        owner=company.alice,
        close_date=dt.date(2026, 12, 31),
        pipeline=renewals,
    )
    open_opportunity(company.ada, draft)
    page = open_browser(company.maria)
    page.goto("/opportunities/")
    page.get_by_label("Select all opportunities on this page").check()
    page.locator("#id_bulk-action").select_option("stage")
    page.locator("#id_bulk-stage").select_option("negotiation")
    page.get_by_role("button", name="Apply").click()
    page.get_by_text(
        "Nothing was changed: 1 of the 2 selected opportunities was refused."
    ).wait_for()
    page.get_by_text("Renewal: No active stage 'negotiation' in this deal's pipeline").wait_for()
    if SHOTS:
        page.screenshot(path=str(SHOTS / "bulk-stage-refused-desktop.png"), full_page=True)
    assert not Opportunity.objects.filter(stage__key="negotiation").exists()
