"""Settings > Lead scoring in a browser: the model card, excluding a field, rolling back;
and the hot leads list with each lead's top reason."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.utils import timezone

from opportune.leads.models import Lead, LeadStatus
from opportune.scoring import leads as scoring
from opportune.scoring import store
from opportune.scoring.tests.test_lead_scoring_bulk import custom_world

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]
_shots = os.environ.get("OPPORTUNE_SCREENSHOTS")
SHOTS = Path(_shots) if _shots else None


def test_an_admin_reads_the_card_excludes_a_field_and_rolls_back(company, open_browser):  # type: ignore[no-untyped-def]
    custom_world()
    first = scoring.fit_leads(timezone.now())
    scoring.set_points(company.ada, 40, {"source": {"referral": 20}}, timezone.now())
    page = open_browser(company.ada)
    page.goto("/settings/")
    page.get_by_role("link", name="Lead scoring").click()
    assert "points model scores leads" in page.locator("#model-in-use").inner_text()
    suggested = page.locator("#suggested").inner_text()
    assert '"referral": 20' not in suggested and '"points"' in suggested  # the data's, not ours
    page.get_by_label("Exclude Visits").check()
    with page.expect_response("**/settings/scoring/exclusions/"):
        page.get_by_role("button", name="Save exclusions").click()
    assert "excluded; applied at the next fit" in page.content()
    assert scoring.admin_exclusions() == {"custom.visits"}
    with page.expect_response("**/settings/scoring/rollback/"):
        page.get_by_role("button", name="Roll back to the previous fit").click()
    assert "A learned model" in page.locator("#model-in-use").inner_text()
    assert store.active_fit("lead") == first
    assert page.locator("#model-card").get_by_text("ROC AUC (cross-validated").is_visible()
    if SHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "settings-lead-scoring-test.png"), full_page=True)


def test_hot_leads_shows_open_leads_by_score_with_their_top_reason(company, open_browser):  # type: ignore[no-untyped-def]
    custom_world()
    scoring.fit_leads(timezone.now())
    Lead.objects.filter(status=LeadStatus.default()).update(owner=company.alice)
    best = Lead.objects.filter(status=LeadStatus.default()).order_by("-score", "-pk").first()
    assert best is not None and best.score_reasons
    page = open_browser(company.alice)
    page.goto("/leads/")
    page.get_by_role("link", name="Hot leads").click()
    page.wait_for_url("**/leads/?status=open&sort=-score")
    first_row = page.locator("#results tbody tr").first
    assert best.last_name in first_row.inner_text()
    assert best.score_reasons[0]["text"] in first_row.inner_text()
