"""The ``opportune import`` and ``opportune export`` subcommands.

``opportune.cli`` registers them with one call to ``add_commands``. Both are thin callers of
this app's services: an import runs in this process (with a progress bar), through the same
job, batches and row report as an upload in the UI.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .models import Target

if TYPE_CHECKING:
    from opportune.cli import _Parser
    from opportune.identity.models import User

    from .models import ImportJob

CommandMaker = Callable[..., argparse.ArgumentParser]
SHOWN_ERRORS = 20


def _actor(username: str | None) -> User:
    from opportune.errors import RuleViolation
    from opportune.identity.models import Role, User

    users = User.objects.filter(is_active=True)
    user = (
        users.filter(username=username).first()
        if username
        else users.filter(role=Role.ADMIN).order_by("pk").first()
    )
    if user is None:
        raise RuleViolation(
            f"No active user '{username}'." if username else "No admin: name one with --user."
        )
    return user


def _mapping(value: str | None, user: User) -> tuple[dict[str, Any] | None, Any]:
    """--mapping: a JSON file ({"columns": …, "values": …, "defaults": …}) or a saved name."""
    from opportune.errors import RuleViolation

    from .models import ImportMapping

    if not value:
        return None, None
    path = Path(value)
    if path.exists():
        from . import spec

        try:
            return spec.parse(path.read_text(encoding="utf-8")), None
        except RuleViolation as exc:
            raise RuleViolation(f"{path}: {exc.detail}") from exc
    saved = ImportMapping.objects.visible_to(user).filter(name=value).first()
    if saved is None:
        raise RuleViolation(f"'{value}' is neither a mapping file nor a saved mapping.")
    return None, saved


class ProgressBar:
    """One line on stderr, redrawn as batches commit: bar, percent, rows, rows per second."""

    def __init__(self, stream: Any = None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.started = time.monotonic()

    def __call__(self, job: ImportJob) -> None:
        total = job.total_rows or 0
        filled = self.width * job.rows_done // total if total else 0
        rate = job.rows_done / max(time.monotonic() - self.started, 1e-6)
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (self.width - filled)}] {job.percent:3d}% "
            f"{job.rows_done:,}/{total:,} rows  {rate:,.0f} rows/s "
        )
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def summary(job: ImportJob) -> list[str]:
    from .unmapped import unmapped_values

    verb = "would be" if job.dry_run else "were"
    lines = [
        f"{'Dry run' if job.dry_run else 'Import'} #{job.pk} of {job.filename}: {job.status}"
        f" ({job.encoding}, delimiter {job.delimiter!r}, {job.rows_done:,} rows)",
        f"  {job.created:,} {verb} created, {job.updated:,} updated, {job.skipped:,} skipped "
        f"(duplicates inside the file), {job.invalid:,} invalid"
        # Only leads are checked against the existing records.
        + (
            f", {job.possible_duplicates:,} possible duplicates of existing leads"
            if job.target == Target.LEADS
            else ""
        ),
    ]
    if job.failure:
        lines.append(f"  Failure: {job.failure}")
    columns = job.mapping.get("columns", {})
    lines.append("  Columns: " + ", ".join(f"{h} -> {f}" for h, f in columns.items() if f))
    skipped = [h for h, f in columns.items() if not f]
    if skipped:
        lines.append("  Skipped columns: " + ", ".join(skipped))
    unmapped = unmapped_values(job)
    if unmapped:
        lines.append('  Values to map (give them under "values" in the mapping):')
        lines.extend(
            f"    {u.column} -> {u.field}: '{u.value}' in {u.count:,} rows "
            f"(lines {', '.join(map(str, u.lines))}{', …' if u.count > len(u.lines) else ''})"
            for u in unmapped
        )
    errors = list(job.row_errors.order_by("line", "pk")[:SHOWN_ERRORS])
    if errors:
        lines.append(f"  First reported rows (of {job.row_errors.count():,}):")
        lines.extend(
            f"    line {e.line}, {e.column or '(row)'}: {e.reason} [{e.kind}]" for e in errors
        )
    return lines


def cmd_import(args: argparse.Namespace) -> int:
    from opportune.errors import RuleViolation

    from .export import error_lines
    from .services import create_job, removed_if_refused, run_job, store_file

    if args.target == "bundle":
        return cmd_import_bundle(args)
    if len(args.file) != 1:
        raise RuleViolation(f"Import one file of {args.target} (several: import bundle).")
    path = Path(args.file[0])
    if not path.is_file():
        raise RuleViolation(f"No file {path}.")
    if args.errors and not Path(args.errors).parent.is_dir():
        raise RuleViolation(f"No folder to write {args.errors} in.")
    user = _actor(args.user)
    given, saved = _mapping(args.mapping, user)
    with path.open("rb") as source:
        stored = store_file(source)
    with removed_if_refused(stored):
        job = create_job(
            user,
            args.target,
            stored,
            path.name,
            mapping=given,
            saved_mapping=saved,
            match_key=args.match or "",
            dry_run=args.dry_run,
            encoding=args.encoding or "",
        )
    bar = ProgressBar()
    try:
        job = run_job(job.pk, progress=None if args.quiet else bar)
    finally:
        if not args.quiet:
            bar.close()
    print("\n".join(summary(job)), flush=True)
    if args.errors:
        with Path(args.errors).open("w", encoding="utf-8", newline="") as out:
            out.writelines(error_lines(job))
        print(f"  Every reported row: {args.errors}", flush=True)
    return 0 if job.status == "done" else 1


def cmd_import_bundle(args: argparse.Namespace) -> int:
    """Several files in dependency order (``bundle.py``), one report each."""
    from opportune.errors import RuleViolation

    from .bundle import BundleFile, gathered, import_bundle

    if args.dry_run or args.errors or args.encoding:
        raise RuleViolation(
            "A bundle is imported for real (a file's references need the earlier files' "
            "records): dry-run, check or fix one file with 'opportune import TARGET FILE'."
        )
    user = _actor(args.user)
    given, saved = _mapping(args.mapping, user)
    bar = ProgressBar()

    def report(file: BundleFile, job: ImportJob) -> None:
        if not args.quiet:
            bar.close()
        print(f"== {file.target}: {file.path.name}", flush=True)
        print("\n".join(summary(job)), flush=True)

    with gathered(args.file) as files:
        print(
            "Importing, in this order: " + ", ".join(f"{f.path.name} ({f.target})" for f in files)
        )
        jobs = import_bundle(
            user,
            files,
            mapping=given,
            saved_mapping=saved,
            match_key=args.match or "",
            progress=None if args.quiet else bar,
            done=report,
        )
    return 0 if all(job.status == "done" for job in jobs) else 1


def _filter_params(args: argparse.Namespace) -> dict[str, str]:
    """``--filter NAME=VALUE`` (repeatable) and the ``--status/--source/--q`` shorthands: the
    list's own query-string parameters, checked by its FilterSet like the UI's and API's."""
    from opportune.errors import field_error

    params: dict[str, str] = {}
    for given in args.filter or []:
        name, sep, value = given.partition("=")
        if not sep or not name:
            raise field_error("filter", f"--filter takes NAME=VALUE, not '{given}'.")
        params[name.strip()] = value
    for name in ("status", "source", "q"):
        value = getattr(args, name)
        if value is not None:
            params[name] = value
    return params


def cmd_export(args: argparse.Namespace) -> int:
    from .export import csv_lines, export_format, export_queryset, xlsx_file

    user = _actor(args.user)
    queryset = export_queryset(args.target, user, _filter_params(args), also_allowed=())
    by_name = "xlsx" if str(args.output or "").lower().endswith(".xlsx") else "csv"
    fmt = export_format({"format": args.format or by_name})
    if fmt == "xlsx":
        with xlsx_file(args.target, queryset) as workbook:
            if not args.output:
                shutil.copyfileobj(workbook, sys.stdout.buffer)
                return 0
            with Path(args.output).open("wb") as out:
                shutil.copyfileobj(workbook, out)
        return 0
    if not args.output:
        sys.stdout.writelines(csv_lines(args.target, queryset))
        return 0
    output = Path(args.output)
    with output.open("w", encoding="utf-8", newline="") as out:
        try:
            out.writelines(csv_lines(args.target, queryset))
        except BaseException:
            output.unlink(missing_ok=True)  # no half-written file left behind
            raise
    return 0


def add_commands(commands: argparse._SubParsersAction[_Parser], command: CommandMaker) -> None:
    """Register ``import`` and ``export``; ``command`` is ``opportune.cli._command``."""
    targets = list(Target.values)
    imports = command(commands, "import", cmd_import, "Import a CSV file (with a progress bar).")
    imports.add_argument("target", choices=[*targets, "bundle"])
    imports.add_argument(
        "file",
        nargs="+",
        help="a CSV file or an Excel workbook (.xlsx); for bundle: files (TARGET=FILE when "
        "the name does not say), folders or zips, imported in dependency order",
    )
    imports.add_argument(
        "--mapping", help="a JSON mapping file, or the name of a saved mapping (default: headers)"
    )
    imports.add_argument("--match", help="update records matching on: email, external_id, name")
    imports.add_argument("--dry-run", action="store_true", help="report, write nothing")
    imports.add_argument("--encoding", help="default: detected (utf-8, utf-16, cp1252, latin-1)")
    imports.add_argument("--user", help="import as this user (default: the first admin)")
    imports.add_argument("--errors", help="write every reported row to this CSV file")
    imports.add_argument("--quiet", action="store_true", help="no progress bar")

    export = command(commands, "export", cmd_export, "Export a list as CSV or Excel.")
    export.add_argument("target", choices=targets)
    export.add_argument("--format", choices=("csv", "xlsx"), help="default: by --output, else csv")
    export.add_argument("--output", "-o", help="default: standard output")
    export.add_argument("--user", help="export what this user sees (default: the first admin)")
    export.add_argument(
        "--filter",
        action="append",
        metavar="NAME=VALUE",
        help="a filter of the list, as in its URL and API (repeatable), e.g. owner_id=3",
    )
    export.add_argument("--status", help="shorthand for --filter status=VALUE")
    export.add_argument("--source", help="shorthand for --filter source=VALUE")
    export.add_argument("--q", help="shorthand for --filter q=VALUE (search)")
