"""The kanban's "Move to…" picker by keyboard: the arrow keys walk its stages (skipping the
card's own, wrapping round), Home/End jump, Escape closes it and the focus returns to the
card (docs/kanban.md, "Keyboard")."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from conftest import Company
from opportune.identity.models import User
from opportune.opportunities.models import Opportunity, Stage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _focused_stage(page: Page) -> str:
    stage: str = page.evaluate("document.activeElement.dataset.pickStage || ''")
    return stage


def test_arrow_keys_walk_the_pickers_stages_and_escape_returns_focus_to_the_card(
    company: Company, open_browser: Callable[[User], Page]
) -> None:
    deal = company.opportunity(company.alice, name="Keyed deal", stage_key="qualification")
    keys = list(
        Stage.objects.filter(pipeline=deal.pipeline, is_active=True).values_list("key", flat=True)
    )
    others = [key for key in keys if key != "qualification"]  # the card's own is disabled
    page = open_browser(company.alice)
    page.goto("/pipeline/")
    card = page.locator(f"#deal-{deal.pk}")
    card.focus()
    page.keyboard.press("Enter")
    page.locator("#move-picker[open]").wait_for()
    following = keys[keys.index("qualification") + 1]
    assert _focused_stage(page) == following  # opens on the next stage

    page.keyboard.press("ArrowDown")
    assert _focused_stage(page) == others[others.index(following) + 1]
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")  # skips the card's own stage
    assert _focused_stage(page) == keys[keys.index("qualification") - 1]
    page.keyboard.press("End")
    assert _focused_stage(page) == others[-1]
    page.keyboard.press("ArrowDown")  # wraps round to the first
    assert _focused_stage(page) == others[0]
    page.keyboard.press("Home")
    assert _focused_stage(page) == others[0]

    page.keyboard.press("Escape")
    page.locator("#move-picker[open]").wait_for(state="detached")
    expect(page.locator(f"#deal-{deal.pk}")).to_be_focused()
    assert Opportunity.objects.get(pk=deal.pk).stage.key == "qualification"  # nothing moved
