"""The activity import's rules: a reference that finds nothing, an unknown owner or a row that
names no record is reported at its row (never silently dropped); the batch's links are found
with a fixed number of queries, whatever its size; the records' own ids (our export) link in
the same installation; activities take no custom fields; the CLI and the API take the target."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import ApiClient, Company
from opportune.activities.models import Activity
from opportune.errors import RuleViolation
from opportune.imports.activity_importer import ActivityImporter
from opportune.imports.mapping import Mapping
from opportune.imports.models import ImportJob
from opportune.imports.reading import Row
from opportune.imports.services import create_job
from opportune.imports.tests.helpers import issues, run_import, stored
from opportune.leads.models import LeadStatus

ACCOUNTS = "Name\nAcme Corporation\nGlobex\n"


def _reasons(job: ImportJob) -> list[tuple[int, str, str]]:
    return list(job.row_errors.values_list("line", "column", "reason"))


def test_a_link_that_matches_nothing_is_reported_at_its_row_and_the_others_import(
    company: Company,
) -> None:
    run_import(company.ada, ACCOUNTS, "accounts")
    job = run_import(
        company.ada,
        "Type,Subject,Organization,Person\n"
        "Call,Ring Acme,Acme Corporation,\n"
        "Call,Ring Nobody,Nobody Inc,\n"
        "Email,Mail Ghost,Globex,ghost@nowhere.example\n",
        "activities",
    )
    assert (job.created, job.invalid) == (1, 2)
    assert issues(job) == [(3, "Organization", "invalid"), (4, "Person", "invalid")]
    assert "No account 'Nobody Inc' that you can see" in _reasons(job)[0][2]
    assert "No contact or lead 'ghost@nowhere.example'" in _reasons(job)[1][2]
    assert list(Activity.objects.values_list("subject", flat=True)) == ["Ring Acme"]


def test_the_dry_run_reports_the_links_that_match_nothing_and_writes_nothing(
    company: Company,
) -> None:
    run_import(company.ada, ACCOUNTS, "accounts")
    csv = "Type,Subject,Account\nCall,A,Acme Corporation\nCall,B,Initech\n"
    job = run_import(company.ada, csv, "activities", dry_run=True)
    assert (job.created, job.invalid, issues(job)) == (1, 1, [(3, "Account", "invalid")])
    assert not Activity.objects.exists()


def test_an_unknown_or_read_only_owner_and_a_row_naming_no_record_are_reported(
    company: Company,
) -> None:
    run_import(company.ada, ACCOUNTS, "accounts")
    job = run_import(
        company.ada,
        "Type,Subject,Account,Owner\n"
        "Call,Known,Acme Corporation,alice\n"
        "Call,Stranger,Acme Corporation,zed\n"
        "Call,Reader,Acme Corporation,rita\n"
        "Call,Nowhere,,alice\n",
        "activities",
    )
    assert (job.created, job.invalid) == (1, 3)
    reasons = _reasons(job)
    assert reasons[0] == (3, "Owner", "No user is named 'zed'.")
    assert reasons[1] == (4, "Owner", "rita is read-only and cannot own activities.")
    assert reasons[2][0] == 5 and "names no record" in reasons[2][2]
    assert Activity.objects.get().owner == company.alice


def test_our_own_ids_link_in_the_same_installation(company: Company) -> None:
    acme = company.account(company.alice, "Acme")
    lead = company.lead(company.alice)
    job = run_import(
        company.ada,
        f"kind,subject,account_id,lead_id,is_done,done_at\n"
        f"meeting,Kick-off,{acme.pk},,True,2025-01-02 10:00:00+00:00\n"
        f"task,Call back,,{lead.pk},False,\n"
        f"task,Lost,,999999,False,\n",
        "activities",
    )
    assert (job.created, job.invalid) == (2, 1)
    kickoff = Activity.objects.get(subject="Kick-off")
    assert (kickoff.account, kickoff.done_at) == (acme, dt.datetime(2025, 1, 2, 10, tzinfo=dt.UTC))
    assert Activity.objects.get(subject="Call back").lead == lead
    assert "No lead '999999'" in _reasons(job)[0][2]


def _importer(company: Company) -> ActivityImporter:
    headers = ["Type", "Subject", "Account", "Deal", "Person", "WhoId"]
    job = ImportJob.objects.create(
        target="activities", path="unused.csv", filename="a.csv", created_by=company.ada
    )
    return ActivityImporter(job, Mapping.resolve("activities", headers))


def _rows(count: int) -> list[Row]:
    return [
        Row(
            line=i + 2,
            values={
                "Type": "Call",
                "Subject": f"Call {i}",
                "Account": f"Account {i % 7}",
                "Deal": f"Deal {i % 5}",
                "Person": f"person{i % 3}@example.com",
                "WhoId": f"00Q{i:05d}",
            },
        )
        for i in range(count)
    ]


@pytest.mark.parametrize("count", [3, 60])
def test_the_links_of_a_batch_are_found_with_the_same_queries_whatever_its_size(
    company: Company, count: int
) -> None:
    """One external-id probe and one query per kind of record, not one per row."""
    for i in range(7):
        company.account(company.alice, f"Account {i}")
    importer = _importer(company)
    checked = importer.check(_rows(count))
    with CaptureQueriesContext(connection) as queries:
        outcome = importer.settle(checked)
    selects = [  # reads of tables (PostgreSQL's session settings are selects without FROM)
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and " FROM " in q["sql"]
    ]
    tables = [sql.split(" FROM ")[1].split()[0].strip('"') for sql in selects]
    # One probe of the external ids, one query per kind of record (the batch has no ids of
    # its own, so no seen-key lookup); savepoints and PostgreSQL's index hint aside.
    assert sorted(tables) == [
        "accounts_account",
        "accounts_contact",
        "imports_externalid",
        "leads_lead",
        "opportunities_opportunity",
    ], selects
    assert outcome.counts.invalid == count  # no such contacts, deals or leads: reported


def test_activities_take_no_custom_fields(company: Company) -> None:
    mapping: dict[str, Any] = {
        "columns": {"Mood": "custom.mood"},
        "custom_fields": {"mood": {"label": "Mood", "type": "text"}},
    }
    with pytest.raises(RuleViolation) as refused:
        create_job(
            company.ada,
            "activities",
            stored("Subject,Account,Mood\nA,Acme,happy\n"),
            "a.csv",
            mapping=mapping,
        )
    assert "activities have no custom fields" in refused.value.detail


def test_the_api_imports_activities_and_exports_them(company: Company) -> None:
    company.account(company.alice, "Acme")
    client = ApiClient(company.ada)
    upload = SimpleUploadedFile("a.csv", b"Type,Subject,Account\nNote,Hello,Acme\n")
    response = client.client.post("/api/v1/imports", {"target": "activities", "file": upload})
    assert response.status_code in (201, 202), response.content
    assert response.json()["target"] == "activities"
    exported = client.get("/api/v1/exports/activities")
    assert exported.status_code == 200


def test_a_converted_leads_history_imports_but_nothing_after_its_conversion(
    company: Company,
) -> None:
    """An activity the file dates before the lead's conversion is history, and imports; one
    after it is refused at its row, as logging on a converted lead is."""
    converted_at = dt.datetime(2025, 5, 4, 10, tzinfo=dt.UTC)
    lead = company.lead(
        company.alice,
        email="conv@globex.example",
        status=LeadStatus.converted(),
        is_converted=True,
        converted_at=converted_at,
    )
    job = run_import(
        company.ada,
        "kind,subject,lead_id,created_at\n"
        f"call,Before,{lead.pk},2025-05-01 09:00:00+00:00\n"
        f"call,After,{lead.pk},2025-06-01 09:00:00+00:00\n",
        "activities",
    )
    assert (job.created, job.invalid) == (1, 1)
    assert Activity.objects.get().subject == "Before"
    assert _reasons(job) == [
        (3, "lead_id", "The lead was converted; log on its contact or opportunity.")
    ]


def test_the_wizard_takes_an_activities_file_without_offering_custom_fields(
    company: Company,
) -> None:
    client = Client()
    client.force_login(company.ada)
    upload = SimpleUploadedFile(
        "calls.csv", b"Activity - Type,Activity - Subject,Mood\nCall,Hi,ok\n"
    )
    response = client.post("/imports/", {"file": upload, "target": "activities"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Activity - Type" in page and 'value="kind"' in page
    assert "__new_custom_field__" not in page


def test_a_record_matched_by_email_learns_its_id_so_later_activities_can_name_it(
    company: Company,
) -> None:
    """A lead report (no ids) imported first, then the Data Loader export matched by email:
    the tasks name the records by the other system's ids, which the update recorded."""
    run_import(company.ada, "Last Name,Company,Email\nRogers,BTCA,jack@btca.example\n")
    run_import(company.ada, "Last Name,Email\nGonzalez,rose@edge.example\n", "contacts")
    by_id = "ID,Last Name,Company,Email\n00Q01,Rogers,BTCA,jack@btca.example\n"
    assert run_import(company.ada, by_id, match_key="email").updated == 1
    by_id = "ID,Last Name,Email\n00301,Gonzalez,rose@edge.example\n"
    assert run_import(company.ada, by_id, "contacts", match_key="email").updated == 1
    tasks = "ID,WHOID,SUBJECT,TYPE\n00T1,00Q01,Call Jack,Call\n00T2,00301,Mail Rose,Email\n"
    job = run_import(company.ada, tasks, "activities")
    assert (job.created, job.invalid) == (2, 0), _reasons(job)
    linked = Activity.objects.order_by("subject").values_list("lead__email", "contact__email")
    assert list(linked) == [("jack@btca.example", None), (None, "rose@edge.example")]
