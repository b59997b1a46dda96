"""An import's page follows the job to its end without a reload: the poll that sees the job
finish brings in what only a finished job has (the values to map, the reported rows)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from conftest import Company
from opportune.identity.models import User
from opportune.imports.services import create_job, run_job
from opportune.imports.tests.helpers import stored

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_dry_run_page_shows_the_values_to_map_once_the_job_finishes(
    company: Company, open_browser: Callable[[User], Page]
) -> None:
    content = "Last Name,Company,Lead Source\nLee,Acme,Fax\nKim,Initech,Web\n"
    job = create_job(company.ada, "leads", stored(content), "leads.csv", dry_run=True)
    page = open_browser(company.ada)
    page.goto(f"/imports/{job.pk}/")
    expect(page.locator("#progress")).to_contain_text("Queued")
    expect(page.locator("#unmapped")).to_have_count(0)
    run_job(job.pk)  # as the worker would, while the page polls
    unmapped = page.locator("#unmapped")
    expect(unmapped).to_contain_text("Fax", timeout=15_000)
    expect(page.get_by_label("Fax becomes")).to_be_visible()
    expect(page.locator("#progress")).to_contain_text("Done")
