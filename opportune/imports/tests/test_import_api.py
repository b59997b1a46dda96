"""The import and export API: upload, status, errors as CSV, resume, saved mappings, and
streamed CSV exports of filtered lists, each within what the user may see."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks

from conftest import Company
from opportune.identity.models import ApiToken, User
from opportune.imports.models import ImportJob, ImportMapping
from opportune.imports.services import run_job
from opportune.leads.models import Lead

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response


def _client(user: User) -> Client:
    _, raw = ApiToken.issue(user, "tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def _upload(client: Client, content: str, **fields: object) -> Response:
    upload = io.BytesIO(content.encode())
    upload.name = "leads.csv"
    return client.post("/api/v1/imports", {"file": upload, **fields})


def test_an_upload_queues_a_job_whose_progress_and_errors_can_be_read(company: Company) -> None:
    client = _client(company.mark)
    response = _upload(client, "Last Name,Company,Email\nLee,Acme,a@x.example\n,Acme,bad\n")
    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["target"], body["mapping"]["columns"]["Last Name"]) == (
        "queued",
        "leads",
        "last_name",
    )
    run_job(body["id"])
    status = client.get(f"/api/v1/imports/{body['id']}").json()
    assert (status["status"], status["created"], status["invalid"], status["percent"]) == (
        "done",
        1,
        1,
        100,
    )
    errors = client.get(f"/api/v1/imports/{body['id']}/errors")
    assert errors["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(errors.getvalue().decode("utf-8-sig"))))
    assert rows[0] == ["line", "column", "kind", "reason", "value"]
    assert [r[:3] for r in rows[1:]] == [["3", "Last Name", "invalid"], ["3", "Email", "invalid"]]


def test_a_file_without_required_columns_is_422(company: Company) -> None:
    response = _upload(_client(company.mark), "First Name\nAnn\n")
    assert response.status_code == 422
    assert "columns" in response.json()["errors"]


def test_a_saved_mapping_is_used_by_id(company: Company) -> None:
    client = _client(company.mark)
    saved = client.post(
        "/api/v1/import-mappings",
        {"name": "Trade show", "columns": {"Who": "last_name"}, "defaults": {"company": "?"}},
        content_type="application/json",
    )
    assert saved.status_code == 201
    response = _upload(client, "Who\nLee\n", mapping_id=saved.json()["id"], dry_run="true")
    assert response.status_code == 202
    job = run_job(response.json()["id"])
    assert (job.dry_run, job.created, Lead.objects.count()) == (True, 1, 0)
    assert ImportMapping.objects.get().name == "Trade show"


def test_others_imports_are_404(company: Company) -> None:
    response = _upload(_client(company.alice), "Last Name,Company\nLee,Acme\n")
    job_id = response.json()["id"]
    assert _client(company.charlie).get(f"/api/v1/imports/{job_id}").status_code == 404
    assert _client(company.charlie).get(f"/api/v1/imports/{job_id}/errors").status_code == 404
    assert _client(company.maria).get(f"/api/v1/imports/{job_id}").status_code == 200


def test_a_failed_job_can_be_resumed(company: Company) -> None:
    client = _client(company.mark)
    job_id = _upload(client, "Last Name,Company\nLee,Acme\n").json()["id"]
    ImportJob.objects.filter(pk=job_id).update(status="failed")
    assert client.post(f"/api/v1/imports/{job_id}/resume").status_code == 202
    assert run_job(job_id).created == 1
    assert client.post(f"/api/v1/imports/{job_id}/resume").status_code == 409


def test_an_export_streams_the_filtered_visible_leads_and_round_trips(company: Company) -> None:
    company.lead(company.alice, last_name="Mine", source="web", email="m@x.example")
    company.lead(company.alice, last_name="Other", source="event", email="o@x.example")
    company.lead(company.charlie, last_name="Hidden", source="web", email="h@x.example")
    response = _client(company.alice).get("/api/v1/exports/leads", {"source": "web"})
    assert response.status_code == 200
    assert response.streaming
    text = response.getvalue().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["last_name"], r["status"], r["owner"]) for r in rows] == [("Mine", "new", "alice")]

    Lead.objects.all().delete()
    upload = io.BytesIO(text.encode())
    upload.name = "export.csv"
    job_id = _client(company.ada).post("/api/v1/imports", {"file": upload}).json()["id"]
    job = run_job(job_id)
    assert (job.created, job.invalid) == (1, 0)
    lead = Lead.objects.get()
    assert (lead.last_name, lead.source, lead.owner) == ("Mine", "web", company.alice)


def test_exports_of_accounts_contacts_and_opportunities(company: Company) -> None:
    company.opportunity(company.alice, name="Big deal")
    client = _client(company.alice)
    for target, expected in [("accounts", "Initech"), ("opportunities", "Big deal")]:
        response = client.get(f"/api/v1/exports/{target}")
        assert expected in response.getvalue().decode()
    marketing = _client(company.mark).get("/api/v1/exports/opportunities")
    assert "Big deal" not in marketing.getvalue().decode()


def test_an_upload_is_queued_for_the_worker(
    company: Company, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        job_id = _upload(_client(company.mark), "Last Name,Company\nLee,Acme\n").json()["id"]
    task = DBTaskResult.objects.get()
    assert task.args_kwargs["args"] == [job_id]
    assert "run_import" in task.task_path


def test_an_unknown_encoding_is_422_naming_the_file(company: Company) -> None:
    response = _upload(_client(company.mark), "Last Name,Company\nLee,Acme\n", encoding="nope")
    assert response.status_code == 422
    assert "'nope' is not an encoding" in response.json()["errors"]["file"][0]


def test_a_10_mb_header_line_is_422_naming_the_file(company: Company) -> None:
    content = "Last Name,Company," + "x" * 10_000_000 + "\nLee,Acme,ok\n"
    response = _upload(_client(company.mark), content)
    assert response.status_code == 422
    assert "The first line is longer than" in response.json()["errors"]["file"][0]
    assert not ImportJob.objects.exists()
