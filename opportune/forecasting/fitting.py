"""Fitting the predicted-forecast model of each pipeline, and storing it with its backtest.

``opportune worker`` refits every pipeline once a day (``fit_forecast_models``, a django-tasks
task that queues its next run, as ``housekeeping`` does); ``opportune forecast fit`` and an
admin's button fit on demand. A fit reads the pipeline's history once, learns from it as of
now, replays the past months and quarters (``backtest``) and keeps their errors, from which
the served intervals come. Requests only read the newest stored fit (``predicted``).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from opportune.fiscal import FiscalPeriod, PeriodKind, period_containing
from opportune.identity.models import Role, User
from opportune.opportunities.models import Opportunity, Pipeline

from .backtest import WinChances, backtest, backtest_json, backtest_periods
from .fitted import FittedModel
from .learning import Timeline, load_timelines, situations, stage_table
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
    """Learn the pipeline's model as of ``now``, replay its past both ways (stage curves, and
    per-deal win probabilities if a per-deal model is fitted), keep the better way
    (``choose_deal_chances``), and store the model with its replay and the choice."""
    started = time.perf_counter()
    now = now or timezone.now()
    stages = stage_table()
    timelines = load_timelines(_everything(), before=now, pipeline_id=pipeline.pk)
    found = situations(timelines, now, stages)
    model = FittedModel.of(learn(found, now))
    step = max(1, -(-len(timelines) // REPLAY_DEALS))
    sample = timelines[::step]
    today = timezone.localtime(now).date()
    replayed = {
        kind: backtest_periods(sample, stages, kind, today)[-count:]
        for kind, count in REPLAYED.items()
    }
    replays, errors = _replay(sample, replayed, step)
    per_deal: tuple[dict[str, Any], dict[str, list[float]]] | None = None
    starts = [p.start for periods in replayed.values() for p in periods]
    if starts and _per_deal_model_fitted():
        from opportune.scoring.replay import MAX_FITS, ReplayChances

        last = period_containing(max(starts), "quarter")
        first = last.shifted(1 - MAX_FITS).start
        chances = ReplayChances.of((t.opportunity_id for t in sample), first)
        per_deal = _replay(sample, replayed, step, chances)
    choice = choose_deal_chances(replays, per_deal[0] if per_deal else None)
    if per_deal is not None and choice["chosen"] == PER_DEAL:
        replays, errors = per_deal
    model.errors.update(errors)
    model.per_deal = choice["chosen"] == PER_DEAL
    parameters = {**model.as_json(), "deal_chances": choice}
    with transaction.atomic():
        fitted = ForecastModel.objects.create(
            pipeline=pipeline,
            fitted_at=now,
            history_from=min((t.rows[0].at for t in timelines), default=None),
            opportunities=len(timelines),
            closed_deals=sum(deal.is_closed for deal in found),
            history_rows=sum(len(t.rows) for t in timelines),
            fit_seconds=time.perf_counter() - started,
            parameters=parameters,
            backtest={**replays, "deal_chances": choice},
        )
        old = ForecastModel.objects.filter(pipeline=pipeline).values_list("pk", flat=True)
        ForecastModel.objects.filter(pk__in=list(old[KEEP_FITS:])).delete()
    return fitted


def _replay(
    sample: list[Timeline],
    replayed: dict[PeriodKind, list[FiscalPeriod]],
    step: int,
    win_chances: WinChances | None = None,
) -> tuple[dict[str, Any], dict[str, list[float]]]:
    """The replay of the last months and quarters (as stored) and its errors (the intervals'
    and the pipeline correction's), one way of giving deals their chances."""
    replays: dict[str, Any] = {}
    errors: dict[str, list[float]] = {}
    for kind, periods in replayed.items():
        results = backtest(_everything(), kind, periods, timelines=sample, win_chances=win_chances)
        errors[kind] = [r.error for r in results if r.error is not None]
        errors[f"pipeline:{kind}"] = [
            r.pipeline_error for r in results if r.pipeline_error is not None
        ]
        replays[kind] = backtest_json(results, scale=step)
    return replays, errors


def _per_deal_model_fitted() -> bool:
    from opportune.scoring.models import Target
    from opportune.scoring.store import active_fit

    return active_fit(Target.OPPORTUNITY) is not None


CURVES, PER_DEAL = "curves", "per_deal"
RULE = (
    "per-deal win probability when its backtest MAE % (everything won) is lower than the "
    "stage curves' on months and on quarters alike; a tie or a loss on either, no replayed "
    "period, or no per-deal model keeps the curves"
)


SCORES = ("mae", "mape", "bias", "coverage", "pinball")


def _errors_of(replays: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """Per kind, Opportune's scores on everything won in the replay (MAE in money and %,
    bias, 80% coverage, pinball)."""
    found: dict[str, dict[str, float | None]] = {}
    for kind in REPLAYED:
        scores = replays.get(kind, {}).get("scores", {}).get("total", {}).get("opportune")
        if scores:
            found[kind] = {name: _finite(scores.get(name)) for name in SCORES}
    return found


def _finite(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def choose_deal_chances(curves: dict[str, Any], per_deal: dict[str, Any] | None) -> dict[str, Any]:
    """Which chance the pipeline's open deals get, by the rule ``RULE``: the replay's MAE %
    on every kind where both ways have one. Not their sum: a small month's error in percent
    is large and noisy (the small demo's months: 119.7% for the curves), and would outvote
    a quarter where the per-deal way errs twice as much. Returns the choice with both ways'
    figures (stored with the fit, shown on the predicted page and in the API)."""
    ours = _errors_of(curves)
    theirs = _errors_of(per_deal) if per_deal is not None else {}
    kinds = [
        kind
        for kind in REPLAYED
        if (ours.get(kind) or {}).get("mape") is not None
        and (theirs.get(kind) or {}).get("mape") is not None
    ]
    better = all((theirs[k]["mape"] or 0.0) < (ours[k]["mape"] or 0.0) for k in kinds)
    chosen = PER_DEAL if kinds and better else CURVES
    return {
        "chosen": chosen,
        "rule": RULE,
        "compared": per_deal is not None,
        "curves": ours,
        "per_deal": theirs if per_deal is not None else None,
    }


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


def describe_deal_chances(choice: dict[str, Any] | None) -> str:
    """The choice in words, with both ways' backtest MAE % (model card, page, CLI)."""
    if not choice:
        return "Deal chances: stage curves (fitted before the per-deal comparison existed)"

    def errors(figures: dict[str, Any] | None) -> str:
        found = [
            f"{figures[kind]['mape']:.1%} {kind}ly"
            for kind in REPLAYED
            if figures and (figures.get(kind) or {}).get("mape") is not None
        ]
        return " and ".join(found) or "no replayed period"

    curves, per_deal = choice.get("curves"), choice.get("per_deal")
    if not choice.get("compared"):
        return (
            f"Deal chances: stage curves (backtest MAE {errors(curves)}; no per-deal win "
            "probability model is fitted to compare with)"
        )
    if choice["chosen"] == PER_DEAL:
        return (
            f"Deal chances: per-deal win probability (backtest MAE {errors(per_deal)} "
            f"vs {errors(curves)} for stage curves)"
        )
    return (
        f"Deal chances: stage curves (backtest MAE {errors(curves)} vs {errors(per_deal)} "
        "for the per-deal win probability)"
    )
