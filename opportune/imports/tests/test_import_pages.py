"""The import wizard: upload, the live progress fragment, the row report and its CSV, and
exports of the lists from the UI."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from conftest import Company
from opportune.identity.models import User
from opportune.imports.models import ImportJob
from opportune.imports.services import run_job
from opportune.leads.models import Lead


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_wizard_uploads_queues_and_shows_progress_and_errors(company: Company) -> None:
    client = _client(company.mark)
    assert client.get("/imports/").status_code == 200
    upload = SimpleUploadedFile(
        "leads.csv", b"Last Name,Company,Email\nLee,Acme,a@x.example\n,Acme,\n"
    )
    response = client.post("/imports/", {"file": upload, "target": "leads", "dry_run": "on"})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/{job.pk}/"
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
    assert Lead.objects.get().last_name == "Lee"


def test_a_file_without_required_columns_is_refused_on_the_form(company: Company) -> None:
    upload = SimpleUploadedFile("leads.csv", b"Email\na@x.example\n")
    response = _client(company.mark).post("/imports/", {"file": upload, "target": "leads"})
    assert response.status_code == 200
    assert "no column for: last_name or full_name, company" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_lead_export_uses_the_lead_lists_filters(company: Company) -> None:
    company.lead(company.alice, last_name="Webby", source="web")
    company.lead(company.alice, last_name="Eventful", source="event")
    response = _client(company.alice).get("/imports/export/leads.csv", {"source": "web"})
    text = response.getvalue().decode("utf-8-sig")
    assert "Webby" in text and "Eventful" not in text
    assert _client(company.alice).get("/imports/export/nothing.csv").status_code == 404
