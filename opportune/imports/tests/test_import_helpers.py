"""Large imports check their next batches in helper processes (``checking.py``): the result
must be exactly the one of checking in the importing process, and a helper's failure must
fail the job like any other, leaving the database connection usable."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from pytest_django import Settings

from conftest import Company
from opportune.imports import services
from opportune.imports.lead_importer import LeadImporter
from opportune.imports.models import ImportJob
from opportune.imports.services import create_job, run_job
from opportune.leads.models import Lead
from opportune.leads.schemas import LeadCreate
from opportune.leads.services import create_lead

from .helpers import stored


def _content() -> str:
    rows = ["First Name,Last Name,Company,Email,Phone,Country,Lead Status,Lead Owner"]
    for n in range(240):
        email = f"lead{n}@example.com"
        phone, status, owner = f"(415) 555-{n:04d}", "New", ""
        if n % 17 == 0:
            email = "not-an-email"
        if n % 29 == 0:
            email = f"lead{n - 1}@example.com"  # the row before's email: skipped
        if n % 31 == 0:
            status = "Nonsense"
        if n % 37 == 0:
            owner = "nobody"
        if n % 41 == 0:
            phone = "+44 20 7946 0958"  # an existing lead's phone
        if n % 43 == 0:
            owner = "alice"
        rows.append(f"Ada{n},Lovelace{n},Acme {n % 7},{email},{phone},US,{status},{owner}")
    return "\n".join(rows) + "\n"


def _import(company: Company, content: str) -> tuple[Any, ...]:
    job = run_job(create_job(company.maria, "leads", stored(content), "x.csv").pk)
    counts = (job.status, job.rows_done, job.created, job.skipped, job.invalid)
    errors = list(job.row_errors.order_by("line").values_list("line", "column", "kind", "reason"))
    leads = list(
        Lead.objects.filter(created_at__gte=job.created_at)
        .order_by("last_name")
        .values_list("last_name", "email", "phone_key", "status__key", "owner__username")
    )
    return counts, errors, leads


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "BATCH_ROWS", 25)
    monkeypatch.setattr(services, "HELPED_FROM_ROWS", 0)


def test_checking_in_helper_processes_gives_exactly_the_import_of_checking_here(
    company: Company, settings: Settings, small_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_lead(
        company.maria,
        LeadCreate(last_name="Existing", company="Acme", phone="+44 20 7946 0958", country="GB"),
    )
    content = _content()
    settings.OPPORTUNE_IMPORT_HELPERS = 0
    here = _import(company, content)
    Lead.objects.exclude(last_name="Existing").delete()

    checked_by: set[int] = set()
    real_check, real_settle = LeadImporter.check, LeadImporter.settle

    def check(self: LeadImporter, rows: Any) -> Any:
        checked = real_check(self, rows)
        return [(os.getpid(), item) for item in checked]

    def settle(self: LeadImporter, checked: Any) -> Any:
        checked_by.update(pid for pid, _ in checked)
        return real_settle(self, [item for _, item in checked])

    monkeypatch.setattr(LeadImporter, "check", check)
    monkeypatch.setattr(LeadImporter, "settle", settle)
    settings.OPPORTUNE_IMPORT_HELPERS = 2
    helped = _import(company, content)

    assert len(checked_by) == 2 and os.getpid() not in checked_by
    assert helped == here
    counts, errors, leads = helped
    assert counts[:2] == ("done", 240) and counts[2] == len(leads) > 150
    assert ("Lovelace43", "lead43@example.com", "+14155550043", "new", "alice") in leads
    kinds = {kind for _, _, kind, _ in errors}
    assert kinds == {"invalid", "unmapped_value", "duplicate_in_file", "possible_duplicate"}


def _run_failing_on_third_batch(
    job: ImportJob, monkeypatch: pytest.MonkeyPatch, fail: Callable[[], None], message: str
) -> ImportJob:
    """Run the job while its one helper runs ``fail`` on the third batch of 25 rows."""
    real_check = LeadImporter.check

    def check(self: LeadImporter, rows: Any) -> Any:
        if rows[0].line == 52:
            fail()
        return real_check(self, rows)

    with monkeypatch.context() as patched:
        patched.setattr(LeadImporter, "check", check)
        with pytest.raises(RuntimeError, match=message):
            run_job(job.pk)
    job.refresh_from_db()
    return job


@pytest.fixture
def hundred_rows(company: Company, settings: Settings, small_batches: None) -> ImportJob:
    settings.OPPORTUNE_IMPORT_HELPERS = 1
    content = "Last Name,Company\n" + "".join(f"L{n},Acme\n" for n in range(100))
    return create_job(company.mark, "leads", stored(content), "x.csv")


def _crash() -> None:
    raise RuntimeError("helper crashed")


def _killed() -> None:
    os._exit(3)  # as by the kernel's out-of-memory killer


def test_a_helper_that_fails_fails_the_job_and_a_resume_finishes_it(
    hundred_rows: ImportJob, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = _run_failing_on_third_batch(hundred_rows, monkeypatch, _crash, "helper crashed")
    assert (job.status, job.rows_done, Lead.objects.count()) == ("failed", 50, 50)
    assert "helper crashed" in job.failure

    job = run_job(job.pk)
    assert (job.status, job.rows_done, job.created, Lead.objects.count()) == ("done", 100, 100, 100)


def test_a_helper_that_dies_fails_the_job_with_its_exit_code(
    hundred_rows: ImportJob, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = _run_failing_on_third_batch(hundred_rows, monkeypatch, _killed, "exit code 3")
    # Whole batches only (what the helper had checked but not yet handed over is lost)...
    assert job.status == "failed" and job.rows_done in (0, 25, 50)
    assert Lead.objects.count() == job.rows_done
    # ...and a resume checks the rest again.
    job = run_job(job.pk)
    assert (job.status, job.created, Lead.objects.count()) == ("done", 100, 100)
