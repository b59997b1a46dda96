# ruff: noqa: E501
"""Importing leads from CSV: automatic mapping of other CRMs' headers, dry run, row errors
with line and column, matching to update, in-file duplicates, assignment, duplicates
(PRODUCT.md section 6)."""

from __future__ import annotations

import pytest

from conftest import Company
from opportune.capture.models import AssignmentRule
from opportune.errors import RuleViolation
from opportune.imports.models import RowIssue
from opportune.leads.models import Lead

from .helpers import issues, run_import

SALESFORCE = """Id,FirstName,LastName,Company,Email,Phone,LeadSource,Status,OwnerId,NumberOfEmployees,AnnualRevenue
00Q1,Ada,Lovelace,Analytical Engines Ltd,ada@engines.example,(415) 555-0100,Web,Working,alice,120,"$1,200,000"
00Q2,Alan,Turing,Bletchley Park,alan@bletchley.example,,Partner Referral,New,,,
"""


def test_salesforce_export_headers_and_values_map_by_themselves(company: Company) -> None:
    job = run_import(company.maria, SALESFORCE)
    assert (job.status, job.created, job.invalid) == ("done", 2, 0)
    ada = Lead.objects.get(last_name="Lovelace")
    assert (ada.first_name, ada.company, ada.source, ada.status.key) == (
        "Ada",
        "Analytical Engines Ltd",
        "web",
        "working",
    )
    assert ada.owner == company.alice
    assert (ada.employees, str(ada.annual_revenue)) == (120, "1200000.00")
    assert ada.phone_key == "+14155550100"
    alan = Lead.objects.get(last_name="Turing")
    assert (alan.source, alan.owner) == ("referral", company.maria)


def test_hubspot_and_pipedrive_headers_map_too(company: Company) -> None:
    hubspot = (
        "Record ID,First Name,Last Name,Company Name,Email,Phone Number,Job Title,Country/Region\n"
    )
    hubspot += "1,Grace,Hopper,Navy,grace@navy.example,,Admiral,United States\n"
    pipedrive = "Person - Name,Organization - Name,Person - Email,Lead - Source\n"
    pipedrive += "Linus Torvalds,Linux Foundation,linus@linux.example,Event\n"
    assert run_import(company.mark, hubspot).created == 1
    assert run_import(company.mark, pipedrive).created == 1
    grace = Lead.objects.get(last_name="Hopper")
    assert (grace.title, grace.country) == ("Admiral", "US")  # countries are stored as codes
    linus = Lead.objects.get(last_name="Torvalds")
    assert (linus.first_name, linus.company, linus.source) == ("Linus", "Linux Foundation", "event")


def test_a_dry_run_reports_every_invalid_row_by_line_and_column_and_writes_nothing(
    company: Company,
) -> None:
    content = (
        "First Name,Last Name,Company,Email,Lead Source\n"
        "Ann,Lee,Acme,ann@acme.example,Web\n"
        "Bob,,Acme,bob@acme.example,Web\n"
        "Cy,Cole,Acme,not-an-email,Carrier pigeon\n"
    )
    job = run_import(company.mark, content, dry_run=True)
    assert (job.status, job.created, job.invalid, job.rows_done) == ("done", 1, 2, 3)
    assert issues(job) == [
        (3, "Last Name", "invalid"),
        (4, "Email", "invalid"),
        (4, "Lead Source", "unmapped_value"),
    ]
    reasons = [e.reason for e in job.row_errors.all()]
    assert "'last_name' is required." in reasons[0]
    assert "Carrier pigeon" in reasons[2]
    assert not Lead.objects.exists()


def test_a_missing_required_column_is_refused_before_any_row(company: Company) -> None:
    with pytest.raises(RuleViolation) as refused:
        run_import(company.mark, "First Name,Email\nAnn,ann@acme.example\n")
    assert "last_name or full_name" in refused.value.detail
    assert "company" in refused.value.detail


def test_matching_on_email_updates_instead_of_creating(company: Company) -> None:
    existing = company.lead(company.alice, email="ann@acme.example", title="")
    content = (
        "Last Name,Company,Email,Title\nLee,Acme,ANN@acme.example,CTO\nNew,Acme,new@acme.example,\n"
    )
    job = run_import(company.maria, content, match_key="email")
    assert (job.created, job.updated) == (1, 1)
    existing.refresh_from_db()
    assert existing.title == "CTO"


def test_matching_on_external_id_updates_what_an_earlier_import_created(company: Company) -> None:
    run_import(company.maria, SALESFORCE)
    changed = SALESFORCE.replace("Lovelace", "King-Lovelace").replace("ada@", "countess@")
    job = run_import(company.maria, changed, match_key="external_id")
    assert (job.created, job.updated) == (0, 2)
    assert Lead.objects.filter(last_name="King-Lovelace", email="countess@engines.example").exists()


def test_duplicates_inside_the_file_are_reported_and_skipped(company: Company) -> None:
    content = "Last Name,Company,Email\nA,Acme,a@acme.example\nB,Acme,A@ACME.example\n"
    job = run_import(company.mark, content)
    assert (job.created, job.skipped) == (1, 1)
    assert issues(job) == [(3, "Email", RowIssue.DUPLICATE_IN_FILE)]


def test_rows_like_existing_leads_are_created_and_flagged(company: Company) -> None:
    existing = company.lead(company.alice, email="ann@acme.example")
    job = run_import(company.maria, "Last Name,Company,Email\nLee,Acme,ann@acme.example\n")
    assert (job.created, job.possible_duplicates) == (1, 1)
    error = job.row_errors.get()
    assert error.kind == RowIssue.POSSIBLE_DUPLICATE
    assert f"#{existing.pk}" in error.reason


def test_assignment_rules_apply_to_imported_leads_unless_an_owner_is_given(
    company: Company,
) -> None:
    AssignmentRule.objects.create(name="East", round_robin_team=company.east)
    content = "Last Name,Company,Owner\nA,Acme,\nB,Acme,\nC,Acme,charlie\n"
    run_import(company.mark, content)
    owners = dict(Lead.objects.values_list("last_name", "owner__username"))
    assert owners == {"A": "alice", "B": "bob", "C": "charlie"}


def test_an_unknown_owner_is_a_row_error_unless_the_rules_may_assign(company: Company) -> None:
    content = "Last Name,Company,Owner\nA,Acme,nobody\n"
    assert run_import(company.mark, content).invalid == 1
    job = run_import(company.mark, content, mapping={"options": {"unknown_owner": "assign"}})
    assert job.created == 1


def test_a_saved_mapping_renames_columns_translates_values_and_fills_defaults(
    company: Company,
) -> None:
    content = "Lead Number,Lead Source,Do Not Email\n101,Olark Chat,Yes\n102,Select,No\n"
    mapping = {
        "columns": {"Lead Number": "last_name"},
        "values": {"source": {"Olark Chat": "web"}},
        "defaults": {"company": "(individual)"},
    }
    job = run_import(company.mark, content, mapping=mapping)
    assert job.created == 2
    lead = Lead.objects.get(last_name="101")
    assert (lead.company, lead.source, lead.email_opt_out) == ("(individual)", "web", True)
    assert Lead.objects.get(last_name="102").source == ""
