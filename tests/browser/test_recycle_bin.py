"""Deleting a record from its page, finding it in the recycle bin, restoring it, and reading
its History tab, in a real browser."""

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
from opportune.leads.schemas import LeadChanges
from opportune.leads.services import update_lead

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]
# Where to leave screenshots of the History tab and the bin (for a human to look at).
_shots = os.environ.get("OPPORTUNE_SCREENSHOTS")
SHOTS = Path(_shots) if _shots else None


def test_a_rep_deletes_a_lead_restores_it_from_the_bin_and_reads_its_history(
    company: Company, open_browser: Callable[[User], Page]
) -> None:
    lead = company.lead(company.alice, last_name="Garbo", company="Globex Corporation")
    update_lead(company.maria, lead, LeadChanges(title="CTO", owner_id=company.alice.pk))
    page = open_browser(company.alice)
    page.goto(f"/leads/{lead.pk}/")

    # The History tab loads the field history in place.
    page.get_by_role("tab", name="History").click()
    history = page.locator("#history-rows")
    history.get_by_text("CTO").wait_for()
    assert "Title" in history.inner_text() and "Maria" in history.inner_text()
    if SHOTS:
        page.screenshot(path=str(SHOTS / "history-tab.png"), full_page=True)

    # Delete, confirmed in the dialog.
    page.get_by_role("link", name="Delete").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_text("recycle bin").first.wait_for()
    dialog.get_by_role("button", name="Delete").click()
    page.wait_for_url(re.compile(r"/leads/$"))
    assert Lead.with_deleted.get(pk=lead.pk).deleted_at is not None
    response = page.goto(f"/leads/{lead.pk}/")
    assert response is not None and response.status == 404

    # The bin lists it; Restore brings it back to its page.
    page.goto("/my-work/")
    page.locator("#main-nav").get_by_role("link", name="Recycle bin").click()
    row = page.get_by_role("row").filter(has_text="Garbo")
    row.wait_for()
    if SHOTS:
        page.screenshot(path=str(SHOTS / "recycle-bin.png"), full_page=True)
    row.get_by_role("button", name="Restore").click()
    page.wait_for_url(re.compile(rf"/leads/{lead.pk}/$"))
    assert Lead.objects.filter(pk=lead.pk).exists()
    page.get_by_role("tab", name="History").click()
    page.locator("#history-rows").get_by_text("Restored from the recycle bin").wait_for()
