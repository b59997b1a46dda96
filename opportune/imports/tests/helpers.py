"""Running an import in a test: store the text, create the job, run it in-process."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

from opportune.identity.models import User
from opportune.imports.models import ImportJob
from opportune.imports.services import create_job, run_job, store_file


def stored(content: str | bytes, encoding: str = "utf-8") -> Path:
    raw = content.encode(encoding) if isinstance(content, str) else content
    return store_file(BytesIO(raw))


def run_import(
    user: User,
    content: str | bytes,
    target: str = "leads",
    encoding: str = "utf-8",
    **options: Any,
) -> ImportJob:
    job = create_job(user, target, stored(content, encoding), "test.csv", **options)
    return run_job(job.pk)


def issues(job: ImportJob) -> list[tuple[int, str, str]]:
    return [(e.line, e.column, e.kind) for e in job.row_errors.all()]
