"""Picklist value mapping: every column whose field has a finite set of keys maps its file
values onto them (keys or labels, case and spacing ignored, the standard values of other
CRMs shipped); a value that maps to nothing is listed by the dry run with its count and rows
and mapped before the real run (to a key, a new value, or blank), never silently dropped."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from conftest import Company
from opportune.cli import main
from opportune.errors import RuleViolation
from opportune.identity.models import ApiToken
from opportune.imports import picklists
from opportune.imports.models import ImportJob, Target
from opportune.imports.picklists import Picklist, fold
from opportune.imports.services import create_job, run_job
from opportune.imports.unmapped import rerun, unmapped_values
from opportune.leads.models import Lead, LeadStatus
from opportune.opportunities.models import Opportunity, Pipeline, Stage

from .helpers import run_import, stored

STATUSES = "Last Name,Company,Lead Status,Lead Source\n"


def test_values_match_keys_and_labels_whatever_their_case_and_spacing() -> None:
    assert fold("Open - Not Contacted") == fold("open_not_contacted") == "open not contacted"
    picklist = Picklist("status", {"working": "Working", "unqualified": "Unqualified"})
    assert [picklist.find(v) for v in ("WORKING", " working ", "Working - Contacted")] == [
        "working",
        "working",
        "working",  # Salesforce's standard value
    ]
    assert picklist.find("In Progress") == "working"  # HubSpot's
    assert picklist.find("Closed - Converted") is None  # no such key here: unmapped


def test_an_unmapped_value_is_listed_by_the_dry_run_with_its_count_and_rows(
    company: Company,
) -> None:
    content = STATUSES + "".join(
        f"L{n},Acme,{status},{source}\n"
        for n, (status, source) in enumerate(
            [
                ("On Hold", "Web"),
                ("new", "Carrier pigeon"),
                ("ON HOLD", "web"),
                ("Working", "Trade Show"),
                ("on hold", "Carrier Pigeon"),
            ]
        )
    )
    job = run_import(company.ada, content, dry_run=True)
    assert (job.created, job.invalid) == (1, 4)
    listed = [
        (u.column, u.field, u.value.casefold(), u.count, u.lines) for u in unmapped_values(job)
    ]
    assert listed == [
        ("Lead Source", "source", "carrier pigeon", 2, [3, 6]),
        ("Lead Status", "status", "on hold", 3, [2, 4, 6]),
    ]


def test_unmapped_values_mapped_to_a_key_a_new_value_and_blank_then_import(
    company: Company,
) -> None:
    content = STATUSES + "Lee,Acme,On Hold,Carrier pigeon\nKim,Acme,On Hold,Web\nRo,Acme,New,Fax\n"
    dry = run_import(company.ada, content, dry_run=True)
    assert {(u.value, u.count) for u in unmapped_values(dry)} == {
        ("On Hold", 2),
        ("Carrier pigeon", 1),
        ("Fax", 1),
    }
    again = run_job(
        rerun(
            company.ada,
            dry,
            {"status": {"On Hold": "on_hold"}, "source": {"Carrier pigeon": "other", "Fax": ""}},
            {"status": {"on_hold": "On hold"}},
            dry_run=True,
        ).pk
    )
    assert (again.invalid, again.created) == (0, 3)
    assert not LeadStatus.objects.filter(key="on_hold").exists()  # a dry run adds nothing

    real = run_job(rerun(company.ada, again, {}, dry_run=False).pk)
    assert (real.invalid, real.created) == (0, 3)
    assert LeadStatus.objects.get(key="on_hold").label == "On hold"
    leads = dict(Lead.objects.values_list("last_name", "status__key"))
    assert leads == {"Lee": "on_hold", "Kim": "on_hold", "Ro": "new"}
    assert dict(Lead.objects.values_list("last_name", "source")) == {
        "Lee": "other",
        "Kim": "web",
        "Ro": "",
    }


def test_only_an_admin_adds_picklist_values_and_fixed_picklists_take_none(
    company: Company,
) -> None:
    mapping = {
        "values": {"status": {"On Hold": "on_hold"}},
        "new_values": {"status": {"on_hold": "On hold"}},
    }
    content = STATUSES + "Lee,Acme,On Hold,Web\n"
    with pytest.raises(RuleViolation, match="Only an admin adds picklist values"):
        create_job(company.maria, "leads", stored(content), "x.csv", mapping=mapping)
    fixed = {"new_values": {"source": {"fax": "Fax"}}}
    with pytest.raises(RuleViolation, match="new values cannot be added to 'source'"):
        create_job(company.ada, "leads", stored(content), "x.csv", mapping=fixed)


def test_a_picklist_of_another_app_is_mapped_the_same_way(
    company: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The seam for custom picklists: an app registers {field: Picklist} for a target."""

    def tiers(target: Target) -> dict[str, Picklist]:
        return (
            {"campaign": Picklist("campaign", {"gold": "Gold tier"})} if target == "leads" else {}
        )

    monkeypatch.setattr(picklists, "PROVIDERS", [tiers])
    content = "Last Name,Company,Campaign\nLee,Acme,GOLD TIER\nKim,Acme,Silver\n"
    job = run_import(company.ada, content, dry_run=True)
    assert [(u.field, u.value) for u in unmapped_values(job)] == [("campaign", "Silver")]
    job = run_import(company.ada, content, mapping={"values": {"campaign": {"Silver": "gold"}}})
    assert list(Lead.objects.values_list("campaign", flat=True)) == ["gold", "gold"]


def test_a_salesforce_closed_converted_lead_maps_to_the_converted_status(
    company: Company,
) -> None:
    """The value maps, and the lead imports as converted before import (history)."""
    job = run_import(company.ada, STATUSES + "Lee,Acme,Closed - Converted,Web\n", dry_run=True)
    assert not unmapped_values(job)
    assert [e.reason for e in job.row_errors.all()] == []
    assert (job.created, job.invalid) == (1, 0)


# --- the mapping file's shape ---------------------------------------------------------

WRONG = {"Given": "first_name"}


def test_a_mapping_of_the_wrong_shape_is_refused_naming_what_is_wrong(company: Company) -> None:
    with pytest.raises(RuleViolation) as refused:
        create_job(
            company.ada, "leads", stored("Given,Last Name,Company\nA,B,C\n"), "x.csv", mapping=WRONG
        )
    assert refused.value.errors == {"mapping": [refused.value.detail]}
    assert "no part 'Given'" in refused.value.detail
    assert '{"columns": {"Given": "first_name"}}' in refused.value.detail
    wrong_ones: list[tuple[dict[str, Any], str]] = [
        ({"columns": {"Given": "forename"}}, '"forename", which is not a field of leads'),
        ({"columns": ["Given"]}, '"columns" must be a JSON object'),
        ({"values": {"status": {"Open": "opened"}}}, "maps to 'opened', which is not a status"),
        ({"options": {"speed": "fast"}}, "no option 'speed'"),
        ({"defaults": {"colour": "red"}}, "default for 'colour'"),
    ]
    for bad, words in wrong_ones:
        with pytest.raises(RuleViolation, match=words.replace("(", r"\(").replace("[", r"\[")):
            create_job(
                company.ada, "leads", stored("Last Name,Company\nB,C\n"), "x.csv", mapping=bad
            )


def test_the_cli_and_the_api_say_so_too(
    company: Company, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "leads.csv"
    source.write_text("Given,Last Name,Company\nAnn,Lee,Acme\n")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(WRONG))
    assert main(["import", "leads", str(source), "--mapping", str(mapping)]) == 1
    assert "no part 'Given'" in capsys.readouterr().err

    _, raw = ApiToken.issue(company.ada, "tests")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    with source.open("rb") as upload:
        response = client.post("/api/v1/imports", {"file": upload, "mapping": json.dumps(WRONG)})
    assert response.status_code == 422
    assert "no part 'Given'" in response.json()["errors"]["mapping"][0]
    saved = client.post(
        "/api/v1/import-mappings",
        {"name": "Bad", "columns": {"Given": "forename"}},
        content_type="application/json",
    )
    assert saved.status_code == 422
    assert not ImportJob.objects.exists()


def test_a_read_only_owner_is_named_as_read_only(company: Company) -> None:
    content = "Last Name,Company,Lead Owner\nLee,Acme,rita\nKim,Acme,nobody\nRo,Acme,Alice\n"
    job = run_import(company.ada, content, dry_run=True)
    assert [e.reason for e in job.row_errors.order_by("line")] == [
        "rita is read-only and cannot own leads.",
        "No user is named 'nobody'.",
    ]


# --- re-importing Opportune's own export -------------------------------------------------


def test_an_export_of_unqualified_leads_and_second_pipeline_deals_imports_again(
    company: Company,
) -> None:
    renewals = Pipeline.objects.create(key="renewals", name="Renewals")
    Stage.objects.create(
        pipeline=renewals,
        key="quoted",
        label="Quoted",
        order=1,
        default_probability=50,
        forecast_category="pipeline",
    )
    leads = (
        "id,first_name,last_name,company,status,disqualify_reason,source,owner\n"
        "7,Ann,Lee,Acme,unqualified,No budget this year,web,alice\n"
        "8,Bo,Kim,Acme,working,,event,bob\n"
    )
    job = run_import(company.ada, leads)
    assert (job.invalid, job.created) == (0, 2)
    assert Lead.objects.get(last_name="Lee").disqualify_reason == "No budget this year"
    account = company.account(company.alice, "Acme")
    deals = (
        "id,name,account,pipeline,stage,amount,close_date,owner\n"
        f"1,Renewal,{account.name},renewals,quoted,100.00,2026-12-31,alice\n"
        f"2,New,{account.name},sales,proposal,50.00,2026-12-31,alice\n"
    )
    job = run_import(company.ada, deals, target="opportunities")
    assert (job.invalid, job.created) == (0, 2), list(job.row_errors.values_list("reason"))
    stages = dict(Opportunity.objects.values_list("name", "stage__key"))
    assert stages == {"Renewal": "quoted", "New": "proposal"}
    assert Opportunity.objects.get(name="Renewal").pipeline == renewals


def test_the_api_lists_an_imports_unmapped_values(company: Company) -> None:
    job = run_import(company.ada, STATUSES + "Lee,Acme,On Hold,Web\nKim,Acme,On Hold,Web\n")
    _, raw = ApiToken.issue(company.ada, "tests")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    listed = client.get(f"/api/v1/imports/{job.pk}/unmapped-values").json()
    assert listed == [
        {
            "column": "Lead Status",
            "field": "status",
            "value": "On Hold",
            "count": 2,
            "lines": [2, 3],
        }
    ]
    _, other = ApiToken.issue(company.charlie, "tests")
    outsider = Client(HTTP_AUTHORIZATION=f"Bearer {other}")
    assert outsider.get(f"/api/v1/imports/{job.pk}/unmapped-values").status_code == 404


def test_the_unmapped_values_report_reads_one_query_plus_one_per_value_shown(
    company: Company, django_assert_num_queries: Any
) -> None:
    rows = "".join(f"L{n},Acme,Status {n % 3},Source {n % 4}\n" for n in range(60))
    job = run_import(company.ada, STATUSES + rows, dry_run=True)
    with django_assert_num_queries(1 + 3 + 4):
        listed = unmapped_values(job)
    assert sorted(u.count for u in listed) == [15, 15, 15, 15, 20, 20, 20]


def test_opportunes_own_export_of_unqualified_leads_and_second_pipeline_deals_imports(
    company: Company,
) -> None:
    """The export's own file, as written by ``export.csv_lines``, imported again."""
    from opportune.imports.export import csv_lines
    from opportune.leads.services import disqualify_lead
    from opportune.opportunities.services import OpportunityDraft, open_opportunity

    lead = company.lead(company.alice, last_name="Lee", company="Acme")
    disqualify_lead(company.alice, lead, "No budget this year")
    renewals = Pipeline.objects.create(key="renewals", name="Renewals")
    Stage.objects.create(
        pipeline=renewals,
        key="quoted",
        label="Quoted",
        order=1,
        default_probability=50,
        forecast_category="pipeline",
    )
    account = company.account(company.alice, "Acme")
    open_opportunity(
        company.alice,
        OpportunityDraft(
            name="Renewal",
            account=account,
            owner=company.alice,
            pipeline=renewals,
            close_date=date(2026, 12, 31),
            stage_key="quoted",
        ),
    )
    leads = "".join(csv_lines("leads", Lead.objects.all()))
    deals = "".join(csv_lines("opportunities", Opportunity.objects.all()))
    Lead.objects.all().delete()
    Opportunity.objects.all().delete()

    job = run_import(company.ada, leads)
    assert (job.invalid, job.created) == (0, 1), list(job.row_errors.values_list("reason"))
    again = Lead.objects.select_related("status").get()
    assert (again.status.key, again.disqualify_reason) == ("unqualified", "No budget this year")
    job = run_import(company.ada, deals, target="opportunities")
    assert (job.invalid, job.created) == (0, 1), list(job.row_errors.values_list("reason"))
    deal = Opportunity.objects.select_related("stage", "pipeline").get()
    assert (deal.pipeline.key, deal.stage.key) == ("renewals", "quoted")


def test_dates_of_other_crms_exports_are_read() -> None:
    from opportune.imports.rows import clean_date

    assert clean_date("2024-03-31") == "2024-03-31"
    assert clean_date("2024-03-31 14:05") == "2024-03-31"  # HubSpot, Pipedrive
    assert clean_date("2024-03-31T14:05:00.000Z") == "2024-03-31"  # Salesforce Data Loader
    assert clean_date("3/31/2024") == "2024-03-31"  # a Salesforce report, US locale
    assert clean_date("31/3/2024", "dmy") == "2024-03-31"
    assert clean_date("31.03.24") == "2024-03-31"
    assert clean_date("next week") == "next week"  # left for the schema to refuse


def test_another_apps_fields_may_be_named_by_a_mapping(
    company: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The seam for custom fields: an app registers the field names a column may fill."""
    from opportune.imports import mapping

    content = "Last Name,Company,Shoe size\nLee,Acme,44\n"
    given = {"columns": {"Shoe size": "custom.shoe_size"}}
    with pytest.raises(RuleViolation, match="not a field of leads"):
        create_job(company.ada, "leads", stored(content), "x.csv", mapping=given)
    monkeypatch.setattr(mapping, "FIELD_PROVIDERS", [lambda target: ["custom.shoe_size"]])
    job = create_job(company.ada, "leads", stored(content), "x.csv", mapping=given, dry_run=True)
    assert job.mapping["columns"]["Shoe size"] == "custom.shoe_size"
