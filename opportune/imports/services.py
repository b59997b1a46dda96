"""Import jobs: create one from an uploaded file, run it in batches, resume it after a crash.

Each batch is read and validated first (the shared input schemas, e.g. ``LeadCreate``), then
written in one short transaction that also records the batch's row errors and advances the
job's ``rows_done``; so a crash loses at most the batch in flight, and a resumed job starts
exactly after the last committed row. A row that fails never blocks the others, and no row
is ever half-written.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from opportune.errors import Conflict, field_error
from opportune.identity import policy
from opportune.identity.models import User

from . import seen, spec
from .activity_importer import ActivityImporter
from .checking import Checker, helper_count
from .importers import (
    AccountImporter,
    BatchOutcome,
    ContactImporter,
    Importer,
    OpportunityImporter,
)
from .lead_importer import LeadImporter
from .mapping import Mapping
from .models import ImportJob, ImportMapping, ImportRowError, JobStatus, Target
from .reading import FileShape, Row, UnreadableFile, count_rows, inspect, read_rows
from .schemas import MappingIn

BATCH_ROWS = 2000
# Below this many rows, starting helper processes (``checking.py``) costs more than it saves.
HELPED_FROM_ROWS = 4 * BATCH_ROWS
MAPPING_PARTS = ("columns", "values", "defaults", "options", "new_values", "custom_fields")
MATCH_KEYS = {
    Target.LEADS: ("email", "external_id"),
    Target.ACCOUNTS: ("name", "external_id"),
    Target.CONTACTS: ("email", "external_id"),
    Target.OPPORTUNITIES: ("external_id",),
    Target.ACTIVITIES: ("external_id",),
}

IMPORTERS: dict[Target, type[Importer[Any]]] = {
    Target.LEADS: LeadImporter,
    Target.ACCOUNTS: AccountImporter,
    Target.CONTACTS: ContactImporter,
    Target.OPPORTUNITIES: OpportunityImporter,
    Target.ACTIVITIES: ActivityImporter,
}
Progress = Callable[[ImportJob], None]


SHIPPED_MAPPINGS = Path(__file__).parent / "mappings"


def shipped_mapping(name: str) -> ImportMapping:
    """A mapping that ships with Opportune (``imports/mappings/<name>.json``), saved under its
    name so that imports can reuse it."""
    spec = json.loads((SHIPPED_MAPPINGS / f"{name}.json").read_text(encoding="utf-8"))
    fields = {key: spec.get(key, {}) for key in MAPPING_PARTS}
    saved, _ = ImportMapping.objects.update_or_create(
        name=spec["name"], defaults={**fields, "target": spec["target"]}
    )
    return saved


@transaction.atomic
def save_mapping(actor: User, data: MappingIn) -> ImportMapping:
    """Save a column mapping under its name: a new one belongs to its author; an existing one
    is changed only by its owner or an admin (a shared mapping is used by all, not edited)."""
    policy.require_writer(actor)
    spec.check(data.target, data.model_dump(exclude={"is_shared"}))
    values = data.model_dump(exclude={"name"})
    found = ImportMapping.objects.select_for_update().filter(name=data.name).first()
    if found is None:
        return ImportMapping.objects.create(name=data.name, created_by=actor, **values)
    if not ImportMapping.objects.visible_to(actor).filter(pk=found.pk).exists():
        raise field_error("name", f"Another user has a mapping named '{data.name}'.")
    policy.require(actor, policy.Verb.CHANGE, found)
    for name, value in values.items():
        setattr(found, name, value)
    found.save()
    return found


def upload_dir() -> Path:
    folder = Path(settings.DATA_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def store_upload(chunks: Iterable[bytes]) -> Path:
    """Copy an upload into the data directory, where the worker process can read it."""
    path = upload_dir() / f"{uuid.uuid4().hex}.csv"
    with path.open("wb") as out:
        for chunk in chunks:
            out.write(chunk)
    return path


def store_file(source: IO[bytes]) -> Path:
    return store_upload(iter(lambda: source.read(1024 * 1024), b""))


@contextmanager
def removed_if_refused(path: Path) -> Iterator[Path]:
    """The stored upload, deleted when its job is refused (unreadable file, missing columns,
    a bad option) or anything else stops the job from being created."""
    try:
        yield path
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def purge_uploads(now: dt.datetime) -> int:
    """Delete the uploads of jobs finished (done or failed) more than
    ``OPPORTUNE_IMPORT_UPLOAD_DAYS`` before ``now``, and files no job names that are as old;
    run by the worker with the recycle bin's purge. Returns how many files were deleted."""
    cutoff = now - dt.timedelta(days=settings.OPPORTUNE_IMPORT_UPLOAD_DAYS)
    finished = (JobStatus.DONE, JobStatus.FAILED)
    kept = {
        Path(p).name
        for p in ImportJob.objects.exclude(status__in=finished, finished_at__lt=cutoff).values_list(
            "path", flat=True
        )
    }
    deleted = 0
    for path in upload_dir().glob("*.csv"):
        if path.name in kept:
            continue
        try:
            if path.stat().st_mtime >= cutoff.timestamp():
                continue
            path.unlink()
        except FileNotFoundError:
            continue
        deleted += 1
    return deleted


def check_target(actor: User, target: str) -> None:
    policy.require_writer(actor)
    if target not in Target.values:
        raise field_error(
            "target",
            f"Import leads, accounts, contacts, opportunities or activities, not '{target}'.",
        )
    policy.require_create(actor, Target(target).kind)


def create_job(
    actor: User,
    target: str,
    path: Path,
    filename: str,
    *,
    mapping: dict[str, Any] | None = None,
    saved_mapping: ImportMapping | None = None,
    match_key: str = "",
    dry_run: bool = False,
    encoding: str = "",
    delimiter: str = "",
) -> ImportJob:
    """A queued job for a stored file, once the file is readable and maps every required
    field; otherwise the error says which columns are missing."""
    check_target(actor, target)
    if match_key and match_key not in MATCH_KEYS[Target(target)]:
        allowed = ", ".join(MATCH_KEYS[Target(target)])
        raise field_error("match_key", f"Match {target} on one of: {allowed}.")
    shape = inspect(path, encoding, delimiter)
    given: dict[str, Any] = {}
    if saved_mapping is not None:
        if saved_mapping.target != target:
            raise field_error(
                "mapping", f"The mapping '{saved_mapping}' is for {saved_mapping.target}."
            )
        given = {k: getattr(saved_mapping, k) for k in MAPPING_PARTS}
    if mapping is not None:
        spec.check(target, mapping)
    if mapping and mapping.get("target", target) != target:
        raise field_error("mapping", f"The mapping is for {mapping['target']}, not {target}.")
    for key in MAPPING_PARTS:
        if mapping is not None and isinstance(mapping.get(key), dict):
            given[key] = {**given.get(key, {}), **mapping[key]}
    with transaction.atomic():
        # The declared custom fields exist before the columns resolve to them; a refusal
        # below rolls their creation back with the job's.
        spec.create_custom_fields(actor, target, given.get("custom_fields") or {})
        return _job(actor, target, path, filename, shape, given, saved_mapping, match_key, dry_run)


def _job(
    actor: User,
    target: str,
    path: Path,
    filename: str,
    shape: FileShape,
    given: dict[str, Any],
    saved_mapping: ImportMapping | None,
    match_key: str,
    dry_run: bool,
) -> ImportJob:
    resolved = Mapping.resolve(target, shape.headers, given)
    missing = resolved.missing_required(target)
    if missing:
        raise field_error(
            "columns",
            f"The file has no column for: {', '.join(missing)}. Its columns are: "
            f"{', '.join(shape.headers)}. Map one, or give a default.",
        )
    if match_key and match_key not in resolved.columns.values():
        raise field_error("match_key", f"No column of the file maps to '{match_key}'.")
    if not dry_run:
        spec.add_new_values(actor, target, resolved.new_values)
    return ImportJob.objects.create(
        target=target,
        dry_run=dry_run,
        match_key=match_key,
        path=str(path),
        filename=filename[:255],
        encoding=shape.encoding,
        delimiter=shape.delimiter,
        mapping=resolved.as_json(),
        saved_mapping=saved_mapping,
        created_by=actor,
    )


def import_checked(
    actor: User, dry_run: ImportJob, mapping: dict[str, Any] | None = None
) -> ImportJob:
    """The real import of a file whose dry run is done, with the same mapping (or this one,
    its unmapped values mapped) and match."""
    if not (dry_run.dry_run and dry_run.status == JobStatus.DONE):
        raise Conflict("Only a finished dry run can be imported for real.")
    if not Path(dry_run.path).exists():
        raise Conflict("The file of this dry run is gone; upload it again.")
    return create_job(
        actor,
        dry_run.target,
        Path(dry_run.path),
        dry_run.filename,
        mapping=dry_run.mapping if mapping is None else mapping,
        saved_mapping=dry_run.saved_mapping,
        match_key=dry_run.match_key,
        encoding=dry_run.encoding,
        delimiter=dry_run.delimiter,
    )


def enqueue(job: ImportJob) -> None:
    """Run the job in the worker (``opportune worker``) once the caller's transaction commits."""
    from .tasks import run_import

    transaction.on_commit(lambda: run_import.enqueue(job.pk))


def resume_job(actor: User, job: ImportJob) -> ImportJob:
    """Queue a job that failed or whose worker died, to continue after its last committed row."""
    policy.require_writer(actor)
    if job.status == JobStatus.DONE:
        raise Conflict("This import is finished.")
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED, failure="")
    job.refresh_from_db()
    enqueue(job)
    return job


def run_job(job_id: int, progress: Progress | None = None) -> ImportJob:
    """Import the file from the row after the last committed one to the end."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status == JobStatus.DONE:
        return job
    ImportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, started_at=job.started_at or timezone.now(), failure=""
    )
    path = Path(job.path)
    try:
        shape = inspect(path, job.encoding, job.delimiter)
        shape = FileShape(job.encoding, job.delimiter, shape.headers)
        if job.total_rows is None:
            job.total_rows = count_rows(path, shape)
            ImportJob.objects.filter(pk=job.pk).update(total_rows=job.total_rows)
        importer = IMPORTERS[Target(job.target)](job, Mapping(**job.mapping))
        left = job.total_rows - job.rows_done
        helpers = helper_count() if left > HELPED_FROM_ROWS else 0
        skip = job.rows_done

        def batches() -> Iterator[list[Row]]:
            return _batches(read_rows(path, shape, skip=skip))

        with importer.seen, Checker(importer, batches, helpers) as checker:
            for size, checked in checker.checked():
                _commit(job, importer.settle(checked), importer.seen, size, progress)
    except UnreadableFile as exc:
        _finish(job, JobStatus.FAILED, exc.detail)
    except Exception as exc:
        _finish(job, JobStatus.FAILED, f"The import stopped: {exc!r}. Resume it to continue.")
        raise
    else:
        _finish(job, JobStatus.DONE)
        seen.forget(job.pk)
        # An upload is removed once imported; a dry run's waits for the real import.
        if not job.dry_run and path.parent == upload_dir():
            path.unlink(missing_ok=True)
    job.refresh_from_db()
    if progress:
        progress(job)
    return job


def _batches(rows: Iterable[Row]) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


def _finish(job: ImportJob, status: str, failure: str = "") -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        status=status, failure=failure, finished_at=timezone.now()
    )


def _commit(
    job: ImportJob,
    outcome: BatchOutcome[Any],
    keys: seen.SeenKeys,
    rows: int,
    progress: Progress | None,
) -> None:
    """Write one batch, its errors, the match keys it met and the job's progress, all or
    nothing."""
    with transaction.atomic():
        done = ImportJob.objects.select_for_update().values_list("rows_done", flat=True)
        if done.get(pk=job.pk) != job.rows_done:
            raise Conflict("Another worker is running this import.")
        counts = outcome.write()
        keys.record()
        ImportRowError.objects.bulk_create(
            [
                ImportRowError(
                    job_id=job.pk,
                    line=i.line,
                    column=i.column[:255],
                    kind=i.kind,
                    reason=i.reason,
                    value=i.value[:255],
                )
                for i in outcome.issues
            ],
            batch_size=1000,
        )
        ImportJob.objects.filter(pk=job.pk).update(
            rows_done=F("rows_done") + rows,
            created=F("created") + counts.created,
            updated=F("updated") + counts.updated,
            skipped=F("skipped") + counts.skipped,
            invalid=F("invalid") + counts.invalid,
            possible_duplicates=F("possible_duplicates") + counts.possible_duplicates,
        )
    job.rows_done += rows
    if progress:
        job.refresh_from_db()
        progress(job)
