"""Uploaded files do not pile up: a refused upload is deleted at once."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from conftest import Company
from opportune.cli import main
from opportune.identity.models import ApiToken
from opportune.imports.services import upload_dir


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


def test_a_file_refused_on_the_import_page_is_deleted(company: Company) -> None:
    client = Client()
    client.force_login(company.mark)
    upload = SimpleUploadedFile("leads.csv", b"Email\na@x.example\n")
    assert client.post("/imports/", {"file": upload, "target": "leads"}).status_code == 200
    assert _uploads() == []
