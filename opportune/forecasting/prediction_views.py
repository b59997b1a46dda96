"""The predicted forecast page (the stored model over the deals one sees), an admin's "fit
now" button, and the backtest page (the replay stored with the model: a table and a chart of
the predicted interval against the actual amount per period). Tables download as CSV."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from opportune.errors import DomainError
from opportune.fiscal import FiscalPeriod
from opportune.identity import policy
from opportune.opportunities.models import Pipeline
from opportune.web.http import AuthedRequest, render_page

from . import charts
from .backtest import METHODS, TARGETS
from .fitting import describe_deal_chances, fit_now
from .pages import csv_response
from .periods import current_period, period_range
from .predicted import ModelMissing, PeriodPrediction, predicted_forecast
from .prediction_api import (
    backtest_out,
    forecaster,
    pipeline_from,
    prediction_periods,
    stored_backtest,
)
from .tables import Table


def _range(request: AuthedRequest) -> tuple[list[FiscalPeriod], Pipeline | None, str]:
    """The periods and pipeline the form asks for; on bad input, the defaults and the error."""
    now = current_period()
    default = period_range(now.key, now.shifted(3).key)
    try:
        first, last = request.GET.get("period", "").strip(), request.GET.get("to", "").strip()
        periods = prediction_periods(first or None, last or None) if first else default
        return periods, pipeline_from(request.GET.get("pipeline", "").strip() or None), ""
    except DomainError as refused:
        return default, None, refused.detail


@login_required
def predicted_page(request: AuthedRequest) -> HttpResponse:
    user = forecaster(request.user)
    periods, pipeline, error = _range(request)
    context: dict[str, Any] = {
        "period_key": request.GET.get("period", ""),
        "to_key": request.GET.get("to", ""),
        "pipeline_key": request.GET.get("pipeline", ""),
        "pipelines": Pipeline.objects.all(),
        "error": error,
        "may_fit": policy.may_configure(user, "forecast_model"),
        "sees_backtest": policy.sees_all(user, policy.OPPORTUNITY),
    }
    try:
        prediction = predicted_forecast(user, periods, pipeline)
    except ModelMissing as missing:
        context["missing"] = missing.detail
        return render_page(request, "forecasting/predicted.html", context)
    table = predicted_table(prediction.periods)
    if request.GET.get("csv") == "predicted":
        return csv_response("predicted-forecast", table)
    context.update(
        prediction=prediction,
        calibrated={k: prediction.calibration_periods(k) for k in ("month", "quarter")},
        deal_chances=[
            (m.pipeline.name, describe_deal_chances(m.parameters.get("deal_chances")))
            for m in prediction.models
        ],
        table=table,
        chart=charts.predicted(prediction.periods),
    )
    return render_page(request, "forecasting/predicted.html", context)


@login_required
@require_POST
def fit_post(request: AuthedRequest) -> HttpResponse:
    """Queue a fit of every pipeline for the worker: an admin's, and never in the request."""
    if not policy.may_configure(forecaster(request.user), "forecast_model"):
        raise PermissionDenied("Only admins fit the forecast model.")
    fit_now.enqueue()
    messages.success(
        request,
        "Fit queued: the worker fits the model of every pipeline in a moment "
        f"(queued at {timezone.localtime():%H:%M}); reload this page to see its age.",
    )
    return redirect(reverse("forecasting:predicted"))


@login_required
def backtest_page(request: AuthedRequest) -> HttpResponse:
    kind = "quarter" if request.GET.get("kind") == "quarter" else "month"
    target = "pipeline" if request.GET.get("target") == "pipeline" else "total"
    context: dict[str, Any] = {"kind": kind, "target": target, "error": "", "sees_backtest": True}
    try:
        model = stored_backtest(request.user, pipeline_from(request.GET.get("pipeline") or None))
    except ModelMissing as missing:
        context["missing"] = missing.detail
        return render_page(request, "forecasting/backtest.html", context)
    except DomainError as refused:
        context["error"] = refused.detail
        return render_page(request, "forecasting/backtest.html", context)
    replay = backtest_out(model, kind)
    periods_table, scores_table = backtest_tables(replay, target)
    wanted = request.GET.get("csv", "")
    if wanted in ("periods", "scores"):
        table = periods_table if wanted == "periods" else scores_table
        return csv_response(f"backtest-{kind}-{target}-{wanted}", table)
    context.update(
        model=model,
        deal_chances=describe_deal_chances(model.backtest.get("deal_chances")),
        replay=replay,
        periods_table=periods_table,
        scores_table=scores_table,
        chart=charts.backtest(replay["periods"], target),
        methods=METHODS,
        targets=TARGETS,
    )
    return render_page(request, "forecasting/backtest.html", context)


def _money(value: float) -> Decimal:
    return Decimal(value).quantize(Decimal("1"))


def predicted_table(periods: list[PeriodPrediction]) -> Table:
    headers = ["period", "already won", "from the pipeline", "from new deals", "expected"]
    headers += ["low (10%)", "high (90%)", "open deals"]
    rows: list[list[Any]] = [
        [p.period.key]
        + [_money(v) for v in (p.already_won, p.pipeline, p.new_deals, p.expected, p.low, p.high)]
        + [p.open_deals]
        for p in periods
    ]
    return headers, rows


def backtest_tables(replay: dict[str, Any], target: str) -> tuple[Table, Table]:
    """Per period: the actual and each method's expected amount and interval; per method:
    the scores."""
    headers = ["period", "actual"]
    for method in METHODS:
        headers += [f"{method} expected", f"{method} low", f"{method} high", f"{method} covers"]
    rows: list[list[Any]] = []
    for period in replay["periods"]:
        actual = period["actual"][target]
        row: list[Any] = [period["period"], _money(actual)]
        for method in METHODS:
            found = period["estimates"][target][method]
            row += [_money(found["expected"]), _money(found["low"]), _money(found["high"])]
            row.append("yes" if found["low"] <= actual <= found["high"] else "no")
        rows.append(row)
    score_rows: list[list[Any]] = []
    stored = replay["scores"].get(target, {})
    for method, found in ((m, stored[m]) for m in METHODS if m in stored):
        if found["mae"] is None:
            continue
        score_rows.append(
            [
                method,
                _money(found["mae"]),
                "" if found["mape"] is None else f"{found['mape']:.1%}",
                "" if found["bias"] is None else f"{found['bias']:+.1%}",
                f"{found['coverage']:.0%}",
                _money(found["pinball"]),
            ]
        )
    scores = (
        ["method", "mean abs error", "mean abs % error", "bias", "80% coverage", "pinball loss"],
        score_rows,
    )
    return (headers, rows), scores
