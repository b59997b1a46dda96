"""``opportune backup PATH`` and ``opportune restore PATH``: a consistent copy of the whole
database while Opportune keeps serving, and putting one back.

SQLite uses its online backup API (pages copied from a live connection, so writers may go on
meanwhile; the copy is one consistent state). PostgreSQL uses ``pg_dump`` in its custom
format (one snapshot) and ``pg_restore --clean`` in a single transaction, so a restore that
fails leaves the database as it was. The client programs are found on PATH, else in the
newest /usr/lib/postgresql/*/bin, or where ``OPPORTUNE_PG_BIN`` says.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection

if TYPE_CHECKING:
    from opportune.cli import _Parser

CommandMaker = Callable[..., argparse.ArgumentParser]


class BackupError(Exception):
    """The backup or restore could not be made; the message says why."""


def _is_sqlite() -> bool:
    return connection.vendor == "sqlite"


def _sqlite() -> sqlite3.Connection:
    connection.ensure_connection()
    raw = connection.connection
    assert isinstance(raw, sqlite3.Connection)
    return raw


def pg_program(name: str) -> str:
    configured = os.environ.get("OPPORTUNE_PG_BIN")
    if configured:
        return str(Path(configured) / name)
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if not versions:
        raise BackupError(
            f"{name} was not found (install the PostgreSQL client, or set OPPORTUNE_PG_BIN)."
        )
    return str(versions[-1])


def _pg_env() -> dict[str, str]:
    db: dict[str, Any] = settings.DATABASES["default"]
    env = dict(os.environ)
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER")):
        if db.get(key):
            env[variable] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    env["PGDATABASE"] = str(connection.settings_dict["NAME"])
    return env


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, env=_pg_env(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(argv[0]).name} failed: {done.stderr.strip()[-1000:]}")


def backup(path: Path) -> None:
    """Write a copy of the database to ``path`` (replaced if it exists)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if _is_sqlite():
        target = sqlite3.connect(path)
        try:
            _sqlite().backup(target)
        finally:
            target.close()
        return
    _run([pg_program("pg_dump"), "--format=custom", "--no-owner", f"--file={path}"])


def _check_sqlite_backup(path: Path) -> None:
    try:
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            source.execute("SELECT 1 FROM django_migrations LIMIT 1")
        finally:
            source.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not an Opportune SQLite backup ({exc}).") from exc


def restore(path: Path) -> None:
    """Replace the database's content with the backup at ``path``."""
    if not path.is_file():
        raise BackupError(f"No backup at {path}.")
    if _is_sqlite():
        _check_sqlite_backup(path)
        source = sqlite3.connect(path)
        try:
            source.backup(_sqlite())
        finally:
            source.close()
        return
    connection.close()  # hold no lock on a table pg_restore drops
    _run(
        [
            pg_program("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={connection.settings_dict['NAME']}",
            str(path),
        ]
    )


# --- the commands ---------------------------------------------------------------------------


def cmd_backup(args: argparse.Namespace) -> int:
    from opportune.cli import CliError, _out

    path = Path(args.path)
    try:
        backup(path)
    except BackupError as exc:
        raise CliError(str(exc)) from exc
    name = connection.settings_dict["NAME"]
    _out(f"Backed up {connection.vendor} database {name} to {path} ({path.stat().st_size:,} bytes)")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from opportune.cli import CliError, _out

    path = Path(args.path)
    if not args.yes:
        answer = input(
            f"Replace everything in {connection.settings_dict['NAME']} with {path}? [y/N] "
        )
        if answer.strip().lower() not in ("y", "yes"):
            _out("Nothing restored.")
            return 1
    try:
        restore(path)
    except BackupError as exc:
        raise CliError(str(exc)) from exc
    _out(f"Restored {connection.settings_dict['NAME']} from {path}")
    return 0


def add_commands(commands: argparse._SubParsersAction[_Parser], command: CommandMaker) -> None:
    """Register ``backup`` and ``restore``; ``command`` is ``opportune.cli._command``."""
    made = command(commands, "backup", cmd_backup, "Copy the whole database to a file, online.")
    made.add_argument("path", help="the backup file to write")
    back = command(commands, "restore", cmd_restore, "Replace the database with a backup.")
    back.add_argument(
        "path", help="a file written by `opportune backup` on the same kind of database"
    )
    back.add_argument("--yes", action="store_true", help="do not ask for confirmation")
