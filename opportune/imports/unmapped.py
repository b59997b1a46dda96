"""The picklist values of a file that map to nothing: listed by the dry run with their
count and rows, then mapped (to a key, a new value, or blank) for the next run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Min
from django.db.models.functions import Lower

from opportune.identity.models import User

from .models import ImportJob, RowIssue
from .services import MAPPING_PARTS, create_job, import_checked

SHOWN_VALUES = 50
SHOWN_LINES = 10


@dataclass(frozen=True)
class UnmappedValue:
    column: str
    field: str
    value: str
    count: int
    lines: list[int]  # the first SHOWN_LINES rows
    key: str | None = None  # what it maps to: nothing yet


def unmapped_values(job: ImportJob) -> list[UnmappedValue]:
    """The job's unmapped values, most frequent first per column: one query for the counts,
    one per value shown (at most SHOWN_VALUES) for its first rows."""
    issues = job.row_errors.filter(kind=RowIssue.UNMAPPED_VALUE)
    # Values differing only in case are one value (the mapping compares them folded).
    groups = (
        issues.annotate(folded=Lower("value"))
        .values("column", "folded")
        .annotate(count=Count("pk"), shown=Min("value"))
        .order_by("column", "-count", "folded")[:SHOWN_VALUES]
    )
    columns = job.mapping.get("columns", {})
    return [
        UnmappedValue(
            column=group["column"],
            field=columns.get(group["column"], group["column"]),
            value=group["shown"],
            count=group["count"],
            lines=list(
                issues.filter(column=group["column"], value__iexact=group["folded"])
                .order_by("line")
                .values_list("line", flat=True)[:SHOWN_LINES]
            ),
        )
        for group in groups
    ]


def with_values(
    mapping: dict[str, Any],
    values: dict[str, dict[str, str]],
    new_values: dict[str, dict[str, str]] | None = None,
) -> dict[str, Any]:
    """A job's mapping with more value mappings ({field: {file value: key or ''}}) and new
    picklist values ({field: {key: label}})."""
    merged = {part: dict(mapping.get(part) or {}) for part in MAPPING_PARTS}
    for name, mapped in values.items():
        merged["values"][name] = {**merged["values"].get(name, {}), **mapped}
    for name, added in (new_values or {}).items():
        merged["new_values"][name] = {**merged["new_values"].get(name, {}), **added}
    return merged


def rerun(
    actor: User,
    job: ImportJob,
    values: dict[str, dict[str, str]],
    new_values: dict[str, dict[str, str]] | None = None,
    *,
    dry_run: bool,
) -> ImportJob:
    """The job's file again, its unmapped values now mapped: another dry run, or the real
    import (of a finished dry run only)."""
    mapping = with_values(job.mapping, values, new_values)
    if not dry_run:
        return import_checked(actor, job, mapping=mapping)
    return create_job(
        actor,
        job.target,
        _path(job),
        job.filename,
        mapping=mapping,
        match_key=job.match_key,
        dry_run=True,
        encoding=job.encoding,
        delimiter=job.delimiter,
    )


def _path(job: ImportJob) -> Any:
    from pathlib import Path

    from opportune.errors import Conflict

    path = Path(job.path)
    if not path.exists():
        raise Conflict("The file of this import is gone; upload it again.")
    return path
