"""An admin defines a picklist custom field in Settings; a rep then edits a lead with it and
reads the change in its History tab, in a real browser."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import Company
from opportune.customfields.models import CustomField
from opportune.identity.models import User
from opportune.leads.models import Lead

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
_shots = os.environ.get("OPPORTUNE_SCREENSHOTS")
SHOTS = Path(_shots) if _shots else None


def _shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(SHOTS / name), full_page=True)


def test_an_admin_defines_a_picklist_and_a_rep_edits_a_lead_with_it(
    company: Company, open_browser: Callable[[User], Page]
) -> None:
    lead = company.lead(company.alice, last_name="Garbo", company="Globex Corporation")
    admin = open_browser(company.ada)
    admin.goto("/settings/")
    admin.get_by_role("link", name="Custom fields").click()
    admin.get_by_role("link", name="Add custom field").click()
    admin.get_by_label("Kind").select_option("lead")
    admin.get_by_label("Key").fill("region")
    admin.get_by_label("Label").fill("Region")
    admin.get_by_label("Type").select_option("picklist")
    admin.get_by_label("Help text").fill("Where the buyer sits.")
    for row, (key, label) in enumerate([("emea", "EMEA"), ("apac", "Asia-Pacific")]):
        admin.locator(f'input[name="values-{row}-position"]').fill(str(row + 1))
        admin.locator(f'input[name="values-{row}-key"]').fill(key)
        admin.locator(f'input[name="values-{row}-label"]').fill(label)
    _shot(admin, "define-field.png")
    admin.get_by_role("button", name="Save", exact=True).click()
    admin.get_by_text("was added successfully").wait_for()
    _shot(admin, "field-list.png")
    field = CustomField.objects.get(kind="lead", key="region")
    assert [v.key for v in field.values.all()] == ["emea", "apac"]

    rep = open_browser(company.alice)
    rep.goto(f"/leads/{lead.pk}/edit/")
    rep.get_by_label("Region", exact=True).select_option("apac")
    _shot(rep, "edit-lead.png")
    rep.get_by_role("button", name="Save").click()
    rep.wait_for_url(f"**/leads/{lead.pk}/")
    details = rep.locator("#lead-details")
    details.get_by_text("Asia-Pacific").wait_for()
    lead.refresh_from_db()
    assert lead.custom == {"region": "apac"}
    rep.get_by_role("tab", name="History").click()
    rep.locator("#history-rows").get_by_text("Custom: Region").wait_for()
    _shot(rep, "lead-history.png")
    assert Lead.objects.get(pk=lead.pk).custom["region"] == "apac"
