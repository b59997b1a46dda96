"""The public data sets in ../shared/data through the generic importer and the mappings that
ship in imports/mappings: the X Education leads and the Maven CRM accounts and pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from conftest import Company
from opportune.accounts.models import Account
from opportune.errors import RuleViolation
from opportune.identity.models import User
from opportune.imports.models import ImportJob
from opportune.imports.services import create_job, run_job, shipped_mapping, store_file
from opportune.leads.models import Lead
from opportune.opportunities.models import Opportunity

DATA = Path(settings.BASE_DIR).parent / "shared" / "data"
X_EDUCATION = DATA / "x-education-leads.csv"
MAVEN = DATA / "maven-crm"

needs_x_education = pytest.mark.skipif(
    not X_EDUCATION.exists(), reason=f"the X Education data set is not at {X_EDUCATION}"
)
needs_maven = pytest.mark.skipif(
    not (MAVEN / "sales_pipeline.csv").exists(), reason=f"the Maven CRM data set is not at {MAVEN}"
)


def _job(user: User, path: Path, target: str, **options: Any) -> ImportJob:
    with path.open("rb") as source:
        return create_job(user, target, store_file(source), path.name, **options)


@needs_x_education
def test_the_x_education_file_needs_a_mapping_for_name_and_company(company: Company) -> None:
    with pytest.raises(RuleViolation) as refused:
        _job(company.mark, X_EDUCATION, "leads")
    assert "last_name or full_name, company" in refused.value.detail


@needs_x_education
def test_the_x_education_leads_dry_run_then_import(company: Company) -> None:
    mapping = shipped_mapping("x-education-leads")
    # The mapping declares custom fields for the file's other columns: an admin creates them.
    dry = run_job(_job(company.ada, X_EDUCATION, "leads", saved_mapping=mapping, dry_run=True).pk)
    assert (dry.status, dry.rows_done, dry.created, dry.invalid, dry.skipped) == (
        "done",
        9237,
        9237,
        0,
        0,
    )
    assert not Lead.objects.exists()

    job = run_job(_job(company.mark, X_EDUCATION, "leads", saved_mapping=mapping).pk)
    assert (job.created, Lead.objects.count()) == (9237, 9237)
    # 'Select' is the form's "not answered": it never lands in a field.
    assert not Lead.objects.filter(city="Select").exists()
    assert not Lead.objects.filter(industry="Select").exists()
    assert Lead.objects.filter(source="advertisement").count() == 2867 + 5 + 6 + 55 + 2 + 1 + 1
    assert Lead.objects.filter(email_opt_out=True).count() == 734
    assert Lead.objects.filter(rating="hot").count() == 637
    # "Converted" is each lead's outcome: 3,559 converted before import, 5,678 unqualified.
    assert Lead.objects.filter(status__key="converted", is_converted=True).count() == 3559
    assert Lead.objects.filter(status__key="unqualified").count() == 5678

    again = _job(
        company.mark,
        X_EDUCATION,
        "leads",
        saved_mapping=mapping,
        match_key="external_id",
        dry_run=True,
    )
    again = run_job(again.pk)
    assert (again.created, again.updated, Lead.objects.count()) == (0, 9237, 9237)


@needs_maven
def test_the_maven_accounts_and_pipeline(company: Company) -> None:
    accounts = run_job(
        _job(
            company.ada,
            MAVEN / "accounts.csv",
            "accounts",
            saved_mapping=shipped_mapping("maven-accounts"),
        ).pk
    )
    assert (accounts.created, accounts.invalid) == (85, 0)
    acme = Account.objects.get(name="Acme Corporation")
    assert (acme.industry, acme.employees, str(acme.annual_revenue)) == (
        "technology",
        2822,
        "1100040000.00",
    )

    pipeline = run_job(
        _job(
            company.ada,
            MAVEN / "sales_pipeline.csv",
            "opportunities",
            saved_mapping=shipped_mapping("maven-pipeline"),
        ).pk
    )
    # 1,425 open deals name no account, and an opportunity needs one.
    assert (pipeline.created, pipeline.invalid) == (8800 - 1425, 1425)
    assert pipeline.row_errors.filter(column="account").count() == 1425
    assert Opportunity.objects.filter(is_won=True).count() == 4238
    assert Opportunity.objects.filter(is_closed=True, is_won=False).count() == 2473
    assert Opportunity.objects.filter(lost_reason__key="other").count() == 2473
