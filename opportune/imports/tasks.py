"""Background work of imports, run by ``opportune worker`` (django-tasks, database queue)."""

from __future__ import annotations

from django_tasks import task

from .services import run_job


@task()
def run_import(job_id: int) -> None:
    run_job(job_id)
