"""Fitting the predicted-forecast model of each pipeline, and storing it with its backtest.

``opportune worker`` refits every pipeline once a day (``fit_forecast_models``, a django-tasks
task that queues its next run, as ``housekeeping`` does); ``opportune forecast fit`` and an
admin's button fit on demand. A fit reads the pipeline's history once, learns from it as of
now, replays the past months and quarters (``backtest``) and keeps their errors, from which
the served intervals come. Requests only read the newest stored fit (``predicted``).
"""

from __future__ import annotations

import datetime as dt
import time

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from opportune.fiscal import PeriodKind
from opportune.identity.models import Role, User
from opportune.opportunities.models import Opportunity, Pipeline

from .backtest import backtest, backtest_json, backtest_periods
from .fitted import FittedModel
from .learning import load_timelines, situations, stage_table
from .models import ForecastModel
from .prediction import learn

FIT_EVERY = dt.timedelta(hours=24)
KEEP_FITS = 5  # per pipeline; older ones are deleted
# The replay covers the periods whose errors make the intervals (fitted.CALIBRATION_WINDOW
# months) and two years of quarters, on at most REPLAY_DEALS deals: beyond, on every k-th
# deal (by id), its amounts scaled by k. Relative errors of a sample are a little wider.
REPLAYED: dict[PeriodKind, int] = {"month": 12, "quarter": 8}
REPLAY_DEALS = 20_000  # the replay costs about as much as learning from 1M deals


def _everything() -> User:
    """A viewer who sees every deal: a model learns from the whole installation."""
    return User(username="opportune-fit", role=Role.ADMIN, is_active=True)


def fit_pipeline(pipeline: Pipeline, now: dt.datetime | None = None) -> ForecastModel:
    """Learn the pipeline's model as of ``now``, replay its past, and store both."""
    started = time.perf_counter()
    now = now or timezone.now()
    stages = stage_table()
    timelines = load_timelines(_everything(), before=now, pipeline_id=pipeline.pk)
    found = situations(timelines, now, stages)
    model = FittedModel.of(learn(found, now))
    replays = {}
    step = max(1, -(-len(timelines) // REPLAY_DEALS))
    sample = timelines[::step]
    for kind, count in REPLAYED.items():
        periods = backtest_periods(sample, stages, kind, timezone.localtime(now).date())
        results = backtest(_everything(), kind, periods[-count:], timelines=sample)
        model.errors[kind] = [r.error for r in results if r.error is not None]
        model.errors[f"pipeline:{kind}"] = [
            r.pipeline_error for r in results if r.pipeline_error is not None
        ]
        replays[kind] = backtest_json(results, scale=step)
    with transaction.atomic():
        fitted = ForecastModel.objects.create(
            pipeline=pipeline,
            fitted_at=now,
            history_from=min((t.rows[0].at for t in timelines), default=None),
            opportunities=len(timelines),
            closed_deals=sum(deal.is_closed for deal in found),
            history_rows=sum(len(t.rows) for t in timelines),
            fit_seconds=time.perf_counter() - started,
            parameters=model.as_json(),
            backtest=replays,
        )
        old = ForecastModel.objects.filter(pipeline=pipeline).values_list("pk", flat=True)
        ForecastModel.objects.filter(pk__in=list(old[KEEP_FITS:])).delete()
    return fitted


def fit_all(now: dt.datetime | None = None) -> list[ForecastModel]:
    """A fit of every pipeline that holds deals."""
    used = Opportunity.objects.values("pipeline_id")
    return [fit_pipeline(p, now) for p in Pipeline.objects.filter(pk__in=used)]


@task()
def fit_forecast_models() -> int:
    fitted = fit_all()
    if fit_forecast_models.get_backend().supports_defer:
        fit_forecast_models.using(run_after=timezone.now() + FIT_EVERY).enqueue()
    return len(fitted)


def schedule_fits() -> None:
    """Enqueue a fit now unless one is waiting or running (database backend)."""
    from django_tasks_db.models import DBTaskResult

    if not fit_forecast_models.get_backend().supports_defer:
        return
    waiting = DBTaskResult.objects.filter(
        task_path=fit_forecast_models.module_path, status__in=["READY", "RUNNING"]
    )
    if not waiting.exists():
        fit_forecast_models.enqueue()


@task()
def fit_now() -> int:
    """An admin's fit on demand, run by the worker (a request never fits)."""
    return len(fit_all())
