"""/api/v1/forecast/predicted and /api/v1/forecast/backtest: the stored model's prediction
over the deals the user sees, and the replay of past periods stored with the model.

Both answer 409 (a problem document saying how to fit one) while no model has been fitted.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from opportune.errors import field_error
from opportune.fiscal import FiscalPeriod
from opportune.identity import policy
from opportune.identity.auth import actor
from opportune.identity.models import User
from opportune.opportunities.models import Pipeline

from .backtest import METHODS, TARGETS
from .fitting import describe_deal_chances
from .models import ForecastModel
from .periods import current_period, period_range
from .predicted import NO_MODEL, ModelMissing, Prediction, newest_models, predicted_forecast
from .prediction import require_horizon

predicted_router = Router(tags=["forecasts"])

NO_MODEL_RESPONSE = {
    409: {
        "description": "No forecast model has been fitted yet (`opportune forecast fit`)",
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }
}


def forecaster(user: User) -> User:
    """The user, if their role sees deals and forecasts (else a 404, as on the pages)."""
    policy.require_kind(user, "forecast")
    return user


def pipeline_from(key: str | None) -> Pipeline | None:
    if not key:
        return None
    found = Pipeline.objects.filter(key=key.strip()).first()
    if found is None:
        raise field_error("pipeline", f"No pipeline '{key}'.")
    return found


def prediction_periods(first: str | None, last: str | None) -> list[FiscalPeriod]:
    """The periods asked for (at most ``MAX_HORIZON_MONTHS``), or this quarter and the next
    three."""
    if first:
        periods = period_range(first, last)
        require_horizon(periods)
        return periods
    now = current_period()
    return period_range(now.key, now.shifted(3).key)


class PredictedParams(Schema):
    period: str | None = Field(
        None, max_length=12, description="First period (month/quarter/year)."
    )
    to: str | None = Field(None, max_length=12, description="Last period of the range.")
    pipeline: str | None = Field(
        None, max_length=40, description="A pipeline's key; every fitted pipeline if absent."
    )


class PredictionOut(Schema):
    period: str
    label: str
    already_won: Decimal
    pipeline: Decimal = Field(description="expected from the deals open now")
    new_deals: Decimal = Field(description="expected from deals not created yet")
    expected: Decimal
    low: Decimal = Field(description="10th percentile")
    high: Decimal = Field(description="90th percentile")
    open_deals: int


class ErrorsOut(Schema):
    mae: float | None = Field(description="mean absolute error of everything won, money")
    mape: float | None = Field(description="the same relative to the actual amount")
    bias: float | None = Field(None, description="mean signed relative error")
    coverage: float | None = Field(None, description="share of actuals in the 80% interval")
    pinball: float | None = Field(None, description="pinball loss of the interval's ends")


class DealChancesOut(Schema):
    chosen: str = Field(description="`curves` (stage curves) or `per_deal` (win probability)")
    rule: str
    compared: bool = Field(description="false when no per-deal model was fitted to compare")
    curves: dict[str, ErrorsOut] = Field(description="backtest per period kind, stage curves")
    per_deal: dict[str, ErrorsOut] | None = Field(
        description="backtest per period kind, per-deal win probability"
    )
    text: str


class FittedOut(Schema):
    pipeline: str
    fitted_at: dt.datetime
    opportunities: int
    closed_deals: int
    history_rows: int
    fit_seconds: float
    calibrated_on: dict[str, int] = Field(
        description="replayed periods of each kind whose errors make the intervals"
    )
    deal_chances: DealChancesOut | None = Field(
        description="an open deal's total chance: stage curves or per-deal win probability, "
        "chosen by backtest at fit time (null for fits made before the choice existed)"
    )


class PredictedOut(Schema):
    as_of: dt.datetime
    model_age_seconds: int = Field(description="age of the oldest model used")
    closed_deals_learned_from: int
    models: list[FittedOut]
    unfitted_pipelines: list[str] = Field(description="pipelines with deals but no model yet")
    periods: list[PredictionOut]


def _money(value: float) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def fitted_json(model: ForecastModel) -> dict[str, Any]:
    errors = model.parameters.get("errors", {})
    choice = model.parameters.get("deal_chances")
    return {
        "pipeline": model.pipeline.key,
        "fitted_at": model.fitted_at,
        "opportunities": model.opportunities,
        "closed_deals": model.closed_deals,
        "history_rows": model.history_rows,
        "fit_seconds": round(model.fit_seconds, 2),
        "calibrated_on": {kind: len(found) for kind, found in errors.items()},
        "deal_chances": {**choice, "text": describe_deal_chances(choice)} if choice else None,
    }


def predicted_json(prediction: Prediction) -> dict[str, Any]:
    money = ("already_won", "pipeline", "new_deals", "expected", "low", "high")
    return {
        "as_of": prediction.moment,
        "model_age_seconds": int(prediction.age.total_seconds()),
        "closed_deals_learned_from": prediction.closed_deals,
        "models": [fitted_json(m) for m in prediction.models],
        "unfitted_pipelines": [p.key for p in prediction.unfitted],
        "periods": [
            {
                "period": p.period.key,
                "label": p.period.label,
                "open_deals": p.open_deals,
                **{k: _money(getattr(p, k)) for k in money},
            }
            for p in prediction.periods
        ],
    }


@predicted_router.get(
    "/predicted",
    response=PredictedOut,
    summary="Expected closed-won amount per period with an 80% interval, from the stored model",
    openapi_extra={"responses": NO_MODEL_RESPONSE},
)
def get_predicted(request: HttpRequest, params: Query[PredictedParams]) -> dict[str, Any]:
    user = forecaster(actor(request))
    periods = prediction_periods(params.period, params.to)
    prediction = predicted_forecast(user, periods, pipeline_from(params.pipeline))
    return predicted_json(prediction)


# --- backtest ----------------------------------------------------------------------------------


class BacktestParams(Schema):
    kind: Literal["month", "quarter"] = "month"
    pipeline: str | None = Field(
        None, max_length=40, description="A pipeline's key; the first fitted one if absent."
    )


class EstimateOut(Schema):
    expected: float
    low: float = Field(description="10th percentile")
    high: float = Field(description="90th percentile")


class ReplayedPeriodOut(Schema):
    period: str
    label: str
    error: float | None = Field(description="log(actual / expected) of what was to be won")
    actual: dict[str, float] = Field(description="per target: total, pipeline")
    estimates: dict[str, dict[str, EstimateOut]] = Field(description="per target, per method")


class ScoreOut(Schema):
    mae: float | None = Field(description="mean absolute error, in money")
    mape: float | None = Field(description="mean absolute error relative to the actual")
    bias: float | None = Field(description="mean signed relative error")
    coverage: float | None = Field(description="share of actuals inside the 80% interval")
    pinball: float | None = Field(description="mean pinball loss of the 10% and 90% ends")


class BacktestOut(Schema):
    pipeline: str
    fitted_at: dt.datetime
    kind: str
    methods: list[str]
    targets: list[str]
    periods: list[ReplayedPeriodOut]
    scores: dict[str, dict[str, ScoreOut]] = Field(description="per target, per method")


def stored_backtest(user: User, pipeline: Pipeline | None) -> ForecastModel:
    """The newest fit holding the replay: installation-wide figures, so only for those who
    see every deal."""
    if not policy.sees_all(forecaster(user), policy.OPPORTUNITY):
        raise Http404("No such page.")
    pipelines = [pipeline] if pipeline else list(Pipeline.objects.all())
    models = newest_models(pipelines)
    if not models:
        raise ModelMissing(NO_MODEL)
    found = max(models, key=lambda m: m.opportunities)
    return ForecastModel.objects.select_related("pipeline").get(pk=found.pk)


def backtest_out(model: ForecastModel, kind: str) -> dict[str, Any]:
    replay = model.backtest.get(kind, {"periods": [], "scores": {}})
    return {
        "pipeline": model.pipeline.key,
        "fitted_at": model.fitted_at,
        "kind": kind,
        "methods": list(METHODS),
        "targets": list(TARGETS),
        "periods": replay["periods"],
        "scores": replay["scores"],
    }


@predicted_router.get(
    "/backtest",
    response=BacktestOut,
    summary="The stored model's replay of past periods against static and naive Bayes",
    openapi_extra={"responses": NO_MODEL_RESPONSE},
)
def get_backtest(request: HttpRequest, params: Query[BacktestParams]) -> dict[str, Any]:
    model = stored_backtest(actor(request), pipeline_from(params.pipeline))
    return backtest_out(model, params.kind)
