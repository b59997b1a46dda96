"""The wizard's "New custom field" in a real browser: an admin maps two unmatched columns to
new custom fields of the types chosen beside them (a picklist takes the column's values),
imports the file, and shows the fields as columns of the lead list."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import Company
from opportune.customfields.models import CustomField
from opportune.identity.models import User
from opportune.imports.models import ImportJob
from opportune.imports.services import run_job
from opportune.leads.models import Lead

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
_shots = os.environ.get("OPPORTUNE_SCREENSHOTS")
SHOTS = Path(_shots) if _shots else None
CSV = (
    "Last Name,Company,TotalVisits,How did you hear about X Education\n"
    "Lee,Acme,3,Online Search\nKim,Acme,7,Word Of Mouth\nPark,Initech,,Online Search\n"
)


def _shot(page: Page, name: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / name), full_page=True)


def test_an_admin_brings_unmatched_columns_along_as_new_custom_fields(
    company: Company, open_browser: Callable[[User], Page], tmp_path: Path
) -> None:
    upload = tmp_path / "x-education.csv"
    upload.write_text(CSV, encoding="utf-8")
    page = open_browser(company.ada)
    page.goto("/imports/")
    page.get_by_label("CSV or Excel file").set_input_files(str(upload))
    page.get_by_label("Import", exact=True).select_option("leads")
    page.get_by_role("button", name="Upload and map").click()

    page.wait_for_url("**/columns/")
    page.get_by_label("TotalVisits", exact=True).select_option("__new_custom_field__")
    page.get_by_label("Type of a new custom field for TotalVisits").select_option("number")
    heard = "How did you hear about X Education"
    page.get_by_label(heard, exact=True).select_option("__new_custom_field__")
    page.get_by_label(f"Type of a new custom field for {heard}").select_option("picklist")
    _shot(page, "wizard-new-custom-fields.png")
    page.get_by_role("button", name="Next: picklist values").click()

    page.wait_for_url("**/values/")
    page.get_by_role("button", name="Check every row (dry run)").click()
    page.wait_for_url("**/imports/*/")
    heard_field = CustomField.objects.get(kind="lead", label=heard)
    assert heard_field.type == "picklist"
    assert [v.label for v in heard_field.values.all()] == ["Online Search", "Word Of Mouth"]
    assert CustomField.objects.get(key="totalvisits").type == "number"
    dry = run_job(ImportJob.objects.get().pk)
    assert (dry.created, dry.invalid) == (3, 0)
    page.reload()
    page.get_by_role("button", name="Import these 3 rows for real").click()
    page.wait_for_url("**/imports/*/")
    run_job(ImportJob.objects.get(dry_run=False).pk)
    assert Lead.objects.get(last_name="Kim").custom == {
        "totalvisits": 7,
        heard_field.key: "word_of_mouth",
    }

    page.goto(f"/leads/?columns=custom.totalvisits,custom.{heard_field.key}")
    table = page.locator("#results table").inner_text()
    assert "TotalVisits" in table and "Word Of Mouth" in table
    page.locator(".column-chooser summary").click()
    _shot(page, "lead-list-custom-columns.png")
