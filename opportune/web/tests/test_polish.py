"""Pages say what a person expects: no "None" for an empty value, one date format set by
OPPORTUNE_DATE_FORMAT on every page, the import's counts apart from their labels, and the
keyboard shortcuts listed on a page the sidebar links to."""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client
from pytest_django import Settings

from conftest import Company
from opportune.web.testing import (
    logged_in,
    plain_static_files,  # noqa: F401
)

pytestmark = pytest.mark.django_db
NONE_SHOWN = re.compile(r">\s*None\s*<")


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_no_page_of_a_new_record_shows_none_for_an_empty_value(company: Company) -> None:
    alice = company.alice
    lead = company.lead(alice)
    account = company.account(alice)
    contact = company.contact(alice, account)
    deal = company.opportunity(alice, account=account)
    client = logged_in(Client(), alice)
    for url in (
        f"/leads/{lead.pk}/",
        f"/accounts/{account.pk}/",
        f"/contacts/{contact.pk}/",
        f"/opportunities/{deal.pk}/",
        "/leads/",
        "/accounts/",
        "/contacts/",
        "/opportunities/",
    ):
        html = _page(client, url)
        assert not NONE_SHOWN.search(html), f"{url} shows None: {NONE_SHOWN.findall(html)}"
    employees = r"<dt>Employees</dt><dd>(<span[^>]*>)*—<"  # the value, maybe inline-editable
    assert re.search(employees, _page(client, f"/leads/{lead.pk}/"))


@pytest.mark.parametrize(
    ("style", "shown", "not_shown"),
    [
        ("medium", "31 Dec 2026", "Dec 31, 2026"),
        ("iso", "2026-12-31", "31 Dec 2026"),
        ("us", "Dec 31, 2026", "2026-12-31"),
    ],
)
def test_every_page_writes_dates_as_the_one_setting_says(
    company: Company, settings: Settings, style: str, shown: str, not_shown: str
) -> None:
    settings.OPPORTUNE_DATE_FORMAT = style
    deal = company.opportunity(company.alice)  # closes 2026-12-31
    client = logged_in(Client(), company.alice)
    for url in (f"/opportunities/{deal.pk}/", "/opportunities/"):
        html = _page(client, url)
        assert shown in html, url
        assert not_shown not in html, url


def test_a_dry_run_reads_its_counts_apart_from_their_labels(company: Company) -> None:
    from opportune.imports.services import create_job, run_job, store_file

    path = store_file(io.BytesIO(b"LastName,Company\nDoe,Initech\n"))
    job = run_job(create_job(company.alice, "leads", path, "leads.csv", dry_run=True).pk)
    html = _page(logged_in(Client(), company.alice), f"/imports/{job.pk}/")
    assert re.search(r'<span class="l">Would be created</span><span class="n">1</span>', html)


def test_the_shortcuts_page_lists_the_keys_and_every_page_links_to_it(company: Company) -> None:
    client = logged_in(Client(), company.alice)
    html = _page(client, "/help/shortcuts/")
    for key in ("/", "?", "Esc", "Enter", "g", "↓", "→"):
        assert f"<kbd>{key}</kbd>" in html
    assert 'href="/help/shortcuts/"' in _page(client, "/my-work/")


def test_a_fragments_address_opened_in_the_browser_is_the_whole_page(company: Company) -> None:
    """The qualification form's GET redirects to ``?fragment=checklist``: without htmx that
    is the whole lead page, with its timeline, not a server error."""
    lead = company.lead(company.alice)
    client = logged_in(Client(), company.alice)
    response = client.get(f"/leads/{lead.pk}/qualification/", follow=True)
    assert response.status_code == 200
    assert "<main" in response.content.decode()
