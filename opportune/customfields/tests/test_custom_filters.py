"""Custom field filters come from the definitions into each list's shared FilterSet: the UI
list, the API list and the exports (UI, API, CLI) give the same rows for the same
``custom.<key>`` parameters, refuse a bad value naming it, and cost no query unless asked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import Company
from opportune.leads.filters import LeadFilterSet
from opportune.leads.models import Lead
from opportune.web.testing import plain_static_files  # noqa: F401
from tests.test_list_filters import ACCOUNTS, LEADS, OPPORTUNITIES, _everywhere

from .helpers import define

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_static_files")]


@pytest.fixture
def lead_fields(company: Company) -> None:
    define(company.ada, "lead", "region", "picklist")
    define(company.ada, "lead", "products", "multi_picklist")
    define(company.ada, "lead", "seats", "number")
    define(company.ada, "lead", "renewal", "date")
    define(company.ada, "lead", "partner", "checkbox")
    define(company.ada, "lead", "notes", "long_text")


def _lead(company: Company, **custom: Any) -> Lead:
    return company.lead(company.alice, custom=custom)


FILTERS: list[tuple[dict[str, str], set[str]]] = [
    ({"custom.region": "emea"}, {"a", "b"}),
    ({"custom.region": "emea,apac"}, {"a", "b", "c"}),
    ({"custom.products": "apac"}, {"b", "c"}),
    ({"custom.seats.min": "10", "custom.seats.max": "100"}, {"a", "c"}),
    ({"custom.seats.min": "50.5"}, {"c", "d"}),
    ({"custom.renewal.max": "2026-06-30"}, {"a"}),
    ({"custom.partner": "true"}, {"b"}),
    ({"custom.partner": "false"}, {"a", "c", "d"}),
    ({"custom.notes": "EXPO"}, {"d"}),
]


@pytest.mark.parametrize(("params", "expected"), FILTERS)
def test_each_custom_filter_gives_the_same_leads_in_ui_api_and_exports(
    company: Company,
    client: Client,
    api: Callable[..., Any],
    tmp_path: Path,
    lead_fields: None,
    params: dict[str, str],
    expected: set[str],
) -> None:
    leads = {
        "a": _lead(company, region="emea", seats=10, renewal="2026-03-01", products=["emea"]),
        "b": _lead(company, region="emea", partner=True, products=["apac", "emea"]),
        "c": _lead(company, region="apac", seats=100, renewal="2026-12-01", products=["apac"]),
        "d": _lead(company, seats=1000, notes="met at the expo", partner=False),
    }
    found = _everywhere(company, client, api, LEADS, params, tmp_path)
    for where, ids in found.items():
        assert ids == {leads[name].pk for name in expected}, where


def test_custom_filters_work_on_accounts_and_opportunities(
    company: Company, client: Client, api: Callable[..., Any], tmp_path: Path
) -> None:
    define(company.ada, "account", "tier", "picklist")
    define(company.ada, "opportunity", "margin", "percent")
    wanted = company.account(company.alice, custom={"tier": "emea"})
    company.account(company.alice, name="Other", custom={"tier": "apac"})
    found = _everywhere(company, client, api, ACCOUNTS, {"custom.tier": "emea"}, tmp_path)
    assert set(map(frozenset, found.values())) == {frozenset({wanted.pk})}
    deal = company.opportunity(company.alice, custom={"margin": 40})
    company.opportunity(company.alice, custom={"margin": 10})
    params = {"custom.margin.min": "25"}
    found = _everywhere(company, client, api, OPPORTUNITIES, params, tmp_path)
    assert set(map(frozenset, found.values())) == {frozenset({deal.pk})}


def test_a_bad_custom_filter_value_is_a_422_naming_the_parameter(
    company: Company, api: Callable[..., Any], lead_fields: None
) -> None:
    client = api(company.alice)
    for params, message in (
        ({"custom.region": "mars"}, "Unknown value 'mars'; use one of: emea, apac."),
        ({"custom.seats.min": "many"}, "Enter a number."),
        ({"custom.partner": "maybe"}, "Use true or false."),
        ({"custom.nope": "1"}, "Unknown parameter"),
    ):
        response = client.get("/api/v1/leads", **params)
        assert response.status_code == 422
        (name,) = params
        assert message in response.json()["errors"][name][0]


def test_a_list_without_custom_parameters_reads_no_definitions(
    company: Company, lead_fields: None
) -> None:
    with CaptureQueriesContext(connection) as queries:
        list(LeadFilterSet.apply(company.ada, Lead.objects.all(), {"source": "web"}))
    assert not [q for q in queries.captured_queries if "customfields" in q["sql"]]


def test_api_and_ui_sort_by_a_custom_field_both_ways_and_page_through_every_lead(
    company: Company, client: Client, api: Callable[..., Any], lead_fields: None
) -> None:
    seats = [30, None, 10, 20, 10]
    leads = [_lead(company, **({} if n is None else {"seats": n})) for n in seats]
    # Blank first (the smallest), ties by id.
    ascending = [leads[i].pk for i in (1, 2, 4, 3, 0)]
    api_client = api(company.alice)
    for sort, expected in (("custom.seats", ascending), ("-custom.seats", ascending[::-1])):
        found: list[int] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"sort": sort, "limit": 2, "status": "all"}
            if cursor:
                params["cursor"] = cursor
            page = api_client.get("/api/v1/leads", **params).json()
            found += [item["id"] for item in page["items"]]
            cursor = page["next"]
            if not cursor:
                break
        assert found == expected, sort
    client.force_login(company.alice)
    response = client.get("/leads/", {"sort": "-custom.seats", "status": "all"})
    assert [row.pk for row in response.context["page"].rows] == ascending[::-1]
    unknown = api_client.get("/api/v1/leads", sort="custom.nope")
    assert unknown.status_code == 422 and "sort" in unknown.json()["errors"]
