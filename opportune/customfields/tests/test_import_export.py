"""Custom fields as ``custom.<key>`` columns: exports write one per field, imports read them
back through each type's validator (a bad cell is a row error naming its column), and a
file's own header maps to a field when the mapping says so."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest

from conftest import ApiClient, Company
from opportune.accounts.models import Account
from opportune.imports.tests.helpers import issues, run_import
from opportune.leads.models import Lead

from .helpers import define

pytestmark = pytest.mark.django_db


@pytest.fixture
def fields(company: Company) -> None:
    define(company.ada, "lead", "region", "picklist")
    define(company.ada, "lead", "products", "multi_picklist")
    define(company.ada, "lead", "seats", "number")
    define(company.ada, "lead", "partner", "checkbox")


def _exported(client: ApiClient, target: str) -> list[dict[str, str]]:
    response = client.get(f"/api/v1/exports/{target}")
    text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")  # type: ignore[attr-defined]
    return list(csv.DictReader(io.StringIO(text)))


def test_an_export_has_a_column_per_custom_field_that_imports_back_unchanged(
    company: Company, api: Callable[..., ApiClient], fields: None
) -> None:
    values = {"region": "emea", "products": ["apac", "emea"], "seats": 12.5, "partner": True}
    company.lead(company.alice, last_name="Exported", custom=values)
    rows = _exported(api(company.alice), "leads")
    assert {k: v for k, v in rows[0].items() if k.startswith("custom.")} == {
        "custom.region": "emea",
        "custom.products": "apac;emea",
        "custom.seats": "12.5",
        "custom.partner": "true",
    }
    Lead.objects.all().delete()
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    job = run_import(company.alice, buffer.getvalue())
    assert (job.created, job.invalid, issues(job)) == (1, 0, [])
    assert Lead.objects.get(last_name="Exported").custom == values


def test_a_bad_custom_cell_is_a_row_error_naming_its_column(company: Company, fields: None) -> None:
    """A picklist value that maps to nothing is reported to be mapped (as for built-in
    picklists); a number that is no number is invalid."""
    content = (
        "Last Name,Company,custom.region,custom.seats\n"
        "Good,Globex,EMEA,3\n"
        "Bad,Initech,mars,3\n"
        "Worse,Umbrella,apac,many\n"
    )
    job = run_import(company.alice, content)
    assert (job.created, job.invalid) == (1, 2)
    assert issues(job) == [
        (3, "custom.region", "unmapped_value"),
        (4, "custom.seats", "invalid"),
    ]
    errors = [(e.reason, e.value) for e in job.row_errors.all()]
    assert errors[0][1] == "mars" and errors[1] == ("Enter a number.", "many")
    assert Lead.objects.get().custom == {"region": "emea", "seats": 3}


def test_a_mapping_sends_a_file_column_to_a_custom_field(company: Company) -> None:
    define(company.ada, "account", "tier", "picklist")
    content = "Account Name,Tier\nGlobex,APAC\n"
    mapping = {"columns": {"Tier": "custom.tier"}}
    job = run_import(company.alice, content, target="accounts", mapping=mapping)
    assert (job.created, job.invalid) == (1, 0), issues(job)
    assert Account.objects.get(name="Globex").custom == {"tier": "apac"}


def test_a_row_without_a_required_custom_value_is_refused_naming_the_field(
    company: Company,
) -> None:
    define(company.ada, "lead", "region", "picklist", required=True)
    content = "Last Name,Company,custom.region\nGood,Globex,emea\nBlank,Initech,\n"
    job = run_import(company.alice, content)
    assert (job.created, job.invalid) == (1, 1)
    assert [(e.line, e.column, e.reason) for e in job.row_errors.all()] == [
        (3, "custom.region", "This field is required.")
    ]
