"""The import wizard in a real browser: a Salesforce lead report is uploaded, its columns
and picklist values are shown mapped (a value no map knows is mapped on the spot or from the
dry run's report), and the file is imported with zero invalid rows."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import Company
from opportune.identity.models import User
from opportune.imports.models import ImportJob
from opportune.imports.services import run_job
from opportune.leads.models import Lead

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
_shots = os.environ.get("OPPORTUNE_SCREENSHOTS")
SHOTS = Path(_shots) if _shots else None
SAMPLE = Path(__file__).parents[2] / "opportune/imports/tests/samples/salesforce/lead-report.csv"


def _shot(page: Page, name: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / name), full_page=True)


def test_an_admin_imports_a_salesforce_lead_report_through_the_wizard(
    company: Company, open_browser: Callable[[User], Page], tmp_path: Path
) -> None:
    for user, last in ((company.alice, "Adams"), (company.bob, "Brown")):
        user.last_name = last
        user.save()
    report = tmp_path / "salesforce-leads.csv"
    extra = (
        '"Alice Adams","Tim","Barr","Buyer","Grand Hotels","tim@grand.example","","",'
        '"Fax","On Hold","Warm","","","Chicago","IL","60601","USA","","","5/2/2024"\n'
    )
    report.write_text(SAMPLE.read_text(encoding="utf-8") + extra, encoding="utf-8")
    page = open_browser(company.ada)
    page.goto("/imports/")
    page.get_by_label("CSV or Excel file").set_input_files(str(report))
    page.get_by_label("Import", exact=True).select_option("leads")
    page.get_by_role("button", name="Upload and map").click()

    # The column screen: detected encoding and delimiter, every column auto-mapped.
    page.wait_for_url("**/columns/")
    meta = " ".join(page.locator(".meta").inner_text().split())
    assert "detected encoding utf-8 · delimiter “,”" in meta
    assert page.get_by_label("Company / Account", exact=True).input_value() == "company"
    assert page.get_by_label("Zip/Postal Code", exact=True).input_value() == "postal_code"
    assert page.get_by_label("No. of Employees", exact=True).input_value() == "employees"
    assert page.get_by_label("Create Date", exact=True).input_value() == ""  # skipped
    _shot(page, "wizard-columns.png")
    page.get_by_role("button", name="Next: picklist values").click()

    # The value screen: Salesforce's standard values are mapped; two values are not.
    page.wait_for_url("**/values/")
    assert page.locator(".badge-red").count() == 2
    page.get_by_label("On Hold becomes").select_option("__new__")
    page.get_by_label("New value's label for On Hold").fill("On hold")
    _shot(page, "wizard-values.png")
    page.get_by_role("button", name="Check every row (dry run)").click()

    # The dry run lists the value left unmapped with its row; it is mapped to blank there.
    page.wait_for_url("**/imports/*/")
    run_job(ImportJob.objects.get().pk)
    page.reload()
    unmapped = page.locator("#unmapped")
    assert "Fax" in unmapped.inner_text() and "6" in unmapped.inner_text()
    _shot(page, "wizard-dry-run.png")
    page.get_by_label("Fax becomes").select_option("__blank__")
    page.get_by_role("button", name="Import with these values").click()
    page.wait_for_url("**/imports/*/")
    real = ImportJob.objects.filter(dry_run=False).get()
    run_job(real.pk)
    page.reload()
    assert "Created" in page.locator("#progress").inner_text()
    _shot(page, "wizard-imported.png")
    real.refresh_from_db()
    assert (real.invalid, real.created) == (0, 5)
    tim = Lead.objects.get(email="tim@grand.example")
    assert (tim.status.key, tim.source, tim.postal_code) == ("on_hold", "", "60601")
