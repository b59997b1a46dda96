"""The win probability on the deal page (with its reasons) and on the kanban card."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from opportune.scoring.models import OpportunityScore
from opportune.scoring.opportunity import fit_opportunities
from opportune.scoring.tests.world import END, write_history

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]
_shots = os.environ.get("OPPORTUNE_SCREENSHOTS")
SHOTS = Path(_shots) if _shots else None


def test_the_deal_page_and_its_card_show_the_win_probability_and_reasons(company, open_browser):  # type: ignore[no-untyped-def]
    deals = write_history(company)
    fit_opportunities(END)
    deal = next(d for d in reversed(deals) if not d.is_closed)
    score = OpportunityScore.objects.get(opportunity=deal)
    shown = f"{round(score.probability * 100)}%"
    page = open_browser(company.ada)
    page.goto(f"/opportunities/{deal.pk}/")
    card = page.locator("#win-probability")
    assert shown in card.inner_text()
    assert card.locator(".win-reasons li").count() == len(score.reasons)
    assert score.reasons[0]["text"] in card.inner_text()
    if SHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "deal-page.png"), full_page=True)
    page.goto("/pipeline/")
    chip = page.locator(f"#deal-{deal.pk} .win-chance")
    assert chip.inner_text() == f"{shown} win"
    assert score.reasons[0]["text"] in (chip.get_attribute("title") or "")
    if SHOTS:
        page.locator(f"#deal-{deal.pk}").screenshot(path=str(SHOTS / "kanban-card.png"))
        page.screenshot(path=str(SHOTS / "kanban.png"))
