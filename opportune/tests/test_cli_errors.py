"""A mistake on the command line is one line on stderr and a non-zero exit, never a
traceback: bad files, bad ports, bad numbers, bad periods, bad filter values."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Company
from opportune.cli import main

BAD_INPUT = [
    ["export", "leads", "--output", "/nonexistent/x.csv"],
    ["export", "leads", "--source", "nosuch"],
    ["serve", "--port", "99999"],
    ["serve", "--port", "http"],
    ["serve", "--threads", "0"],
    ["serve", "--workers", "-3"],
    ["worker", "--interval", "-1"],
    ["forecast", "--period", "2026-Q9"],
    ["forecast", "--period", "someday"],
    ["backtest", "--kind", "week"],
    ["import", "leads", "/nonexistent/leads.csv"],
    ["export", "nosuch"],
    ["user", "add", "zoe", "--role", "pilot"],
    ["demo", "--seed", "many"],
]


@pytest.fixture(autouse=True)
def _no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """``serve`` replaces its process with gunicorn: never the test runner's."""

    def refuse(*args: object) -> None:
        raise AssertionError("serve went on to start gunicorn")

    monkeypatch.setattr("os.execv", refuse)


@pytest.mark.parametrize("argv", BAD_INPUT, ids=lambda argv: " ".join(argv))
def test_bad_input_is_one_line_on_stderr_and_a_failing_exit(
    company: Company, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code: str | int | None
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's own refusals
        code = exit_.code
    err = capsys.readouterr().err
    assert code not in (0, None)
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("opportune")


def test_export_to_a_directory_is_one_line(
    company: Company, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "leads", "--output", str(tmp_path)]) == 1
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
