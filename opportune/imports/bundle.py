"""Several files in one run (``opportune import bundle FILE... | DIR | ZIP``): accounts,
contacts, opportunities, leads and activities imported in that order, so that each file's
references to the others (Salesforce's AccountId, WhoId, WhatId; HubSpot's and Pipedrive's
associated records) find the records the earlier files brought, through the external ids
they were imported with. One job, so one report, per file.

Which list a file holds comes from ``TARGET=FILE`` when given, else from its name:
"Account.csv", "hubspot-companies.csv", "organizations.csv" are accounts; "Contact",
"persons", "people" contacts; "Opportunity", "deals" opportunities; "Lead" leads; "Task",
"Event", "activities", "engagements", "calls", "meetings", "notes" activities. The UI's
wizard stays one file at a time.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opportune.errors import RuleViolation
from opportune.identity.models import User

from .mapping import fields_of
from .models import ImportJob, ImportMapping, Target

ORDER = [Target.ACCOUNTS, Target.CONTACTS, Target.OPPORTUNITIES, Target.LEADS, Target.ACTIVITIES]
READABLE = (".csv", ".xlsx", ".txt", ".tsv")
# Words of a file's name that say which list it holds (the first found wins, in this order).
_NAME_WORDS: list[tuple[Target, tuple[str, ...]]] = [
    (Target.ACTIVITIES, ("activit", "task", "event", "engagement", "call", "meeting", "note")),
    (Target.OPPORTUNITIES, ("opportunit", "deal")),
    (Target.CONTACTS, ("contact", "person", "people")),
    (Target.ACCOUNTS, ("account", "compan", "organization", "organisation", "org")),
    (Target.LEADS, ("lead",)),
]
_WORD = re.compile(r"[a-z]+")


@dataclass
class BundleFile:
    target: Target
    path: Path


def target_of(path: Path) -> Target | None:
    """The list a file holds, by the words of its name (None: it does not say)."""
    words = _WORD.findall(path.stem.casefold())
    for target, stems in _NAME_WORDS:
        if any(word.startswith(stem) for word in words for stem in stems):
            return target
    return None


@contextmanager
def gathered(given: list[str]) -> Iterator[list[BundleFile]]:
    """The bundle's files in import order: each given file (``TARGET=FILE`` or FILE), the
    readable files of a given folder, or of a given zip (extracted to a temporary folder
    for the run)."""
    with tempfile.TemporaryDirectory(prefix="opportune-bundle-") as scratch:
        files: list[BundleFile] = []
        for item in given:
            named, sep, rest = item.partition("=")
            if sep and named in Target.values:
                files.append(BundleFile(Target(named), _existing(Path(rest))))
                continue
            path = Path(item)
            if path.is_dir():
                files.extend(_named(p) for p in sorted(path.iterdir()) if _readable(p))
            elif path.suffix.casefold() == ".zip" and path.is_file():
                files.extend(_named(p) for p in _unzipped(path, Path(scratch)))
            else:
                files.append(_named(_existing(path)))
        if not files:
            raise RuleViolation("The bundle has no file to import (.csv or .xlsx).")
        yield sorted(files, key=lambda f: (ORDER.index(f.target), f.path.name))


def _readable(path: Path) -> bool:
    return path.is_file() and path.suffix.casefold() in READABLE


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise RuleViolation(f"No file {path}.")
    return path


def _named(path: Path) -> BundleFile:
    target = target_of(path)
    if target is None:
        raise RuleViolation(
            f"{path.name}: its name does not say what it holds; give it as "
            f"TARGET={path} (TARGET: {', '.join(Target.values)})."
        )
    return BundleFile(target, path)


def _unzipped(archive: Path, scratch: Path) -> list[Path]:
    folder = scratch / archive.stem
    folder.mkdir(parents=True, exist_ok=True)
    found = []
    with zipfile.ZipFile(archive) as opened:
        for member in opened.infolist():
            name = Path(member.filename).name  # never a path outside the folder
            readable = Path(name).suffix.casefold() in READABLE
            if member.is_dir() or name.startswith(".") or not readable:
                continue
            target = folder / name
            with opened.open(member) as source, target.open("wb") as out:
                out.write(source.read())
            found.append(target)
    return sorted(found)


def for_target(mapping: dict[str, Any] | None, target: Target) -> dict[str, Any] | None:
    """The parts of a bundle's mapping that name fields of ``target``."""
    if mapping is None:
        return None
    fields = set(fields_of(target)) | {"lifecycle_stage"}
    declared = {} if target == Target.ACTIVITIES else dict(mapping.get("custom_fields") or {})
    fields |= {f"custom.{key}" for key in declared}
    kept: dict[str, Any] = {k: v for k, v in mapping.items() if k in ("name", "options")}
    columns = mapping.get("columns") or {}
    kept["columns"] = {h: f for h, f in columns.items() if not f or f in fields}
    for part in ("values", "defaults", "new_values"):
        kept[part] = {f: v for f, v in (mapping.get(part) or {}).items() if f in fields}
    kept["custom_fields"] = declared
    return kept


def import_bundle(
    actor: User,
    files: list[BundleFile],
    *,
    mapping: dict[str, Any] | None = None,
    saved_mapping: ImportMapping | None = None,
    match_key: str = "",
    progress: Callable[[ImportJob], None] | None = None,
    done: Callable[[BundleFile, ImportJob], None] | None = None,
) -> list[ImportJob]:
    """Import each file in order, one job each, run here; ``done`` is told of each job as it
    ends. A mapping given applies to every file, each taking the parts that name its own
    fields (a default lost reason is the opportunities'); a match key that a list does not
    take is left out for it."""
    from .services import (
        MAPPING_PARTS,
        MATCH_KEYS,
        create_job,
        removed_if_refused,
        run_job,
        store_file,
    )

    if saved_mapping is not None:  # saved for one list: its parts, as a given mapping's
        mapping = {
            **{part: getattr(saved_mapping, part) for part in MAPPING_PARTS},
            **(mapping or {}),
        }
    jobs = []
    for file in files:
        with file.path.open("rb") as source:
            stored = store_file(source)
        with removed_if_refused(stored):
            try:
                job = create_job(
                    actor,
                    file.target,
                    stored,
                    file.path.name,
                    mapping=for_target(mapping, file.target),
                    match_key=match_key if match_key in MATCH_KEYS[file.target] else "",
                )
            except RuleViolation as exc:
                raise RuleViolation(f"{file.path.name} ({file.target}): {exc.detail}") from exc
        job = run_job(job.pk, progress=progress)
        jobs.append(job)
        if done is not None:
            done(file, job)
    return jobs
