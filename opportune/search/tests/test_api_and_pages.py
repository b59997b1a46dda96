"""GET /api/v1/search and the /search/ page: typed answers, problems for bad input, a fixed
number of queries whatever the data, and the page working without JavaScript."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries, Settings

from conftest import ApiClient, Company
from opportune.capture.tests.conftest import PLAIN_STATIC
from opportune.identity.models import User
from opportune.search import engine

from .test_matching import EXPANSION


@pytest.fixture(autouse=True)
def _plain_static_files(settings: Settings) -> None:
    """Pages render without a collected manifest in tests."""
    settings.STORAGES = PLAIN_STATIC


@pytest.mark.django_db
def test_the_api_answers_groups_of_hits_with_totals_and_links(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    lead = company.lead(company.alice, company="Acme Rockets", phone="415 555 0100")
    account = company.account(company.alice, name="Acme Holdings")
    response = api(company.ada).get("/api/v1/search", q="acme")
    assert response.status_code == 200
    body = response.json()
    assert body["q"] == "acme"
    assert [(g["kind"], g["total"], g["capped"]) for g in body["groups"]] == [
        ("lead", 1, False),
        ("account", 1, False),
    ]
    assert body["groups"][0]["hits"] == [
        {
            "kind": "lead",
            "id": lead.pk,
            "title": "Lena Lead",
            "detail": "Acme Rockets · lena@globex.example · 415 555 0100",
            "url": f"/leads/{lead.pk}/",
        }
    ]
    assert body["groups"][1]["hits"][0]["url"] == f"/accounts/{account.pk}/"


@pytest.mark.django_db
def test_the_api_narrows_to_the_kinds_asked_and_limits_each(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    for _ in range(3):
        company.lead(company.alice, company="Acme")
    company.account(company.alice, name="Acme")
    body = api(company.ada).get("/api/v1/search", q="acme", kinds="lead,contact", limit=2).json()
    assert [(g["kind"], len(g["hits"]), g["total"]) for g in body["groups"]] == [("lead", 2, 3)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"q": "acme", "kinds": "deals"}, "kinds"),
        ({"q": "acme", "limit": 0}, "limit"),
        ({"q": "acme", "limit": 51}, "limit"),
    ],
)
def test_bad_search_input_is_a_422_problem_naming_the_parameter(
    company: Company, api: Callable[[User], ApiClient], params: dict[str, object], field: str
) -> None:
    response = api(company.ada).get("/api/v1/search", **params)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.json()["errors"]


def test_the_search_is_documented_in_openapi() -> None:
    from opportune.api import api

    operation = api.get_openapi_schema()["paths"]["/api/v1/search"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"q", "kinds", "limit"}
    assert 422 in operation["responses"]


@pytest.mark.django_db
def test_a_search_costs_the_same_queries_for_few_and_many_matches(
    company: Company, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    """Leads and accounts (both databases): the index's newest matches, then page and count
    in one query; contacts and deals one query, a count only when the first page is full
    (the admin's visibility needs no team lookup)."""
    account = company.account(company.alice, name="Globex")
    for _ in range(2):
        company.lead(company.alice)
        company.contact(company.alice, account)
        company.opportunity(company.alice, account=account, name="Globex deal")
    with django_assert_num_queries(6 + EXPANSION):  # 2 of each kind: no page is full
        engine.search(company.ada, "globex", limit=5)
    for _ in range(6):
        company.lead(company.alice)
        company.contact(company.alice, account)
        company.opportunity(company.alice, account=account, name="Globex deal")
    # Full pages of 5: + counts of contacts and deals.
    with django_assert_num_queries(8 + EXPANSION):
        engine.search(company.ada, "globex", limit=5)


@pytest.mark.django_db
def test_the_results_page_works_without_javascript(company: Company, client: Client) -> None:
    lead = company.lead(company.alice, company="Initrode")
    client.force_login(company.alice)
    page = client.get("/search/", {"q": "initr"})
    assert page.status_code == 200
    html = page.content.decode()
    assert f'href="/leads/{lead.pk}/"' in html
    assert 'role="search"' in html and 'id="topbar-q"' in html  # the top bar's box too


@pytest.mark.django_db
def test_the_dropdown_is_the_fragment_and_links_to_all_results(
    company: Company, client: Client
) -> None:
    for _ in range(6):
        company.lead(company.alice, company="Initrode")
    client.force_login(company.alice)
    fragment = client.get("/search/", {"q": "initr", "dropdown": "1"}, HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert "<html" not in html
    assert "Show all 6 leads" in html
    assert "/leads/?q=initr&amp;status=all" in html
    assert "/search/?q=initr" in html


@pytest.mark.django_db
def test_too_long_a_search_is_a_form_error_not_a_500(company: Company, client: Client) -> None:
    client.force_login(company.alice)
    page = client.get("/search/", {"q": "x" * 201})
    assert page.status_code == 200
    assert "Search for at most 200 characters." in page.content.decode()


@pytest.mark.django_db
def test_the_lead_list_finds_a_phone_written_another_way(company: Company, client: Client) -> None:
    """The dropdown's "show all N leads" link lands on the list with the same text."""
    lead = company.lead(company.alice, phone="+1 415 555 0100")
    company.lead(company.alice, phone="+1 415 555 0199")
    client.force_login(company.alice)
    page = client.get("/leads/", {"q": "(415) 555-0100", "status": "all"})
    assert [row.pk for row in page.context["page"].rows] == [lead.pk]
    words = client.get("/leads/", {"q": "lobex", "status": "all"})  # substrings still match
    assert len(words.context["page"].rows) == 2
