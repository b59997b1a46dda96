"""Custom fields in the UI lists: optional columns (``columns=custom.<key>,...``, values by
label, no query per row) on leads, accounts, contacts and opportunities, and the lists'
search (``q``) finding custom text, email, phone and URL values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import Company
from opportune.web.testing import logged_in, plain_static_files  # noqa: F401

from .helpers import define

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_static_files")]


def _leads(company: Company, rows: int) -> None:
    for number in range(rows):
        custom = {"region": "emea", "seats": number, "note": f"note {number}"}
        company.lead(company.alice, last_name=f"Lead {number}", custom=custom)


def _queries(browser: Client, params: dict[str, Any]) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert browser.get("/leads/", params).status_code == 200
    return len(queries)


def test_custom_columns_show_values_by_label_and_the_chooser_keeps_them(
    company: Company, client: Client
) -> None:
    define(company.ada, "lead", "region", "picklist")
    define(company.ada, "lead", "seats", "number")
    company.lead(company.alice, last_name="Lee", custom={"region": "apac", "seats": 12})
    browser = logged_in(client, company.alice)
    plain = browser.get("/leads/").content.decode()
    assert '<input type="checkbox" name="columns" value="custom.region">' in plain
    assert "<th>Region</th>" not in plain
    page = browser.get("/leads/", {"columns": "custom.seats,custom.region,custom.nope"})
    html = page.content.decode()
    assert html.index("<th>Seats</th>") < html.index("<th>Region</th>")
    assert "<td>APAC</td>" in html and "<td>12</td>" in html
    assert 'value="custom.region" checked' in html
    # The sort links keep the chosen columns.
    assert "columns=custom.seats%2Ccustom.region" in html
    # The checkboxes send ``columns`` once per field: the same columns.
    again = browser.get("/leads/", {"columns": ["custom.region", "custom.seats"]})
    assert [f.key for f in again.context["custom_columns"]] == ["region", "seats"]


def test_custom_columns_cost_no_query_per_row(company: Company, client: Client) -> None:
    define(company.ada, "lead", "region", "picklist")
    define(company.ada, "lead", "seats", "number")
    browser = logged_in(client, company.alice)
    _leads(company, 3)
    columns = {"columns": "custom.region,custom.seats"}
    _queries(browser, columns)  # warm caches
    # (A bare URL also looks up the user's default saved view: compare with a parameter.)
    without, with_columns = _queries(browser, {"sort": "-created"}), _queries(browser, columns)
    assert with_columns == without  # the definitions are read for the chooser either way
    _leads(company, 27)
    assert _queries(browser, columns) == with_columns


@pytest.mark.parametrize(
    ("path", "make"),
    [
        ("/accounts/", lambda c: c.account(c.alice, custom={"tier": "gold"})),
        ("/contacts/", lambda c: c.contact(c.alice, None, custom={"tier": "gold"})),
        ("/opportunities/", lambda c: c.opportunity(c.alice, custom={"tier": "gold"})),
    ],
)
def test_every_list_takes_custom_columns(
    company: Company, client: Client, path: str, make: Callable[[Company], Any]
) -> None:
    kind = {"/accounts/": "account", "/contacts/": "contact"}.get(path, "opportunity")
    define(company.ada, kind, "tier", "picklist", values=[{"key": "gold", "label": "Gold"}])
    record = make(company)
    record.custom = {"tier": "gold"}
    record.save()
    page = logged_in(client, company.alice).get(path, {"columns": "custom.tier"})
    html = page.content.decode()
    assert page.status_code == 200 and "<th>Tier</th>" in html and "<td>Gold</td>" in html


def test_search_finds_custom_text_values_but_not_other_types(
    company: Company, client: Client
) -> None:
    define(company.ada, "lead", "note", "text")
    define(company.ada, "lead", "site", "url")
    define(company.ada, "lead", "region", "picklist")
    company.lead(company.alice, last_name="Noted", custom={"note": "Met at Hannover Messe"})
    company.lead(company.alice, last_name="Sited", custom={"site": "https://zebra.example"})
    company.lead(company.alice, last_name="Regioned", custom={"region": "emea"})
    browser = logged_in(client, company.alice)

    def found(q: str) -> list[str]:
        return [lead.last_name for lead in browser.get("/leads/", {"q": q}).context["page"].rows]

    assert found("hannover") == ["Noted"]
    assert found("ZEBRA") == ["Sited"]
    assert found("emea") == []  # a picklist key is not text
    assert found("messe noted") == ["Noted"]  # every word, in any field
