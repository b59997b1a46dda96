"""The worker's periodic refit: daily, chained like opportune.housekeeping (django-tasks has
no scheduler: each run enqueues the next; ``opportune worker`` starts the chain unless a run
is already waiting)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from .core import NotEnoughHistory
from .leads import fit_leads
from .opportunity import fit_opportunities

FIT_EVERY = dt.timedelta(days=1)


@task()
def refit_scores() -> str:
    outcomes = []
    for target, fit in (("opportunity", fit_opportunities), ("lead", fit_leads)):
        try:
            fitted = fit(timezone.now())
            outcomes.append(f"{target} model {fitted.pk}: {fitted.rows} rows")
        except NotEnoughHistory as exc:
            outcomes.append(str(exc))
    outcome = "; ".join(outcomes)
    if refit_scores.get_backend().supports_defer:
        refit_scores.using(run_after=timezone.now() + FIT_EVERY).enqueue()
    return outcome


def schedule_refit() -> None:
    """Enqueue a fit now unless one is waiting (database backend) to run."""
    from django_tasks_db.models import DBTaskResult

    if not refit_scores.get_backend().supports_defer:
        return
    waiting = DBTaskResult.objects.filter(
        task_path=refit_scores.module_path, status__in=["READY", "RUNNING"]
    )
    if not waiting.exists():
        refit_scores.enqueue()


@task()
def fit_lead_model() -> str:
    """A lead fit an admin asked for in settings ("Refit now")."""
    try:
        fitted = fit_leads(timezone.now())
    except NotEnoughHistory as exc:
        return str(exc)
    return f"lead model {fitted.pk}: {fitted.rows} rows"


def refit_state() -> dict[str, object] | None:
    """The last "Refit now" run: its state (waiting, running, done, failed) and outcome."""
    from django_tasks_db.models import DBTaskResult

    last = (
        DBTaskResult.objects.filter(task_path=fit_lead_model.module_path)
        .order_by("-enqueued_at")
        .first()
    )
    if last is None:
        return None
    return {
        "status": last.status,
        "enqueued_at": last.enqueued_at,
        "finished_at": last.finished_at,
        "outcome": last.return_value if last.status == "SUCCESSFUL" else "",
    }
