"""`opportune backup` and `opportune restore`: what was backed up comes back, on the database
the tests run on (SQLite's online backup API, or pg_dump / pg_restore)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Company
from opportune.audit.models import FieldChange
from opportune.cli import main
from opportune.leads.models import Lead
from opportune.leads.schemas import LeadChanges, LeadCreate
from opportune.leads.services import create_lead, update_lead

pytestmark = pytest.mark.django_db(transaction=True)


def _state() -> list[tuple[object, ...]]:
    leads = list(Lead.objects.order_by("pk").values_list("pk", "last_name", "email"))
    history = list(FieldChange.objects.order_by("pk").values_list("pk", "field", "new_value"))
    return [*leads, *history]


def test_a_restore_brings_back_exactly_what_was_backed_up(
    company: Company, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lead = create_lead(company.alice, LeadCreate(last_name="Kept", company="Initech"))
    update_lead(company.alice, lead, LeadChanges(email="kept@initech.example"))
    before = _state()
    path = tmp_path / "opportune.backup"
    assert main(["backup", str(path)]) == 0
    assert "Backed up" in capsys.readouterr().out

    update_lead(company.alice, lead, LeadChanges(last_name="Changed after the backup"))
    create_lead(company.alice, LeadCreate(last_name="Added", company="Globex"))
    assert _state() != before

    assert main(["restore", str(path), "--yes"]) == 0
    assert _state() == before


def test_restoring_a_file_that_is_not_a_backup_changes_nothing(
    company: Company, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    create_lead(company.alice, LeadCreate(last_name="Kept", company="Initech"))
    before = _state()
    path = tmp_path / "notes.txt"
    path.write_text("not a database\n" * 100)
    assert main(["restore", str(path), "--yes"]) == 1
    assert "not" in capsys.readouterr().err
    assert _state() == before
