"""`opportune score fit|show|rollback` and the worker's daily refit."""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult

from conftest import Company
from opportune.cli import main
from opportune.scoring.models import OpportunityScore, ScoringModel
from opportune.scoring.tasks import refit_scores, schedule_refit

from .world import write_history

pytestmark = pytest.mark.django_db


def test_score_fit_prints_the_model_card_and_scores_open_deals(
    company: Company, capsys: pytest.CaptureFixture[str]
) -> None:
    write_history(company)
    assert main(["score", "fit", "--target", "opportunity"]) == 0
    out = capsys.readouterr().out
    assert "ROC AUC" in out and "ECE" in out and "importances:" in out
    assert ScoringModel.objects.filter(is_active=True).count() == 1
    assert OpportunityScore.objects.exists()
    assert main(["score", "show"]) == 0
    assert "(active)" in capsys.readouterr().out


def test_score_rollback_without_a_previous_fit_exits_non_zero(
    company: Company, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["score", "rollback"]) == 1
    assert "no previous opportunity model" in capsys.readouterr().err


def test_the_worker_refit_reports_too_little_history_and_schedules_the_next_run(
    company: Company,
) -> None:
    assert "at least" in refit_scores.call()
    waiting = DBTaskResult.objects.filter(task_path=refit_scores.module_path, status="READY")
    assert waiting.count() == 1
    schedule_refit()  # a run is already waiting: no second chain
    assert waiting.count() == 1
