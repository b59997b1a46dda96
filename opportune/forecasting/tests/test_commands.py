"""`opportune forecast`, `opportune backtest` and `opportune load maven`, called in-process."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conftest import Company
from opportune.cli import main
from opportune.forecasting.cli import text_table

from .conftest import deal, timeline
from .test_maven_format import write

D = dt.date


def test_forecast_prints_the_roll_up(company: Company, capsys: pytest.CaptureFixture[str]) -> None:
    deal(company, company.alice, "closed_won", "1200")
    deal(company, company.charlie, "negotiation", "300")
    assert main(["forecast", "--period", "2026-Q4"]) == 0
    out = capsys.readouterr().out
    assert "Forecast Q4 2026 (2026-10-01 to 2026-12-31)" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "1,200" in lines["Alice"]
    assert lines["Total"].split()[1:3] == ["1,200", "1,500"]


def test_forecast_shows_a_team_as_a_user_sees_it(
    company: Company, capsys: pytest.CaptureFixture[str]
) -> None:
    deal(company, company.alice, "closed_won", "1200")
    deal(company, company.charlie, "negotiation", "300")
    assert main(["forecast", "--period", "2026-Q4", "--team", "West"]) == 0
    assert "Alice" not in capsys.readouterr().out
    assert main(["forecast", "--period", "2026-Q4", "--as", "bob"]) == 0
    out = capsys.readouterr().out
    assert "Alice" not in out and "Charlie" not in out


def test_forecast_refuses_a_bad_period_in_one_line(
    company: Company, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["forecast", "--period", "2026-Q5"]) == 1
    assert "is not a period" in capsys.readouterr().err
    assert main(["forecast", "--team", "Nowhere"]) == 1


def test_backtest_prints_both_tables(company: Company, capsys: pytest.CaptureFixture[str]) -> None:
    for number in range(40):
        start = D(2026, 1, 1) + dt.timedelta(days=number)
        end = start + dt.timedelta(days=20)
        outcome = "closed_won" if number % 3 else "closed_lost"
        timeline(
            company,
            company.alice,
            [(start, "proposal", "100", end), (end, outcome, "100", end)],
        )
    assert main(["backtest", "--kind", "month"]) == 0
    out = capsys.readouterr().out
    assert "Everything won in the period" in out
    assert "from the pipeline open at its start" in out
    assert "naive_bayes" in out and "80% interval coverage" in out


def test_backtest_without_history_says_so(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backtest"]) == 0
    assert "Not enough closed deals" in capsys.readouterr().out


def test_load_maven_reports_what_it_wrote(
    db: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, ["A1,Anna Snelling,GTX Pro,Acme,Won,2017-01-02,2017-02-03,4700"])
    assert main(["load", "maven", str(tmp_path)]) == 0
    assert "Loaded 1 opportunities (2 history rows)" in capsys.readouterr().out
    assert main(["load", "maven", str(tmp_path)]) == 1
    assert "already loaded" in capsys.readouterr().err


def test_text_tables_align_numbers_right() -> None:
    table = text_table(["name", "amount"], [["Alice", "1,200"], ["Bob", "3"]])
    assert table.splitlines() == [
        "name   amount",
        "-----  ------",
        "Alice   1,200",
        "Bob         3",
    ]
