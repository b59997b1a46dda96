"""The import wizard: upload, the live progress fragment, the row report and its CSV, and
exports of the lists from the UI."""

from __future__ import annotations

import json
import re
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from conftest import Company
from opportune.cli import main
from opportune.identity.models import User
from opportune.imports.models import ImportJob, ImportMapping
from opportune.imports.services import run_job
from opportune.leads.models import Lead


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _upload(client: Client, content: bytes, **fields: object) -> str:
    """Upload a file: the answer is the column screen's address."""
    upload = SimpleUploadedFile("leads.csv", content)
    response = client.post("/imports/", {"file": upload, "target": "leads", **fields})
    assert response.status_code == 302, response.content.decode()
    assert response["Location"].endswith("/columns/")
    return str(response["Location"])


def _columns_of(page: str) -> dict[str, str]:
    """The column screen's selects: {select name: selected field}."""
    found = re.findall(r'<select name="(col-\d+)".*?</select>', page, re.S)
    chosen = {}
    for name in found:
        block = page.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
        selected = re.search(r'<option value="([^"]*)" selected>', block)
        chosen[name] = selected.group(1) if selected else ""
    return chosen


def test_the_wizard_uploads_maps_checks_and_shows_progress_and_errors(company: Company) -> None:
    client = _client(company.mark)
    assert client.get("/imports/").status_code == 200
    columns = _upload(client, b"Last Name;Company;Email;Notes\nLee;Acme;a@x.example;hi\n;Acme;;\n")
    page = client.get(columns).content.decode()
    assert "detected encoding <strong>utf-8</strong>" in page
    assert "delimiter <strong>“;”</strong>" in page
    assert _columns_of(page) == {
        "col-0": "last_name",
        "col-1": "company",
        "col-2": "email",
        "col-3": "description",
    }
    assert "auto-mapped" in page
    # Notes skipped; then the value screen has nothing to translate.
    values = client.post(columns, {**_columns_of(page), "col-3": ""})
    assert values["Location"].endswith("/values/")
    assert "nothing to translate" in client.get(values["Location"]).content.decode()
    response = client.post(values["Location"])
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/{job.pk}/"
    assert (job.dry_run, job.mapping["columns"]["Notes"]) == (True, "")
    queued = client.get(f"/imports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in queued
    assert "opportune worker" in queued
    run_job(job.pk)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "every 1s" not in page
    assert "Would be created" in page
    assert "&#x27;last_name&#x27; is required." in page
    errors = client.get(f"/imports/{job.pk}/errors.csv")
    assert errors.getvalue().decode("utf-8-sig").startswith("line,column")
    assert _client(company.charlie).get(f"/imports/{job.pk}/").status_code == 404

    real = client.post(f"/imports/{job.pk}/run/")
    imported = ImportJob.objects.exclude(pk=job.pk).get()
    assert real["Location"] == f"/imports/{imported.pk}/"
    assert run_job(imported.pk).created == 1
    lead = Lead.objects.get()
    assert (lead.last_name, lead.description) == ("Lee", "")


def test_a_file_without_required_columns_is_refused_on_the_column_screen(
    company: Company,
) -> None:
    client = _client(company.mark)
    columns = _upload(client, b"Email\na@x.example\n")
    response = client.post(columns, {"col-0": "email"})
    assert response.status_code == 200
    assert "map a column to last_name or full_name, company" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_mapping_file_of_the_wrong_shape_is_refused_on_the_upload_form(
    company: Company,
) -> None:
    upload = SimpleUploadedFile("leads.csv", b"Given,Last Name,Company\nAnn,Lee,Acme\n")
    wrong = SimpleUploadedFile("mapping.json", b'{"Given": "first_name"}')
    response = _client(company.mark).post(
        "/imports/", {"file": upload, "target": "leads", "mapping_file": wrong}
    )
    assert response.status_code == 200
    assert "has no part &#x27;Given&#x27;" in response.content.decode()


def test_unmapped_values_are_mapped_on_the_value_screen_and_on_the_report(
    company: Company,
) -> None:
    client = _client(company.ada)
    content = b"Last Name,Company,Lead Status,Lead Source\nLee,Acme,Open - Not Contacted,Fax\n"
    content += b"Kim,Acme,On Hold,Web\nRo,Acme,In Progress,Fax\n"
    columns = _upload(client, content)
    values = client.post(columns, _columns_of(client.get(columns).content.decode()))["Location"]
    page = client.get(values).content.decode()
    assert page.count("not mapped</span>") == 2  # On Hold, Fax
    assert '<div class="help">lines 2, 4</div>' in page  # Fax, with its rows
    assert '<div class="help">line 3</div>' in page  # On Hold
    assert "→ New (new)</option>" in page  # a mapped value is shown by its label and key
    # Fax left as is: the dry run lists it with its rows; On Hold becomes a new status.
    order = re.findall(
        r'<td>([^<]+?)(?: <span class="badge badge-red">not mapped</span>\s*'
        r'<div class="help">[^<]*</div>)?</td>\s*<td class="num">',
        page,
    )
    posted = {
        f"v-{order.index('On Hold')}": "__new__",
        f"v-{order.index('On Hold')}-label": "On hold",
    }
    dry = client.post(values, posted)
    job = ImportJob.objects.get()
    run_job(job.pk)
    report = client.get(dry["Location"]).content.decode()
    assert "Values to map" in report and ">Fax<" in report and "2, 4" in report
    checked = client.post(f"/imports/{job.pk}/remap/", {"v-0": "__blank__", "run": "import"})
    real = ImportJob.objects.exclude(pk=job.pk).get()
    assert checked["Location"] == f"/imports/{real.pk}/"
    real = run_job(real.pk)
    assert (real.dry_run, real.invalid, real.created) == (False, 0, 3)
    assert dict(Lead.objects.values_list("last_name", "status__key")) == {
        "Lee": "new",
        "Kim": "on_hold",
        "Ro": "working",
    }
    assert set(Lead.objects.values_list("source", flat=True)) == {"", "web"}


def test_the_column_screen_shows_a_sparse_columns_first_values_not_its_blanks(
    company: Company,
) -> None:
    client = _client(company.ada)
    content = (
        b"Last Name,Company,Mobile,Fax\nLee,Acme,,\nKim,Acme,,\nRo,Acme,,\nLi,Acme,+1 555 0101,\n"
    )
    page = client.get(_upload(client, content)).content.decode()
    assert '<span class="truncate" title="+1 555 0101">+1 555 0101</span>' in page
    assert '<span class="muted">(blank)</span>' in page  # Fax: nothing in it
    assert 'aria-current="step"><span class="step">2 · Columns</span>' in page


def test_the_mapping_is_downloaded_as_the_cli_json_and_saved_for_reuse(
    company: Company, tmp_path: Path
) -> None:
    client = _client(company.mark)
    columns = _upload(client, b"Who,Firm\nLee,Acme\n")
    client.post(columns, {"col-0": "last_name", "col-1": "company"})
    download = client.get(columns.replace("/columns/", "/mapping.json"))
    assert download["Content-Disposition"].startswith("attachment")
    document = json.loads(download.content)
    assert document["columns"] == {"Who": "last_name", "Firm": "company"}
    client.post(columns.replace("/columns/", "/values/"))
    job = ImportJob.objects.get()
    assert json.loads(client.get(f"/imports/{job.pk}/mapping.json").content)["target"] == "leads"
    client.post(f"/imports/{job.pk}/save-mapping/", {"name": "Fair list"})
    saved = ImportMapping.objects.get(name="Fair list")
    assert (saved.created_by, saved.columns) == (
        company.mark,
        {"Who": "last_name", "Firm": "company"},
    )

    mapping = tmp_path / "mapping.json"
    mapping.write_bytes(download.content)
    source = tmp_path / "leads.csv"
    source.write_text("Who,Firm\nKim,Initech\n")
    assert main(["import", "leads", str(source), "--mapping", str(mapping), "--quiet"]) == 0
    assert Lead.objects.get().company == "Initech"


def test_the_lead_export_uses_the_lead_lists_filters(company: Company) -> None:
    company.lead(company.alice, last_name="Webby", source="web")
    company.lead(company.alice, last_name="Eventful", source="event")
    response = _client(company.alice).get("/imports/export/leads.csv", {"source": "web"})
    text = response.getvalue().decode("utf-8-sig")
    assert "Webby" in text and "Eventful" not in text
    assert _client(company.alice).get("/imports/export/nothing.csv").status_code == 404
