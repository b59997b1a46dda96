"""A worker killed with SIGKILL at any point of an import, then resumed, leaves exactly what
an uninterrupted run leaves: the same leads, counts and reported rows. Its checking helpers
die with it, and on PostgreSQL no session of theirs keeps the job's row locked, so the
resume finds no lock to wait for.

The worker runs in its own process (``crash_child.py``) on a scratch database of the suite's
kind (PostgreSQL when ``DATABASE_URL`` names one, SQLite otherwise), migrated once and
copied for each run.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

ROWS = 1500  # five batches of 300 (crash_child.py)


def _content() -> str:
    lines = ["First Name,Last Name,Company,Email,Phone"]
    for n in range(ROWS):
        email = f"lead{n}@example.com"
        if n % 11 == 0 and n >= 700:
            email = f"lead{n - 700}@example.com"  # a key met batches earlier: skipped
        if n % 97 == 0:
            email = "not-an-email"
        lines.append(f"Ada{n},Lovelace{n},Acme {n % 13},{email},(415) 555-{n:04d}")
    return "\n".join(lines) + "\n"


def _postgres_admin(url: str) -> Any:
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True)


def _database_url(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], dict[str, str]]]:
    """A function giving the environment of a fresh, migrated database for one run."""
    root = tmp_path_factory.mktemp("crash")
    suite_url = os.environ.get("DATABASE_URL", "")
    postgres = suite_url.startswith(("postgres://", "postgresql://"))
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    base = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "opportune.settings",
        "OPPORTUNE_DATA_DIR": str(root),
        "OPPORTUNE_IMPORT_HELPERS": "2",
        "PGOPTIONS": "-c lock_timeout=5s",  # a lock left behind fails the resume, not hangs it
    }
    made: list[str] = []
    prefix = f"opportune_crash_{os.getpid()}"
    if postgres:
        with _postgres_admin(suite_url) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {prefix}")
            admin.execute(f"CREATE DATABASE {prefix}")
        made.append(prefix)
        template = _database_url(suite_url, prefix)
    else:
        template = f"sqlite:///{root / 'template.sqlite3'}"
    migrate = [sys.executable, "-m", "django", "migrate", "--noinput", "-v", "0"]
    subprocess.run(migrate, env={**base, "DATABASE_URL": template}, check=True)

    def fresh() -> dict[str, str]:
        name = f"{prefix}_{len(made)}"
        if postgres:
            with _postgres_admin(suite_url) as admin:
                admin.execute(f"CREATE DATABASE {name} TEMPLATE {prefix}")
            url = _database_url(suite_url, name)
        else:
            shutil.copy(root / "template.sqlite3", root / f"{name}.sqlite3")
            url = f"sqlite:///{root / name}.sqlite3"
        made.append(name)
        return {**base, "DATABASE_URL": url}

    yield fresh
    if postgres:
        with _postgres_admin(suite_url) as admin:
            for name in made:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _child(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "opportune.imports.tests.crash_child", *args]
    # (A helper that outlived its worker would hold the output pipes open: the timeout fails
    # the test instead of waiting for it.)
    return subprocess.run(
        command, env=env, capture_output=True, text=True, check=False, timeout=120
    )


def _ok(env: dict[str, str], *args: str) -> str:
    done = _child(env, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _gone(pid: int, seconds: float) -> bool:
    """Whether the process has ended (or ends within the time): waits on a pidfd."""
    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        ready, _, _ = select.select([handle], [], [], seconds)
        return bool(ready)
    finally:
        os.close(handle)


def _import(scratch: Callable[[], dict[str, str]], csv: Path, when: str, at: int) -> Any:
    env = scratch()
    job = _ok(env, "setup", str(csv)).strip()
    pids = csv.parent / f"pids-{when}-{at}"
    run = _child(env, "run", job, when, str(at), str(pids))
    if when == "never":
        assert run.returncode == 0, run.stderr
    else:
        assert run.returncode == -9, run.stderr  # killed, as by kill -9
        helpers = [int(pid) for pid in pids.read_text().split()]
        assert helpers, "the run had checking helpers"
        assert all(_gone(pid, 10) for pid in helpers), "a helper outlived its worker"
        stopped = json.loads(_ok(env, "dump", job))
        assert stopped["counts"][0] == "running" and 0 <= stopped["counts"][1] < ROWS
        _ok(env, "resume", job)
    return json.loads(_ok(env, "dump", job))


@pytest.fixture(scope="module")
def csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("file") / "leads.csv"
    path.write_text(_content())
    return path


@pytest.fixture(scope="module")
def clean_run(scratch: Callable[[], dict[str, str]], csv: Path) -> Any:
    clean = _import(scratch, csv, "never", 0)
    assert clean["counts"][0] == "done" and clean["counts"][2] > 0 and clean["counts"][3] > 0
    return clean


@pytest.mark.parametrize(
    ("when", "at"),
    [
        ("in-batch", 1),  # nothing committed yet
        ("after-commit", 900),  # three batches committed, helpers ahead of the writing
        ("in-batch", 4),  # the fourth batch written, its transaction open
    ],
)
def test_a_worker_killed_mid_import_then_resumed_leaves_exactly_a_clean_run_s_rows(
    scratch: Callable[[], dict[str, str]], csv: Path, clean_run: Any, when: str, at: int
) -> None:
    resumed = _import(scratch, csv, when, at)
    assert resumed["counts"] == clean_run["counts"]
    assert resumed["reported"] == clean_run["reported"]
    assert resumed["leads"] == clean_run["leads"]
