"""Every write path records the field history, and the history is shown where the record is."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Model
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django import Settings

from conftest import ApiClient, Company
from opportune.activities.models import Activity
from opportune.audit.models import FieldChange
from opportune.capture.merge import merge_leads
from opportune.capture.models import WebForm
from opportune.identity.models import User
from opportune.imports.tests.helpers import run_import
from opportune.leads.conversion import convert_lead
from opportune.leads.models import Lead
from opportune.leads.schemas import ConversionOptions
from opportune.web.testing import logged_in, plain_static_files  # noqa: F401


def changes(kind: str, pk: int) -> list[tuple[str, str, str]]:
    rows = FieldChange.objects.filter(record_type=kind, record_id=pk).order_by("pk")
    return [(r.field, r.old_value, r.new_value) for r in rows]


def test_account_changes_through_the_api_are_recorded(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    client = api(company.alice)
    account = client.post("/api/v1/accounts", {"name": "Initech"}).json()
    client.patch(f"/api/v1/accounts/{account['id']}", {"industry": "Software"})
    assert changes("account", account["id"]) == [
        ("created", "", "Initech"),
        ("industry", "", "Software"),
    ]
    items = client.get(f"/api/v1/accounts/{account['id']}/changes").json()["items"]
    assert [(i["field"], i["label"], i["new_value"]) for i in items] == [
        ("industry", "Industry", "Software"),
        ("created", "Created", "Initech"),
    ]
    assert items[0]["changed_by_id"] == company.alice.pk


def test_contact_and_activity_changes_are_recorded(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    client = api(company.alice)
    contact = client.post("/api/v1/contacts", {"last_name": "Ng"}).json()
    client.patch(f"/api/v1/contacts/{contact['id']}", {"title": "CFO"})
    assert changes("contact", contact["id"])[-1] == ("title", "", "CFO")
    note = client.post(
        "/api/v1/activities", {"kind": "note", "subject": "Hi", **{"contact_id": contact["id"]}}
    ).json()
    client.patch(f"/api/v1/activities/{note['id']}", {"subject": "Hello"})
    assert changes("activity", note["id"])[-1] == ("subject", "Hi", "Hello")


def test_web_to_lead_resubmission_records_field_history(company: Company) -> None:
    WebForm.objects.create(
        name="Contact us",
        key="contact-us",
        fields="first_name,last_name,email,company,phone,title",
        required_fields="last_name,email",
        created_by=company.mark,
    )
    url = "/api/v1/web-to-lead/contact-us"
    Client().post(url, {"last_name": "Lo", "email": "lo@hooli.example"})
    Client().post(url, {"last_name": "Lo", "email": "lo@hooli.example", "title": "CTO"})
    lead = Lead.objects.get()
    assert lead.title == "CTO"
    assert changes("lead", lead.pk)[-1] == ("title", "", "CTO")
    assert FieldChange.objects.get(record_type="lead", field="title").changed_by is None


def test_conversion_records_the_new_records_and_what_it_filled(company: Company) -> None:
    account = company.account(company.alice, "Globex Corporation")
    lead = company.qualified_lead(company.alice, website="globex.example")
    Activity.objects.create(kind="note", subject="Met", owner=company.alice, lead=lead)
    result = convert_lead(company.alice, lead.pk, ConversionOptions(account_id=account.pk))
    assert ("website", "", "globex.example") in changes("account", account.pk)
    assert changes("contact", result.contact.pk)[0][0] == "created"
    assert result.opportunity is not None
    assert changes("opportunity", result.opportunity.pk)[0][0] == "created"
    note = Activity.objects.get()
    assert ("contact", "", str(result.contact.pk)) in changes("activity", note.pk)
    assert ("status", "qualified", "converted") in changes("lead", lead.pk)


def test_a_merge_records_what_it_merged(company: Company) -> None:
    master, twin = company.lead(company.alice), company.lead(company.alice, last_name="Twin")
    merge_leads(company.alice, master.pk, [twin.pk])
    assert changes("lead", master.pk)[-1][0] == "merged"


def test_an_import_that_updates_accounts_records_their_history(
    company: Company, settings: Settings, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    account = company.account(company.maria, "Initech")
    job = run_import(
        company.maria, "Account Name,Industry\nInitech,Banking\n", "accounts", match_key="name"
    )
    assert job.status == "done", job.failure
    assert ("industry", "", "Banking") in changes("account", account.pk)


def test_the_history_api_pages_newest_first(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    client = api(company.alice)
    account = client.post("/api/v1/accounts", {"name": "Initech"}).json()
    for n in range(5):
        client.patch(f"/api/v1/accounts/{account['id']}", {"phone": f"555-000{n}"})
    first = client.get(f"/api/v1/accounts/{account['id']}/changes", limit=4).json()
    assert [i["new_value"] for i in first["items"]] == [f"555-000{n}" for n in (4, 3, 2, 1)]
    rest = client.get(f"/api/v1/accounts/{account['id']}/changes", cursor=first["next"]).json()
    assert [i["field"] for i in rest["items"]] == ["phone", "created"]
    assert rest["next"] is None


def test_the_history_is_visible_only_with_the_record(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    account = company.account(company.alice, "Initech")
    assert api(company.charlie).get(f"/api/v1/accounts/{account.pk}/changes").status_code == 404
    assert api(company.maria).get(f"/api/v1/accounts/{account.pk}/changes").status_code == 200
    deal = company.opportunity(company.alice)
    assert api(company.mark).get(f"/api/v1/opportunities/{deal.pk}/changes").status_code == 404


def test_the_history_list_costs_the_same_queries_for_3_and_30_changes(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    client = api(company.maria)
    client.get("/api/v1/me")
    account = client.post("/api/v1/accounts", {"name": "Initech"}).json()
    path = f"/api/v1/accounts/{account['id']}/changes"

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path, limit=200).status_code == 200
        return len(queries)

    client.patch(f"/api/v1/accounts/{account['id']}", {"owner_id": company.alice.pk})
    few = count()
    for n in range(27):
        client.patch(f"/api/v1/accounts/{account['id']}", {"phone": f"555-{n}"})
    assert count() == few


@pytest.mark.parametrize("kind", ["lead", "account", "contact", "opportunity"])
def test_the_history_tab_renders_on_the_record_page(
    company: Company, client: Client, kind: str
) -> None:
    factories: dict[str, Callable[[], Model]] = {
        "lead": lambda: company.lead(company.alice),
        "account": lambda: company.account(company.alice),
        "contact": lambda: company.contact(company.alice, None),
        "opportunity": lambda: company.opportunity(company.alice),
    }
    record = factories[kind]()
    FieldChange.objects.create(
        record_type=kind,
        record_id=record.pk,
        field="owner",
        old_value=str(company.bob.pk),
        new_value=str(company.alice.pk),
        changed_by=company.maria,
    )
    page = logged_in(client, company.alice)
    path = {
        "lead": "leads",
        "account": "accounts",
        "contact": "contacts",
        "opportunity": "opportunities",
    }[kind]
    detail = page.get(f"/{path}/{record.pk}/").content.decode()
    assert "History" in detail
    tab = page.get(f"/{path}/{record.pk}/history/").content.decode()
    assert "Owner" in tab and "Bob" in tab and "Alice" in tab and "Maria" in tab


def test_the_history_tab_names_stages_and_accounts_not_their_ids(
    company: Company, client: Client, api: Callable[[User], ApiClient]
) -> None:
    deal = company.opportunity(company.alice)
    other = company.account(company.alice, "Umbrella")
    api(company.alice).patch(
        f"/api/v1/opportunities/{deal.pk}", {"stage": "negotiation", "account_id": other.pk}
    )
    tab = logged_in(client, company.alice).get(f"/opportunities/{deal.pk}/history/")
    text = tab.content.decode()
    assert "Negotiation" in text and "Prospecting" in text and "Umbrella" in text
