"""Several files in one run (``opportune import bundle``): a Salesforce export of accounts,
contacts, opportunities, leads, tasks and events, given in any order, in a folder or a zip,
imports in dependency order with every reference (AccountId, WhoId, WhatId) found across the
files, and one report per file."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from conftest import Company
from opportune.activities.models import Activity
from opportune.cli import main
from opportune.imports.bundle import target_of
from opportune.imports.models import ImportJob, Target
from opportune.opportunities.models import Opportunity

SAMPLES = Path(__file__).parent / "samples"
SALESFORCE = [
    "dataloader-tasks.csv",
    "dataloader-events.csv",
    "dataloader-opportunities.csv",
    "dataloader-contacts.csv",
    "dataloader-leads.csv",
    "dataloader-accounts.csv",
]


@pytest.fixture
def owners(company: Company) -> Company:
    for user, last in ((company.alice, "Adams"), (company.bob, "Brown")):
        user.last_name = last
        user.save()
    return company


def _check_salesforce_bundle(out: str) -> None:
    jobs = list(ImportJob.objects.order_by("pk"))
    assert [job.target for job in jobs] == [
        "accounts",
        "contacts",
        "opportunities",
        "leads",
        "activities",
        "activities",
    ]
    assert [(job.status, job.invalid) for job in jobs] == [("done", 0)] * 6, out
    assert [job.filename for job in jobs][-2:] == ["dataloader-events.csv", "dataloader-tasks.csv"]
    assert out.count("== ") == 6  # one report per file
    assert "== activities: dataloader-tasks.csv" in out
    call = Activity.objects.get(subject="Call Rose about the generator")
    assert call.opportunity == Opportunity.objects.get(name="Edge Emergency Generator")
    assert call.contact is not None and call.contact.email == "rose@edge.example"
    assert Activity.objects.count() == 6


def test_a_salesforce_bundle_in_a_folder_imports_in_dependency_order(
    owners: Company, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in SALESFORCE:
        shutil.copy(SAMPLES / "salesforce" / name, tmp_path / name)
    mapping = SAMPLES / "salesforce" / "opportunities.json"  # owners, and a lost reason
    code = main(["import", "bundle", str(tmp_path), "--mapping", str(mapping), "--quiet"])
    out = capsys.readouterr().out
    assert code == 0, out
    _check_salesforce_bundle(out)
    lost = Opportunity.objects.get(name="United Oil Standby Generators")
    assert lost.lost_reason is not None and lost.lost_reason.key == "other"


def test_a_bundle_in_a_zip_or_named_files(
    owners: Company, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "salesforce-export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for name in SALESFORCE:
            zipped.write(SAMPLES / "salesforce" / name, f"export/{name}")
    mapping = SAMPLES / "salesforce" / "opportunities.json"
    code = main(["import", "bundle", str(archive), "--mapping", str(mapping), "--quiet"])
    out = capsys.readouterr().out
    assert code == 0, out
    _check_salesforce_bundle(out)


def test_a_file_whose_name_does_not_say_what_it_holds_is_named_by_target(
    company: Company, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "extract.csv").write_text("Name\nAcme\n", encoding="utf-8")
    (tmp_path / "extract2.csv").write_text("Subject,Account\nHello,Acme\n", encoding="utf-8")
    code = main(["import", "bundle", str(tmp_path / "extract.csv")])
    assert code == 1
    assert "give it as TARGET=" in capsys.readouterr().err
    code = main(
        [
            "import",
            "bundle",
            f"activities={tmp_path / 'extract2.csv'}",
            f"accounts={tmp_path / 'extract.csv'}",
            "--quiet",
        ]
    )
    assert code == 0
    assert Activity.objects.get().account is not None


def test_a_files_name_says_which_list_it_holds() -> None:
    names = {
        "Account.csv": Target.ACCOUNTS,
        "hubspot-companies.csv": Target.ACCOUNTS,
        "organizations.csv": Target.ACCOUNTS,
        "persons.csv": Target.CONTACTS,
        "Opportunity.csv": Target.OPPORTUNITIES,
        "deals.csv": Target.OPPORTUNITIES,
        "Lead.csv": Target.LEADS,
        "Task.csv": Target.ACTIVITIES,
        "Event.csv": Target.ACTIVITIES,
        "hubspot-activities.xlsx": Target.ACTIVITIES,
    }
    assert {name: target_of(Path(name)) for name in names} == names
    assert target_of(Path("extract.csv")) is None
