"""The worker side of ``test_import_crash.py``, run as its own process so that it can be
killed with SIGKILL: ``python -m opportune.imports.tests.crash_child COMMAND ...``.

- ``setup CSV``: an admin and a queued import job of the file; prints the job's id.
- ``run JOB WHEN N PIDS``: runs the job, killing itself with SIGKILL ``after-commit`` of the
  batch that reaches N rows, or in the middle of the N-th batch's transaction (``in-batch``),
  or never (``never``); the helpers' process ids are written to the file PIDS.
- ``resume JOB``: resumes the job as the API does, then runs it to the end.
- ``dump JOB``: the job's counts, reported rows and leads, as JSON.

Batches are 300 rows and helpers check from the first row, so a small file has both.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import django


def _kill() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def main(command: str, *args: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opportune.settings")
    django.setup()
    from opportune.identity.models import Role, User
    from opportune.imports import checking, seen, services
    from opportune.imports.models import ImportJob
    from opportune.leads.models import Lead

    services.BATCH_ROWS = 300
    services.HELPED_FROM_ROWS = 0

    if command == "setup":
        admin = User.objects.create_user("importer", role=Role.ADMIN)
        with open(args[0], "rb") as source:
            path = services.store_file(source)
        print(services.create_job(admin, "leads", path, "leads.csv").pk)
        return

    job = ImportJob.objects.get(pk=int(args[0]))
    if command == "run":
        when, at, pids = args[1], int(args[2]), Path(args[3])
        enter = checking.Checker.__enter__

        def enter_and_tell(self: checking.Checker) -> checking.Checker:
            entered = enter(self)
            pids.write_text(" ".join(str(p.pid) for p in self.processes))
            return entered

        checking.Checker.__enter__ = enter_and_tell  # type: ignore[method-assign]
        if when == "in-batch":
            record = seen.SeenKeys.record
            batches = 0

            def record_then_die(self: seen.SeenKeys) -> None:
                nonlocal batches
                record(self)  # the batch's leads and keys are written, not yet committed
                batches += 1
                if batches == at:
                    _kill()

            seen.SeenKeys.record = record_then_die  # type: ignore[method-assign]

        def progress(done: ImportJob) -> None:
            if when == "after-commit" and done.rows_done >= at:
                _kill()

        services.run_job(job.pk, progress)
    elif command == "resume":
        services.run_job(services.resume_job(job.created_by, job).pk)
    elif command == "dump":
        job.refresh_from_db()
        found: dict[str, Any] = {
            "counts": [job.status, job.rows_done, job.created, job.skipped, job.invalid],
            "reported": list(job.row_errors.order_by("line").values_list("line", "kind")),
            "leads": list(
                Lead.objects.order_by("email", "last_name").values_list(
                    "first_name", "last_name", "company", "email", "phone_key"
                )
            ),
        }
        print(json.dumps(found))


if __name__ == "__main__":
    main(*sys.argv[1:])
