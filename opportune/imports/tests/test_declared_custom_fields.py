"""Custom fields an import brings along: declared in the mapping JSON (``custom_fields``) for
the CLI, the API and the UI, or made on the wizard's column screen ("New custom field"), and
the shipped X Education mapping keeping every column of its file."""

from __future__ import annotations

import csv
import json
from itertools import islice
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from conftest import Company
from opportune.customfields.models import CustomField
from opportune.errors import RuleViolation
from opportune.imports import spec
from opportune.imports.models import ImportJob
from opportune.imports.services import MAPPING_PARTS, shipped_mapping
from opportune.imports.tests.helpers import run_import
from opportune.leads.models import Lead

CSV = "Last Name,Company,Visits,Heard\nLee,Acme,3,Online Search\nKim,Acme,,Word Of Mouth\n"
DECLARED: dict[str, Any] = {
    "visits": {"label": "Visits", "type": "number"},
    "heard": {
        "label": "Heard of us",
        "type": "picklist",
        "values": {"online_search": "Online Search", "word_of_mouth": "Word Of Mouth"},
    },
}
MAPPING: dict[str, Any] = {
    "columns": {"Visits": "custom.visits", "Heard": "custom.heard"},
    "custom_fields": DECLARED,
}


def test_a_mapping_creates_the_custom_fields_it_declares_and_fills_them(company: Company) -> None:
    job = run_import(company.ada, CSV, mapping=MAPPING)
    assert (job.created, job.invalid) == (2, 0)
    assert {f.key: f.type for f in CustomField.objects.filter(kind="lead")} == {
        "visits": "number",
        "heard": "picklist",
    }
    assert Lead.objects.get(last_name="Lee").custom == {"visits": 3, "heard": "online_search"}
    assert Lead.objects.get(last_name="Kim").custom == {"heard": "word_of_mouth"}


def test_a_declared_field_of_the_same_key_and_type_is_reused(company: Company) -> None:
    run_import(company.ada, CSV, mapping=MAPPING, dry_run=True)
    job = run_import(company.ada, CSV, mapping=MAPPING)
    assert (job.created, job.invalid, CustomField.objects.count()) == (2, 0, 2)
    # Once they exist, a user who may not define fields imports with the same mapping.
    assert run_import(company.mark, CSV, mapping=MAPPING).invalid == 0


def test_a_declared_field_of_another_type_than_the_existing_one_is_refused(
    company: Company,
) -> None:
    run_import(company.ada, CSV, mapping=MAPPING)
    other = {**MAPPING, "custom_fields": {**DECLARED, "visits": {"type": "text"}}}
    with pytest.raises(RuleViolation) as refused:
        run_import(company.ada, CSV, mapping=other)
    assert "'visits' exists as a number field, not text" in refused.value.errors["mapping"][0]
    assert ImportJob.objects.count() == 1


def test_only_an_admin_creates_declared_fields_and_nothing_is_left_behind(
    company: Company,
) -> None:
    with pytest.raises(RuleViolation) as refused:
        run_import(company.mark, CSV, mapping=MAPPING)
    assert "Only an admin creates custom fields" in refused.value.errors["mapping"][0]
    assert not CustomField.objects.exists() and not ImportJob.objects.exists()


@pytest.mark.parametrize(
    ("declared", "words"),
    [
        ([], '"custom_fields" must be a JSON object'),
        ({"Visits": {"type": "number"}}, "needs a key of lowercase letters"),
        ({"visits": "number"}, 'must be {"label": …, "type": …}'),
        ({"visits": {"type": "float"}}, 'has type "float"; use one of text, long_text'),
        ({"visits": {"type": "number", "size": 3}}, "has no 'size'"),
        ({"heard": {"type": "picklist"}}, 'give its "values" as {key: label}'),
        ({"visits": {"type": "number", "values": {"a": "A"}}}, "only picklists have values"),
        ({"heard": {"type": "picklist", "values": {"A b": "x"}}}, "value 'A b' needs a key"),
        ({"heard": {"type": "picklist", "values": {"a": "x" * 81}}}, "at most 80 characters"),
        ({"visits": {"type": "number", "required": "yes"}}, '"required" true or false'),
        ({"visits": {"type": "number", "help_text": 3}}, '"help_text" of at most 255'),
    ],
)
def test_a_custom_fields_part_of_the_wrong_shape_is_refused_clearly(
    company: Company, declared: Any, words: str
) -> None:
    with pytest.raises(RuleViolation) as refused:
        spec.check("leads", {"custom_fields": declared})
    assert words in refused.value.errors["mapping"][0]


def test_a_column_may_map_only_to_a_declared_or_existing_custom_field(company: Company) -> None:
    with pytest.raises(RuleViolation) as refused:
        spec.check("leads", {"columns": {"Visits": "custom.visits"}})
    assert "not a field of leads" in refused.value.errors["mapping"][0]
    spec.check("leads", MAPPING)


# --- the API -----------------------------------------------------------------------------------


def _api(user: Any) -> Client:
    from opportune.identity.models import ApiToken

    _, raw = ApiToken.issue(user, "tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_the_api_upload_and_saved_mappings_take_declared_custom_fields(company: Company) -> None:
    client = _api(company.ada)
    upload = SimpleUploadedFile("leads.csv", CSV.encode())
    queued = client.post("/api/v1/imports", {"file": upload, "mapping": json.dumps(MAPPING)})
    assert queued.status_code == 202, queued.content
    assert CustomField.objects.count() == 2
    saved = client.post(
        "/api/v1/import-mappings",
        {"name": "With fields", "target": "leads", **MAPPING},
        content_type="application/json",
    )
    assert saved.status_code == 201 and saved.json()["custom_fields"] == DECLARED
    bad = {**MAPPING, "custom_fields": {"visits": {"type": "float"}}}
    upload = SimpleUploadedFile("leads.csv", CSV.encode())
    refused = client.post("/api/v1/imports", {"file": upload, "mapping": json.dumps(bad)})
    assert refused.status_code == 422
    assert 'has type "float"' in refused.json()["errors"]["mapping"][0]


# --- the wizard -------------------------------------------------------------------------------


def _upload(client: Client, content: bytes) -> str:
    upload = SimpleUploadedFile("leads.csv", content)
    response = client.post("/imports/", {"file": upload, "target": "leads"})
    assert response.status_code == 302
    return str(response["Location"])


def test_the_wizard_makes_a_new_custom_field_of_the_chosen_type_for_a_column(
    company: Company,
) -> None:
    client = Client()
    client.force_login(company.ada)
    columns = _upload(client, CSV.encode())
    page = client.get(columns).content.decode()
    assert 'name="type-2"' in page and '<option value="picklist">Picklist</option>' in page
    chosen = {"col-0": "last_name", "col-1": "company", "col-2": "__new_custom_field__"}
    chosen |= {"col-3": "__new_custom_field__", "type-2": "number", "type-3": "picklist"}
    values = client.post(columns, chosen)
    assert values.status_code == 302 and values["Location"].endswith("/values/")
    assert not CustomField.objects.exists()  # created with the dry run's job
    # The downloaded mapping declares the fields, so the CLI brings the columns along too.
    document = client.get(columns.replace("/columns/", "/mapping.json")).json()
    assert document["columns"]["Visits"] == "custom.visits"
    assert document["custom_fields"]["visits"] == {"label": "Visits", "type": "number"}
    client.post(values["Location"])
    job = ImportJob.objects.get()
    assert job.mapping["columns"] == {
        "Last Name": "last_name",
        "Company": "company",
        "Visits": "custom.visits",
        "Heard": "custom.heard",
    }
    heard = CustomField.objects.get(key="heard")
    assert (heard.type, heard.label) == ("picklist", "Heard")
    assert [(v.key, v.label) for v in heard.values.all()] == [
        ("online_search", "Online Search"),
        ("word_of_mouth", "Word Of Mouth"),
    ]
    assert CustomField.objects.get(key="visits").type == "number"


def test_the_wizard_defaults_a_new_custom_field_to_text(company: Company) -> None:
    client = Client()
    client.force_login(company.ada)
    columns = _upload(client, CSV.encode())
    chosen = {"col-0": "last_name", "col-1": "company", "col-2": "__new_custom_field__"}
    values = client.post(columns, chosen)
    client.post(values["Location"])
    assert CustomField.objects.get().type == "text"


def test_only_an_admin_makes_a_custom_field_in_the_wizard(company: Company) -> None:
    client = Client()
    client.force_login(company.mark)
    columns = _upload(client, CSV.encode())
    chosen = {"col-0": "last_name", "col-1": "company", "col-2": "__new_custom_field__"}
    page = client.post(columns, chosen).content.decode()
    assert "Only an admin creates custom fields: map &#x27;Visits&#x27;" in page


# --- the shipped X Education mapping ----------------------------------------------------------

X_EDUCATION = Path(settings.BASE_DIR).parent / "shared" / "data" / "x-education-leads.csv"


@pytest.mark.skipif(not X_EDUCATION.exists(), reason=f"no data set at {X_EDUCATION}")
def test_the_x_education_mapping_keeps_every_column_with_no_invalid_row(
    company: Company,
) -> None:
    text = X_EDUCATION.read_text(encoding="utf-8")
    head = "".join(islice(text.splitlines(keepends=True), 501))
    headers = next(csv.reader([head.splitlines()[0]]))
    mapping = shipped_mapping("x-education-leads")
    assert set(mapping.columns) == set(headers)
    assert all(mapping.columns.values())  # no column dropped
    given = {part: getattr(mapping, part) for part in MAPPING_PARTS}
    job = run_import(company.ada, head, mapping=given)
    assert (job.created, job.invalid, job.skipped) == (500, 0, 0)
    lead = Lead.objects.get(last_name="660728")
    assert lead.custom["total_visits"] == 5 and lead.custom["time_on_website"] == 674
    assert lead.custom["page_views_per_visit"] == 2.5
    assert lead.custom["activity_index"] == "v_02medium"
    # "Converted" (0/1) is the lead's outcome, not a custom field: closed either way.
    assert "converted" not in lead.custom
    assert (lead.status.key, lead.disqualify_reason) == (
        "unqualified",
        "Unqualified (before import)",
    )
    won = Lead.objects.filter(status__key="converted")
    assert won.count() == won.filter(is_converted=True, converted_account=None).count() > 0
    assert "course_priority" in lead.custom and "heard_from" not in lead.custom  # 'Select'
