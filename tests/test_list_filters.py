"""One filter definition per list: the UI list, the API list and the three CSV exports (UI,
API, CLI) give the same rows for the same query string, refuse unknown parameters and values
with a 422 (or a non-zero exit) naming the parameter, and sort and page alike."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import ApiClient, Company
from opportune.accounts.filters import AccountFilterSet, ContactFilterSet
from opportune.activities.filters import ActivityFilterSet
from opportune.activities.models import Activity
from opportune.api import api as ninja_api
from opportune.cli import main
from opportune.filtering import ListFilterSet
from opportune.imports.filters import ImportJobFilterSet
from opportune.leads.filters import LeadFilterSet
from opportune.leads.models import LeadStatus
from opportune.opportunities.filters import OpportunityFilterSet
from opportune.opportunities.models import Opportunity, Stage
from opportune.web.testing import plain_static_files  # noqa: F401

pytestmark = pytest.mark.usefixtures("plain_static_files")


@dataclass(frozen=True)
class Listing:
    target: str  # the export target, also the API path
    page: str  # the UI list's URL name
    filterset: type[ListFilterSet]


LEADS = Listing("leads", "leads:list", LeadFilterSet)
ACCOUNTS = Listing("accounts", "accounts:list", AccountFilterSet)
CONTACTS = Listing("contacts", "accounts:contacts", ContactFilterSet)
OPPORTUNITIES = Listing("opportunities", "opportunities:list", OpportunityFilterSet)
LISTINGS = [LEADS, ACCOUNTS, CONTACTS, OPPORTUNITIES]


def _ui_ids(client: Client, listing: Listing, params: dict[str, Any]) -> set[int]:
    response = client.get(reverse(listing.page), params)
    assert response.status_code == 200, response.content[:500]
    assert not response.context["page"].next_cursor, "the test data fits one page"
    return {row.pk for row in response.context["page"].rows}


def _api_ids(api_client: ApiClient, listing: Listing, params: dict[str, Any]) -> set[int]:
    response = api_client.get(f"/api/v1/{listing.target}", limit=200, **params)
    assert response.status_code == 200, response.content[:500]
    assert response.json()["next"] is None
    return {item["id"] for item in response.json()["items"]}


def _csv_ids(text: str) -> set[int]:
    return {int(row["id"]) for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))}


def _streamed(response: Any) -> str:
    assert response.status_code == 200, getattr(response, "content", b"")[:500]
    text: str = response.getvalue().decode("utf-8")
    return text


def _ui_export_ids(client: Client, listing: Listing, params: dict[str, Any]) -> set[int]:
    response = client.get(reverse("imports:export", args=[listing.target]), params)
    return _csv_ids(_streamed(response))


def _api_export_ids(api_client: ApiClient, listing: Listing, params: dict[str, Any]) -> set[int]:
    return _csv_ids(_streamed(api_client.get(f"/api/v1/exports/{listing.target}", **params)))


def _cli_export_ids(
    listing: Listing, username: str, params: dict[str, Any], tmp_path: Path
) -> set[int]:
    out = tmp_path / f"{listing.target}.csv"
    argv = ["export", listing.target, "--user", username, "-o", str(out)]
    for name, value in params.items():
        argv += ["--filter", f"{name}={value}"]
    assert main(argv) == 0
    return _csv_ids(out.read_text(encoding="utf-8"))


def _everywhere(
    company: Company,
    client: Client,
    api: Callable[..., Any],
    listing: Listing,
    params: dict[str, Any],
    tmp_path: Path,
) -> dict[str, set[int]]:
    """The ids Maria (East's manager) gets for ``params`` from every entry point."""
    client.force_login(company.maria)
    api_client = api(company.maria)
    return {
        "ui list": _ui_ids(client, listing, params),
        "api list": _api_ids(api_client, listing, params),
        "ui export": _ui_export_ids(client, listing, params),
        "api export": _api_export_ids(api_client, listing, params),
        "cli export": _cli_export_ids(listing, "maria", params, tmp_path),
    }


def _assert_same(found: dict[str, set[int]], expected: set[int]) -> None:
    assert expected
    for where, ids in found.items():
        assert ids == expected, where


# --- the same filter gives the same ids everywhere ------------------------------------------


def test_the_same_lead_filter_gives_the_same_ids_in_ui_api_and_exports(
    company: Company, client: Client, api: Callable[..., Any], tmp_path: Path
) -> None:
    closed = LeadStatus.objects.get(key="unqualified")
    match = {"source": "web", "phone": "+1 555 0100"}
    wanted = company.lead(company.alice, **match)
    also = company.lead(company.bob, **match)
    company.lead(company.alice, source="event", phone="+1 555 0100")  # other source
    company.lead(company.alice, source="web", phone="+1 777 0100")  # search misses
    company.lead(company.alice, status=closed, disqualify_reason="x", **match)  # closed
    company.lead(company.charlie, **match)  # not Maria's to see
    params = {"source": "web", "status": "open", "q": "555"}
    found = _everywhere(company, client, api, LEADS, params, tmp_path)
    _assert_same(found, {wanted.pk, also.pk})


def test_the_same_account_filter_gives_the_same_ids_in_ui_api_and_exports(
    company: Company, client: Client, api: Callable[..., Any], tmp_path: Path
) -> None:
    wanted = company.account(company.alice, "Acme", phone="+1 555 0100")
    company.account(company.alice, "Initech")  # search misses
    company.account(company.bob, "Acme East")  # other owner
    company.account(company.charlie, "Acme West")  # not Maria's to see
    params = {"owner_id": company.alice.pk, "q": "acme"}
    found = _everywhere(company, client, api, ACCOUNTS, params, tmp_path)
    _assert_same(found, {wanted.pk})


def test_the_same_contact_filter_gives_the_same_ids_in_ui_api_and_exports(
    company: Company, client: Client, api: Callable[..., Any], tmp_path: Path
) -> None:
    acme = company.account(company.alice, "Acme")
    wanted = company.contact(company.alice, acme, last_name="Cole", phone="+1 555 0100")
    also = company.contact(company.bob, acme, last_name="Cole")
    company.contact(company.alice, acme, last_name="Dane")  # search misses
    company.contact(company.alice, company.account(company.alice, "Other"), last_name="Cole")
    company.contact(company.charlie, acme, last_name="Cole")  # not Maria's to see
    params = {"account_id": acme.pk, "q": "cole"}
    found = _everywhere(company, client, api, CONTACTS, params, tmp_path)
    _assert_same(found, {wanted.pk, also.pk})


def test_the_same_opportunity_filter_gives_the_same_ids_in_ui_api_and_exports(
    company: Company, client: Client, api: Callable[..., Any], tmp_path: Path
) -> None:
    wanted = company.opportunity(company.alice, name="Globex renewal")
    also = company.opportunity(company.bob, name="Globex expansion")
    won = company.opportunity(company.alice, name="Globex pilot")
    Opportunity.objects.filter(pk=won.pk).update(
        is_closed=True, is_won=True, stage=Stage.objects.get(key="closed_won")
    )
    company.opportunity(company.alice, name="Initech renewal")  # search misses
    company.opportunity(company.charlie, name="Globex west")  # not Maria's to see
    params = {"state": "open", "q": "globex"}
    found = _everywhere(company, client, api, OPPORTUNITIES, params, tmp_path)
    _assert_same(found, {wanted.pk, also.pk})


def test_the_activity_list_filters_with_its_filterset(
    company: Company, api: Callable[..., Any]
) -> None:
    lead = company.lead(company.alice)
    task = Activity.objects.create(kind="task", subject="Call", owner=company.alice, lead=lead)
    Activity.objects.create(kind="note", subject="Met", owner=company.alice, lead=lead)
    other = company.lead(company.charlie)
    Activity.objects.create(kind="task", subject="Call", owner=company.charlie, lead=other)
    response = api(company.maria).get("/api/v1/activities", kind="task", is_done="false")
    assert [item["id"] for item in response.json()["items"]] == [task.pk]


def test_a_filter_never_widens_what_the_user_sees(
    company: Company, client: Client, api: Callable[..., Any]
) -> None:
    company.lead(company.charlie, source="web")
    client.force_login(company.alice)
    params = {"status": "all", "owner": company.charlie.pk}
    assert _ui_ids(client, LEADS, params) == set()
    assert _api_ids(api(company.alice), LEADS, {"owner_id": company.charlie.pk}) == set()


def test_the_lead_list_opens_on_open_leads_and_its_export_link_says_so(
    company: Company, client: Client
) -> None:
    closed = LeadStatus.objects.get(key="unqualified")
    open_lead = company.lead(company.alice)
    company.lead(company.alice, status=closed, disqualify_reason="x")
    client.force_login(company.alice)
    response = client.get(reverse("leads:list"))
    assert {lead.pk for lead in response.context["page"].rows} == {open_lead.pk}
    assert response.context["list_query"] == "status=open"
    page = response.content.decode()
    assert "export/leads.csv?status=open" in page
    assert "/lead-statuses" not in page, "API parameter help stays out of the filter bar"


# --- unknown values and parameters are a 422 naming the parameter ----------------------------

BAD_QUERIES = [
    pytest.param(LEADS, {"status": "nosuch"}, "status", id="lead status"),
    pytest.param(LEADS, {"source": "nosuch"}, "source", id="lead source"),
    pytest.param(LEADS, {"is_converted": "maybe"}, "is_converted", id="lead boolean"),
    pytest.param(LEADS, {"created_from": "yesterday"}, "created_from", id="lead date"),
    pytest.param(LEADS, {"colour": "red"}, "colour", id="lead unknown parameter"),
    pytest.param(ACCOUNTS, {"owner": "someone"}, "owner", id="account owner"),
    pytest.param(ACCOUNTS, {"colour": "red"}, "colour", id="account unknown parameter"),
    pytest.param(CONTACTS, {"account_id": "acme"}, "account_id", id="contact account"),
    pytest.param(CONTACTS, {"colour": "red"}, "colour", id="contact unknown parameter"),
    pytest.param(OPPORTUNITIES, {"stage": "nosuch"}, "stage", id="opportunity stage"),
    pytest.param(OPPORTUNITIES, {"pipeline": "nosuch"}, "pipeline", id="opportunity pipeline"),
    pytest.param(OPPORTUNITIES, {"colour": "red"}, "colour", id="opportunity unknown parameter"),
]


@pytest.mark.parametrize(("listing", "params", "name"), BAD_QUERIES)
def test_the_api_list_and_export_answer_422_naming_a_bad_parameter(
    company: Company, api: Callable[..., Any], listing: Listing, params: dict[str, Any], name: str
) -> None:
    client = api(company.alice)
    for path in (f"/api/v1/{listing.target}", f"/api/v1/exports/{listing.target}"):
        response = client.get(path, **params)
        assert response.status_code == 422, path
        assert response["Content-Type"] == "application/problem+json"
        assert list(response.json()["errors"]) == [name], path


@pytest.mark.parametrize(("listing", "params", "name"), BAD_QUERIES)
def test_the_ui_list_answers_422_and_shows_the_bad_parameter(
    company: Company, client: Client, listing: Listing, params: dict[str, Any], name: str
) -> None:
    company.lead(company.alice)
    client.force_login(company.alice)
    response = client.get(reverse(listing.page), params)
    assert response.status_code == 422
    assert list(response.context["filter_errors"]) == [name]
    assert response.context["page"].rows == []
    assert f"<code>{name}</code>" in response.content.decode()
    export = client.get(reverse("imports:export", args=[listing.target]), params)
    assert export.status_code == 422
    assert name in export.content.decode()


def test_the_activity_api_refuses_an_unknown_kind_and_parameter(
    company: Company, api: Callable[..., Any]
) -> None:
    client = api(company.alice)
    assert list(client.get("/api/v1/activities", kind="fax").json()["errors"]) == ["kind"]
    assert list(client.get("/api/v1/activities", colour="red").json()["errors"]) == ["colour"]


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        (["--status", "nosuch"], "status"),
        (["--filter", "colour=red"], "colour"),
        (["--filter", "colour"], "filter"),
    ],
)
def test_the_cli_export_exits_non_zero_naming_a_bad_parameter(
    company: Company,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    name: str,
) -> None:
    out = tmp_path / "leads.csv"
    assert main(["export", "leads", "--user", "alice", "-o", str(out), *argv]) == 1
    error = capsys.readouterr().err
    assert len(error.strip().splitlines()) == 1
    assert name in error
    assert not out.exists()


def test_paging_and_sort_parameters_are_not_filters_but_allowed(
    company: Company, client: Client, api: Callable[..., Any]
) -> None:
    company.lead(company.alice)
    client.force_login(company.alice)
    ui = client.get(reverse("leads:list"), {"sort": "name", "cursor": "", "page": "1"})
    assert ui.status_code == 200
    assert api(company.alice).get("/api/v1/leads", sort="-name", limit=5).status_code == 200
    export = client.get(reverse("imports:export", args=["leads"]), {"sort": "name"})
    assert export.status_code == 200


# --- sort ------------------------------------------------------------------------------------


@pytest.mark.parametrize("sort", ["name", "-name", "company", "-created", "updated"])
def test_api_and_ui_sort_leads_alike_and_cursor_pages_are_stable_and_complete(
    company: Company, client: Client, api: Callable[..., Any], sort: str
) -> None:
    for number, name in enumerate(["Mills", "Adams", "Mills", "Zorn", "Baker", "Mills", "Adams"]):
        company.lead(company.alice, last_name=name, company=f"Co {number % 3}")
    client.force_login(company.alice)
    ui = client.get(reverse("leads:list"), {"status": "all", "sort": sort})
    ui_order = [lead.pk for lead in ui.context["page"].rows]
    assert len(ui_order) == 7
    api_client = api(company.alice)
    walked: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"sort": sort, "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = api_client.get("/api/v1/leads", **params).json()
        walked += [item["id"] for item in page["items"]]
        cursor = page["next"]
        if not cursor:
            break
    assert walked == ui_order


@pytest.mark.parametrize("listing", LISTINGS, ids=lambda listing: listing.target)
def test_every_ui_sort_key_is_an_api_sort_key(
    company: Company, client: Client, api: Callable[..., Any], listing: Listing
) -> None:
    client.force_login(company.maria)
    api_client = api(company.maria)
    for key in listing.filterset.sort_keys():
        assert client.get(reverse(listing.page), {"sort": key}).status_code == 200, key
        assert api_client.get(f"/api/v1/{listing.target}", sort=key).status_code == 200, key


def test_an_unknown_sort_is_a_422_naming_sort(
    company: Company, client: Client, api: Callable[..., Any]
) -> None:
    response = api(company.alice).get("/api/v1/leads", sort="colour")
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["sort"]
    client.force_login(company.alice)
    assert client.get(reverse("leads:list"), {"sort": "colour"}).status_code == 422


def test_a_cursor_of_another_sort_is_a_422_naming_cursor(
    company: Company, api: Callable[..., Any]
) -> None:
    for name in ["A", "B", "C"]:
        company.lead(company.alice, last_name=name)
    client = api(company.alice)
    cursor = client.get("/api/v1/leads", sort="name", limit=1).json()["next"]
    response = client.get("/api/v1/leads", sort="company", limit=1, cursor=cursor)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["cursor"]


# --- the OpenAPI document describes the FilterSets' parameters --------------------------------


@pytest.mark.parametrize(
    ("path", "filterset"),
    [
        ("/api/v1/leads", LeadFilterSet),
        ("/api/v1/accounts", AccountFilterSet),
        ("/api/v1/contacts", ContactFilterSet),
        ("/api/v1/opportunities", OpportunityFilterSet),
        ("/api/v1/activities", ActivityFilterSet),
        ("/api/v1/imports", ImportJobFilterSet),
        ("/api/v1/exports/leads", LeadFilterSet),
        ("/api/v1/exports/accounts", AccountFilterSet),
        ("/api/v1/exports/contacts", ContactFilterSet),
        ("/api/v1/exports/opportunities", OpportunityFilterSet),
    ],
)
def test_openapi_lists_exactly_the_filterset_parameters(
    path: str, filterset: type[ListFilterSet]
) -> None:
    operation = ninja_api.get_openapi_schema()["paths"][path]["get"]
    names = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
    exports = {"format"} if path.startswith("/api/v1/exports/") else set()  # csv or xlsx
    assert names == set(filterset.names()) | {"limit", "cursor", "sort", "count"} | exports
    sort = next(p for p in operation["parameters"] if p["name"] == "sort")
    assert sort["schema"]["enum"] == filterset.sort_keys()


# --- filtering stays set-based -----------------------------------------------------------------

FILTERED = {
    "leads": {"status": "open", "q": "lead", "owner": "me", "source": "web"},
    "accounts": {"q": "account", "owner": "me"},
    "contacts": {"q": "contact", "owner": "me"},
    "opportunities": {"state": "open", "q": "deal", "owner": "me", "stage": "prospecting"},
}


def _populate(company: Company, rows: int) -> None:
    for number in range(rows):
        company.lead(company.alice, last_name=f"Lead {number}", source="web")
        account = company.account(company.alice, f"Account {number}")
        company.contact(company.alice, account, last_name=f"Contact {number}")
        company.opportunity(company.alice, name=f"Deal {number}", account=account)


def _count(client: Client, path: str, params: dict[str, Any]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(path, params).status_code == 200
    return len(queries)


@pytest.mark.parametrize("listing", LISTINGS, ids=lambda listing: listing.target)
def test_a_filtered_list_page_costs_the_same_queries_for_3_or_30_rows(
    company: Company,
    client: Client,
    api: Callable[..., Any],
    listing: Listing,
    django_assert_num_queries: Any,
) -> None:
    params = FILTERED[listing.target]
    client.force_login(company.alice)
    api_client = api(company.alice).client
    path = reverse(listing.page)
    api_path = f"/api/v1/{listing.target}"
    _populate(company, 3)
    client.get(path, params), api_client.get(api_path, params)  # first calls warm caches
    ui_queries = _count(client, path, params)
    api_queries = _count(api_client, api_path, params)
    _populate(company, 27)
    with django_assert_num_queries(ui_queries):
        page = client.get(path, params)
    assert len(page.context["page"].rows) == 30
    with django_assert_num_queries(api_queries):
        found = api_client.get(api_path, params).json()["items"]
    assert len(found) == 30


def test_the_activity_and_import_lists_filter_set_based_and_strictly(
    company: Company, api: Callable[..., Any], django_assert_num_queries: Any
) -> None:
    client = api(company.alice).client
    lead = company.lead(company.alice)
    for number in range(3):
        Activity.objects.create(
            kind="task", subject=f"Call {number}", owner=company.alice, lead=lead
        )
    params = {"kind": "task", "is_done": "false", "owner": "me", "sort": "-created"}
    client.get("/api/v1/activities", params)
    queries = _count(client, "/api/v1/activities", params)
    for number in range(27):
        Activity.objects.create(
            kind="task", subject=f"Call {number}", owner=company.alice, lead=lead
        )
    with django_assert_num_queries(queries):
        assert len(client.get("/api/v1/activities", params).json()["items"]) == 30
    jobs = client.get("/api/v1/imports", {"target": "leads", "dry_run": "true"})
    assert jobs.status_code == 200
    assert jobs.json() == {"items": [], "next": None}
    refused = client.get("/api/v1/imports", {"target": "deals", "colour": "red"})
    assert refused.status_code == 422
    assert set(refused.json()["errors"]) == {"target", "colour"}


# --- the filters' own rules ---------------------------------------------------------------------


def test_a_status_added_after_a_request_filters_at_once(
    company: Company, api: Callable[..., Any]
) -> None:
    client = api(company.alice)
    assert client.get("/api/v1/leads", status="on_hold").status_code == 422
    on_hold = LeadStatus.objects.create(key="on_hold", label="On hold", order=99)
    held = company.lead(company.alice, status=on_hold)
    company.lead(company.alice)
    response = client.get("/api/v1/leads", status="on_hold")
    assert [item["id"] for item in response.json()["items"]] == [held.pk]


def test_every_search_word_must_match_some_field(company: Company, api: Callable[..., Any]) -> None:
    both = company.lead(company.alice, last_name="Lovelace", company="Analytical Engines")
    company.lead(company.alice, last_name="Lovelace", company="Babbage & Co")
    response = api(company.alice).get("/api/v1/leads", q="lovelace analytical")
    assert [item["id"] for item in response.json()["items"]] == [both.pk]


def test_created_from_and_to_are_whole_days_inclusive(
    company: Company, api: Callable[..., Any]
) -> None:
    import datetime as dt

    from django.utils import timezone

    from opportune.leads.models import Lead

    def lead_created(day: int, hour: int) -> int:
        lead = company.lead(company.alice)
        moment = timezone.make_aware(dt.datetime(2026, 3, day, hour))
        Lead.objects.filter(pk=lead.pk).update(created_at=moment)
        return lead.pk

    lead_created(9, 23)
    first = lead_created(10, 0)
    last = lead_created(11, 23)
    lead_created(12, 0)
    response = api(company.alice).get(
        "/api/v1/leads", created_from="2026-03-10", created_to="2026-03-11"
    )
    assert {item["id"] for item in response.json()["items"]} == {first, last}


def test_an_unknown_filter_value_is_named_with_the_values_there_are(
    company: Company, api: Any
) -> None:
    answer = api(company.alice).get("/api/v1/leads", source="carrier_pigeon")
    assert answer.status_code == 422
    [message] = answer.json()["errors"]["source"]
    assert message.startswith("Unknown value 'carrier_pigeon'; use one of: web, ")
