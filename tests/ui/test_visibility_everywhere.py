"""Every web page and fragment, generated from the URL configuration: a record outside the
user's view is a 404, for GET and POST, whole page or htmx fragment.

Bob and Alice are both reps on the East team: Bob must not reach any record of Alice's.
Mark (marketing) must not reach any opportunity. Each URL pattern with a record parameter
says which record it names in ``PAGE_RECORDS``; a new pattern missing there fails
``test_every_page_that_names_a_record_is_known``, so it gets covered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conftest import Company
from opportune.audit.bin import delete_record, model_of
from opportune.identity.models import User
from opportune.web.testing import (
    HTMX,
    logged_in,
    plain_static_files,  # noqa: F401
)
from tests.api.records import alices_records

RECORD_KINDS = ("lead", "account", "contact", "opportunity", "activity")
# URL name -> the record (a key of tests/api/records.py) its ``pk`` names.
PAGE_RECORDS: dict[str, str] = {
    "leads:detail": "lead_id",
    "leads:edit": "lead_id",
    "leads:qualify": "lead_id",
    "leads:status": "lead_id",
    "leads:convert": "lead_id",
    "accounts:detail": "account_id",
    "accounts:edit": "account_id",
    "accounts:contact": "contact_id",
    "accounts:contact_edit": "contact_id",
    "opportunities:detail": "opportunity_id",
    "opportunities:edit": "opportunity_id",
    "opportunities:move": "opportunity_id",
    "opportunities:close": "opportunity_id",
    "opportunities:undo": "opportunity_id",
    "opportunities:roles": "opportunity_id",
    "opportunities:pipeline_move": "opportunity_id",
    "activities:timeline": "<kind>",  # the record its ``kind`` parameter names
    "activities:log": "<kind>",
    "activities:done": "activity_id",
    "capture:lead_duplicates": "lead_id",
    "capture:merged": "merge_id",
    "capture:undo": "merge_id",
    "imports:detail": "job_id",
    "imports:resume": "job_id",
    "imports:run": "job_id",
    "imports:errors": "job_id",
    "imports:remap": "job_id",
    "imports:mapping": "job_id",
    "imports:save_mapping": "job_id",
    **{f"audit:history_{kind}": f"{kind}_id" for kind in RECORD_KINDS},
    **{f"audit:delete_{kind}": f"{kind}_id" for kind in RECORD_KINDS},
    "audit:restore": "<binned kind>",  # a record in the recycle bin, by its ``kind``
    "audit:purge": "<binned kind>",
    "identity:revoke_token": "token_id",
    "privacy:export_lead": "lead_id",
    "privacy:erase_lead": "lead_id",
    "privacy:export_contact": "contact_id",
    "privacy:erase_contact": "contact_id",
    "inline:field": "<kind>",  # one field edited in place, on the record its kind names
    "notifications:open": "notification_id",  # one's own notifications only
    "notifications:read": "notification_id",
    **{f"savedviews:{name}": "view_id" for name in ("edit", "update", "delete", "default")},
    "savedviews:cell": "<cell>",  # a list cell: a lead's or a deal's field (CELL_PAGES)
}
# Inline-edited list cells: (list kind, field) -> the record the ``pk`` names.
CELL_PAGES = {
    ("leads", "status"): "lead_id",
    ("leads", "owner"): "lead_id",
    ("opportunities", "stage"): "opportunity_id",
    ("opportunities", "amount"): "opportunity_id",
}
# Pages naming configuration, not a record anyone owns: refused (403) to roles that may
# not configure it, never hidden.
CONFIGURATION_PAGES = {
    "capture:web_form",
    "webhooks:detail",
    "webhooks:toggle",
    "webhooks:delete",
    "webhooks:redeliver",
}
TIMELINE_KINDS = {
    "lead": "lead_id",
    "account": "account_id",
    "contact": "contact_id",
    "opportunity": "opportunity_id",
}


@dataclass(frozen=True)
class Page:
    name: str  # namespace:name
    record: str  # the records.py key of the record it names
    kind: str = ""  # the activities' and recycle bin's pages' <kind>
    binned: bool = False  # names a record in the recycle bin
    field: str = ""  # an inline-edited list cell's field

    def url(self, records: dict[str, Any]) -> str:
        kwargs: dict[str, Any] = {"pk": records[self.record]}
        if self.kind:
            kwargs["kind"] = self.kind
        if self.field:
            kwargs["field"] = self.field
        return reverse(self.name, kwargs=kwargs)

    def __str__(self) -> str:
        if self.field:
            return f"{self.name}[{self.kind}.{self.field}]"
        return f"{self.name}[{self.kind}]" if self.kind else self.name


def _patterns(
    resolvers: list[URLPattern | URLResolver], namespace: str = ""
) -> list[tuple[str, URLPattern]]:
    """(namespace:name, pattern) of every named page, the admin's and the API's excepted."""
    found = []
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            if entry.namespace in ("admin",) or str(entry.pattern).startswith("api/"):
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found += _patterns(entry.url_patterns, inner)
        elif entry.name:
            found.append((f"{namespace}{entry.name}", entry))
    return found


def _record_patterns() -> list[str]:
    """Names of the pages whose route takes an integer: those name a record."""
    return [
        name
        for name, pattern in _patterns(get_resolver().url_patterns)
        if "<int:" in str(pattern.pattern)
    ]


def record_pages() -> list[Page]:
    pages = []
    for name in _record_patterns():
        record = PAGE_RECORDS.get(name)
        if record == "<kind>":
            pages += [Page(name, param, kind) for kind, param in TIMELINE_KINDS.items()]
        elif record == "<cell>":
            pages += [
                Page(name, param, kind, field=field) for (kind, field), param in CELL_PAGES.items()
            ]
        elif record == "<binned kind>":
            pages += [Page(name, f"{kind}_id", kind, binned=True) for kind in RECORD_KINDS]
        elif record is not None:
            pages.append(Page(name, record))
    return pages


PAGES = record_pages()
REQUESTS = [("get", {}), ("get", HTMX), ("post", {}), ("post", HTMX)]


def _records(company: Company, page: Page) -> dict[str, Any]:
    """Alice's records; those the page names from the recycle bin deleted by Alice."""
    records = alices_records(company)
    if page.binned:
        # An activity first: deleting its lead's account would wait for it otherwise.
        for kind in ("activity", "contact", "opportunity", "lead", "account"):
            record = model_of(kind).objects.get(pk=records[f"{kind}_id"])
            delete_record(company.alice, record)
    return records


def test_every_page_that_names_a_record_is_known() -> None:
    unknown = set(_record_patterns()) - set(PAGE_RECORDS) - CONFIGURATION_PAGES
    assert not unknown, f"Say which record these pages name in PAGE_RECORDS: {unknown}"
    assert len(PAGES) >= len(PAGE_RECORDS)


def _ask(
    client: Client,
    page: Page,
    records: dict[str, Any],
    method: str,
    headers: Mapping[str, object],
    user: User,
) -> Any:
    return getattr(logged_in(client, user), method)(page.url(records), **headers)


def _expected_for_outsiders(
    company: Company,
    page: Page,
    records: dict[str, Any],
    method: str,
    headers: Mapping[str, object],
) -> int:
    """404, unless the page does not take this method at all (a POST-only action asked by
    GET): then the owner's 405 is everyone's, which tells nothing about the record."""
    owners = _ask(Client(), page, records, method, headers, user=company.alice)
    return 405 if owners.status_code == 405 else 404


@pytest.mark.parametrize(
    ("method", "headers"), REQUESTS, ids=["get", "get-htmx", "post", "post-htmx"]
)
@pytest.mark.parametrize("page", PAGES, ids=str)
def test_a_record_outside_the_users_view_is_a_404_on_every_page(
    company: Company, page: Page, method: str, headers: Mapping[str, object]
) -> None:
    records = _records(company, page)
    response = _ask(Client(), page, records, method, headers, user=company.bob)
    expected = _expected_for_outsiders(company, page, records, method, headers)  # may write
    assert response.status_code == expected, f"{method.upper()} {page}: {response.status_code}"


@pytest.mark.parametrize("page", [p for p in PAGES if p.record == "opportunity_id"], ids=str)
def test_marketing_reaches_no_opportunity_page(company: Company, page: Page) -> None:
    records = _records(company, page)
    for method, headers in REQUESTS:
        response = _ask(Client(), page, records, method, headers, user=company.mark)
        expected = _expected_for_outsiders(company, page, records, method, headers)
        assert response.status_code == expected, f"{method.upper()} {page}"


@pytest.mark.parametrize("page", PAGES, ids=str)
def test_the_owner_reaches_the_record_on_every_page(
    company: Company, client: Client, page: Page
) -> None:
    """The counterpart of the 404 test: Alice's own request is answered (the page exists,
    and the record the test named is the one it shows)."""
    records = _records(company, page)
    response = _ask(client, page, records, "get", {}, user=company.alice)
    assert response.status_code != 404, f"GET {page}: {response.content[:300]!r}"
