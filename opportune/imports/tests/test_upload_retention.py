"""Uploaded files do not pile up: a refused upload is deleted at once, a finished job's file
after ``OPPORTUNE_IMPORT_UPLOAD_DAYS``, by the worker's periodic purge."""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from pytest_django import Settings

from conftest import Company
from opportune.cli import main
from opportune.identity.models import ApiToken
from opportune.imports.models import ImportJob, JobStatus
from opportune.imports.services import create_job, purge_uploads, run_job, upload_dir

from .helpers import stored


def _uploads() -> list[Path]:
    return sorted(upload_dir().glob("*.csv"))


def _post(company: Company, content: bytes, **fields: object) -> int:
    _, raw = ApiToken.issue(company.mark, "tests")
    upload = io.BytesIO(content)
    upload.name = "leads.csv"
    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").post(
        "/api/v1/imports", {"file": upload, **fields}
    )
    return response.status_code


@pytest.mark.parametrize(
    ("content", "fields"),
    [
        (b"First Name\nAnn\n", {}),  # no required column
        (b"Last Name,Company\nLee,Acme\n", {"encoding": "nope"}),  # bad encoding
        (b"Last Name,Company," + b"x" * 300_000 + b"\n", {}),  # header past the sample
        (b"Last Name,Company\nLee,Acme\n", {"match_key": "phone"}),  # a bad option
    ],
    ids=["missing columns", "bad encoding", "bad header", "bad option"],
)
def test_a_refused_upload_is_deleted(
    company: Company, content: bytes, fields: dict[str, object]
) -> None:
    assert _post(company, content, **fields) == 422
    assert _uploads() == []


def test_an_accepted_upload_is_kept(company: Company) -> None:
    assert _post(company, b"Last Name,Company\nLee,Acme\n") == 202
    assert len(_uploads()) == 1


def test_a_refused_cli_import_leaves_no_upload(
    company: Company, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "leads.csv"
    source.write_text("Email\nlee@x.example\n")
    assert main(["import", "leads", str(source)]) == 1
    assert _uploads() == []


def test_uploads_are_purged_after_the_retention_of_finished_jobs(
    company: Company, settings: Settings
) -> None:
    settings.OPPORTUNE_IMPORT_UPLOAD_DAYS = 7
    content = "Last Name,Company\nLee,Acme\n"
    dry = run_job(create_job(company.mark, "leads", stored(content), "a.csv", dry_run=True).pk)
    failed = create_job(company.mark, "leads", stored(content), "b.csv")
    queued = create_job(company.mark, "leads", stored(content), "c.csv")
    stray = stored(content)  # stored, then the process died before its job
    finished_at = timezone.now()
    ImportJob.objects.filter(pk=failed.pk).update(status=JobStatus.FAILED, finished_at=finished_at)
    assert dry.status == JobStatus.DONE
    assert len(_uploads()) == 4

    assert purge_uploads(finished_at + dt.timedelta(days=6)) == 0
    assert len(_uploads()) == 4
    assert purge_uploads(finished_at + dt.timedelta(days=8)) == 3
    assert _uploads() == [Path(queued.path)]
    assert not stray.exists()


def test_the_worker_s_periodic_purge_deletes_old_uploads(company: Company) -> None:
    from opportune.housekeeping import housekeeping

    path = stored("Last Name,Company\nLee,Acme\n")  # a dry run's file, its job long done
    dry = ImportJob.objects.create(
        target="leads", path=str(path), filename="b.csv", created_by=company.mark, dry_run=True
    )
    long_ago = timezone.now() - dt.timedelta(days=30)
    ImportJob.objects.filter(pk=dry.pk).update(status=JobStatus.DONE, finished_at=long_ago)
    assert _uploads() == [path]
    os.utime(path, (long_ago.timestamp(), long_ago.timestamp()))
    housekeeping.call()
    assert not path.exists()


def test_a_file_refused_on_the_import_page_is_deleted(company: Company) -> None:
    client = Client()
    client.force_login(company.mark)
    upload = SimpleUploadedFile("leads.csv", b"Email\x00\na@x.example\n")  # not a text file
    response = client.post("/imports/", {"file": upload, "target": "leads"})
    assert response.status_code == 200
    assert "This is not a text file" in response.content.decode()
    assert _uploads() == []
