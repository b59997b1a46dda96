"""`opportune import` and `opportune export`: the same jobs as the UI, with a progress bar."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Company
from opportune.cli import main
from opportune.leads.models import Lead


def test_import_runs_the_file_with_a_progress_bar_and_a_report(
    company: Company, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "leads.csv"
    source.write_text("Who,Email\nLee,lee@x.example\n,bad\n", encoding="utf-8")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"columns": {"Who": "last_name"}, "defaults": {"company": "?"}}))
    errors = tmp_path / "errors.csv"
    code = main(
        [
            "import",
            "leads",
            str(source),
            "--mapping",
            str(mapping),
            "--errors",
            str(errors),
            "--user",
            "mark",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0
    assert "100%" in err
    assert "1 were created" in out
    assert "1 invalid" in out
    assert "line 3, Who: 'last_name' is required." in out
    assert "line,column,kind,reason,value" in errors.read_text(encoding="utf-8-sig")
    assert Lead.objects.get().owner == company.mark


def test_a_dry_run_writes_nothing_and_match_updates(
    company: Company, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lead = company.lead(company.alice, email="lee@x.example", title="")
    source = tmp_path / "leads.csv"
    source.write_text("Last Name,Company,Email,Title\nLee,Acme,lee@x.example,CEO\n")
    assert main(["import", "leads", str(source), "--dry-run", "--match", "email"]) == 0
    assert "1 updated" in capsys.readouterr().out
    lead.refresh_from_db()
    assert lead.title == ""
    assert main(["import", "leads", str(source), "--match", "email", "--quiet"]) == 0
    lead.refresh_from_db()
    assert lead.title == "CEO"


def test_a_file_missing_required_columns_exits_1_with_the_reason(
    company: Company, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "leads.csv"
    source.write_text("Email\nlee@x.example\n")
    assert main(["import", "leads", str(source)]) == 1
    assert "no column for: last_name or full_name, company" in capsys.readouterr().err


def test_export_writes_the_visible_filtered_leads(company: Company, tmp_path: Path) -> None:
    company.lead(company.alice, last_name="Webby", source="web")
    company.lead(company.alice, last_name="Eventful", source="event")
    out = tmp_path / "out.csv"
    assert main(["export", "leads", "--source", "web", "-o", str(out), "--user", "alice"]) == 0
    text = out.read_text(encoding="utf-8-sig")
    assert "Webby" in text
    assert "Eventful" not in text


def test_an_unknown_encoding_exits_1_with_one_line(
    company: Company, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "leads.csv"
    source.write_text("Last Name,Company\nLee,Acme\n")
    assert main(["import", "leads", str(source), "--encoding", "nope"]) == 1
    err = capsys.readouterr().err
    assert "'nope' is not an encoding" in err
    assert "Traceback" not in err


def test_a_10_mb_header_line_exits_1_with_one_line(
    company: Company, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "leads.csv"
    source.write_text("Last Name,Company," + "x" * 10_000_000 + "\nLee,Acme,ok\n")
    assert main(["import", "leads", str(source)]) == 1
    err = capsys.readouterr().err
    assert "The first line is longer than" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_the_report_counts_possible_duplicates_only_for_leads(
    company: Company, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only a lead import looks for existing records like the new ones: a contacts report
    does not speak of leads."""
    source = tmp_path / "contacts.csv"
    source.write_text("Last Name,Email\nLee,lee@x.example\n", encoding="utf-8")
    assert main(["import", "contacts", str(source), "--quiet"]) == 0
    lead_file = tmp_path / "leads.csv"
    lead_file.write_text("Last Name,Company,Email\nLee,Acme,lee@x.example\n", encoding="utf-8")
    assert main(["import", "leads", str(lead_file), "--quiet", "--dry-run"]) == 0
    contacts, leads = capsys.readouterr().out.split("Dry run")
    assert "1 were created, 0 updated" in contacts
    assert "possible duplicates" not in contacts
    assert "0 possible duplicates of existing leads" in leads
