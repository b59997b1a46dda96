"""The predicted forecast as a user sees it: the stored model of each pipeline (``fitting``)
applied to the deals open now, the deals already won and the rate of new deals.

A request never learns from history: it reads the newest fit of each pipeline and a few
grouped queries (open deals alike in what their chances depend on, per pipeline; won amounts
by close date; deals created lately), so it costs what a report does. Without a fit it answers 409
(``ModelMissing``) instead of learning for a minute.

New deals are the viewer's share of the installation's: the model's arrival rate times the
share of the deals created over the last quarter that the viewer sees.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import defaultdict
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    Expression,
    F,
    FloatField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest
from django.utils import timezone

from opportune.errors import ConfigurationMissing
from opportune.fiscal import FiscalPeriod
from opportune.identity import policy
from opportune.identity.models import User
from opportune.opportunities.models import Opportunity, Pipeline

from .fitted import ANY_STAGE, OVERDUE, Deals, FittedModel, period_index
from .forecast import OPEN_CATEGORIES
from .local_date import LocalDate
from .models import ForecastModel
from .owners import Owners, visible_deals, visible_owners
from .prediction import ARRIVAL_WINDOW_DAYS
from .win_percent import WinPercent

# How far ahead of today a stored moment may lie and still get its local day exactly.
FUTURE_MOMENTS = dt.timedelta(days=366)


class ModelMissing(ConfigurationMissing):
    title = "No forecast model has been fitted yet"


NO_MODEL = (
    "No forecast model has been fitted yet: the worker fits one every day "
    "(`opportune worker`), or an admin runs `opportune forecast fit` or presses Fit now."
)


@dataclass
class PeriodPrediction:
    period: FiscalPeriod
    already_won: float = 0.0
    pipeline: float = 0.0  # expected from the deals open now
    new_deals: float = 0.0  # expected from deals not created yet
    expected: float = 0.0
    low: float = 0.0  # 10th percentile
    high: float = 0.0  # 90th percentile
    open_deals: int = 0  # open deals with a chance to be won in the period


@dataclass
class Prediction:
    moment: dt.datetime
    models: list[ForecastModel]
    periods: list[PeriodPrediction]
    unfitted: list[Pipeline] = field(default_factory=list)  # pipelines with deals, no fit

    @property
    def fitted_at(self) -> dt.datetime:
        return min(m.fitted_at for m in self.models)

    @property
    def age(self) -> dt.timedelta:
        return self.moment - self.fitted_at

    @property
    def closed_deals(self) -> int:
        return sum(m.closed_deals for m in self.models)

    def calibration_periods(self, kind: str) -> int:
        """How many replayed periods of this kind the intervals are calibrated on (fewest)."""
        return min(len(m.parameters.get("errors", {}).get(kind, [])) for m in self.models)


def newest_models(pipelines: list[Pipeline]) -> list[ForecastModel]:
    newest = (
        ForecastModel.objects.filter(pipeline=OuterRef("pipeline"))
        .order_by("-fitted_at", "-pk")
        .values("pk")[:1]
    )
    return list(
        ForecastModel.objects.filter(pipeline__in=pipelines, pk=Subquery(newest))
        .select_related("pipeline")
        .defer("backtest")
        .order_by("pipeline__name")
    )


def predicted_forecast(
    viewer: User,
    periods: list[FiscalPeriod],
    pipeline: Pipeline | None = None,
    now: dt.datetime | None = None,
) -> Prediction:
    """The predicted forecast of ``periods`` over the deals ``viewer`` may see, from the
    newest fit of ``pipeline`` (of every fitted pipeline if None)."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    pipelines = [pipeline] if pipeline else list(Pipeline.objects.all())
    models = newest_models(pipelines)
    if not models:
        raise ModelMissing(NO_MODEL)
    fitted = {m.pipeline_id: m for m in models}
    owners = visible_owners(viewer)
    parts = [part.filter(pipeline_id__in=list(fitted)) for part in visible_deals(viewer, owners)]
    models_of = {pk: FittedModel.from_json(m.parameters) for pk, m in fitted.items()}
    open_deals: dict[int, list[Deals]] = defaultdict(list)
    won: dict[int, list[float]] = defaultdict(lambda: [0.0] * len(periods))
    for part in parts:  # disjoint parts of what the viewer sees (owners.visible_deals)
        for pk, groups in _open_deals(part, models_of, today).items():
            open_deals[pk] += groups
        for pk, amounts in _already_won(part, periods).items():
            won[pk] = [a + b for a, b in zip(won[pk], amounts, strict=True)]
    share = _arrival_share(viewer, owners, list(fitted), now)
    found = [PeriodPrediction(p) for p in periods]
    for pk in fitted:
        model = models_of[pk]
        forecast = model.forecast(
            open_deals.get(pk, []),
            won.get(pk, [0.0] * len(periods)),
            today,
            periods,
            share.get(pk, 0.0),
        )
        for index, period in enumerate(found):
            expected, low, high = model.calibrated(forecast, index, period.period.kind)
            period.already_won += forecast.already_won[index]
            period.pipeline += forecast.pipeline[index]
            period.new_deals += forecast.new_deals[index]
            period.expected += expected
            period.low += low
            period.high += high
            period.open_deals += forecast.reachable[index]
    # Pipelines without a fit that hold a deal the viewer sees: one EXISTS each (an index
    # probe), not the pipeline of every deal.
    used = Exists(Opportunity.objects.visible_to(viewer).filter(pipeline_id=OuterRef("pk")))
    unfitted = list(Pipeline.objects.exclude(pk__in=list(fitted)).filter(used))
    if pipeline is None:
        unfitted = [p for p in unfitted if p in pipelines]
    return Prediction(now, models, found, unfitted)


def _open_deals(
    visible: object, models: dict[int, FittedModel], today: dt.date
) -> dict[int, list[Deals]]:
    """Per pipeline, its open deals grouped by what their chances depend on
    (``FittedModel.chance_key``), leaving out those too old for any chance: a few thousand
    groups at a million deals, where grouping by every field gave one per deal. One scan per
    pipeline (two without a creation curve)."""
    assert hasattr(visible, "filter")
    found: dict[int, list[Deals]] = {}
    for pk, model in models.items():
        deals = visible.filter(
            pipeline_id=pk, is_closed=False, forecast_category__in=OPEN_CATEGORIES
        )
        stages = model.curve_stages(today)
        created_since = model.created_since(today)
        groups = _by_curve(deals, stages, created_since, today, model.per_deal)
        if created_since is None:
            groups += _by_probability(deals.exclude(stage_id__in=list(stages)), today)
        found[pk] = groups
    return found


def _by_curve(
    deals: Any,
    stages: dict[int, dt.date],
    created_since: dt.date | None,
    today: dt.date,
    per_deal: bool = False,
) -> list[Deals]:
    """Deals in a stage with its own curve by stage, day entered and close date; with a
    creation curve, those in other stages by day created and close date; with per-deal
    chances, also by the stored win probability in whole percent."""
    first = min([*stages.values(), created_since or today])
    last = today + FUTURE_MOMENTS
    entered = LocalDate(Coalesce("stage_changed_at", "created_at"), first, last)
    created = LocalDate("created_at", first, last)
    in_curve = Q(stage_id__in=list(stages))
    wanted = [q for stage, since in stages.items() for q in _entered_since(stage, since)]
    stage: Expression | F
    day: Expression
    if not stages:
        stage, day = Value(ANY_STAGE), created
    elif created_since is None:
        stage, day = F("stage_id"), entered
    else:
        stage = Case(When(in_curve, then=F("stage_id")), default=Value(ANY_STAGE))
        day = Case(When(in_curve, then=entered), default=created)
    if created_since is not None:
        since = Q(created_at__gte=_midnight(created_since))
        wanted.append(since & ~in_curve if stages else since)
    if not wanted:
        return []
    rows = (
        deals.annotate(
            curve_stage=stage,
            day=day,
            close=Greatest("close_date", Value(today - OVERDUE, output_field=DateField())),
            **({"win": WinPercent("win_score__probability")} if per_deal else {}),
        )
        .filter(reduce(operator.or_, wanted))
        .values("curve_stage", "day", "close", *(["win"] if per_deal else []))
        .annotate(**_SUMS)
        .order_by()
    )
    return [
        Deals(r["curve_stage"], r["day"], r["day"], r["close"], 0, *_sums(r), r.get("win"))
        for r in rows
    ]


def _midnight(day: dt.date) -> dt.datetime:
    """The first moment of ``day`` in the installation's time zone: a deal's local day is on or
    after ``day`` exactly when its moment is on or after this one."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=timezone.get_current_timezone())


def _entered_since(stage: int, day: dt.date) -> list[Q]:
    """Deals in ``stage`` that entered it on ``day`` or later (local days), as conditions on
    the raw columns, each one an index range (``opp_open_deals``): the database reads only
    these deals and computes no day for the others (grouping by day costs a Python function
    per row on SQLite)."""
    moment = _midnight(day)
    return [
        Q(stage_id=stage, stage_changed_at__gte=moment),
        Q(stage_id=stage, stage_changed_at__isnull=True, created_at__gte=moment),
    ]


def _by_probability(deals: Any, today: dt.date) -> list[Deals]:
    """Deals without any curve by probability and close date (from today)."""
    rows = (
        deals.annotate(close=Greatest("close_date", Value(today, output_field=DateField())))
        .values("probability", "close")
        .annotate(**_SUMS)
        .order_by()
    )
    return [Deals(ANY_STAGE, today, today, r["close"], r["probability"], *_sums(r)) for r in rows]


_SUMS = {
    "total": Coalesce(Sum(Cast("amount", FloatField())), 0.0),
    "squares": Coalesce(Sum(Cast(F("amount") * F("amount"), FloatField())), 0.0),
    "deals": Count("*"),
}


def _sums(row: dict[str, Any]) -> tuple[float, float, int]:
    return row["total"], row["squares"], row["deals"]


def _already_won(visible: object, periods: list[FiscalPeriod]) -> dict[int, list[float]]:
    assert hasattr(visible, "filter")
    rows = (
        visible.filter(
            is_won=True, close_date__gte=periods[0].start, close_date__lte=periods[-1].end
        )
        .values("pipeline_id", "close_date")
        .annotate(total=Coalesce(Sum(Cast("amount", FloatField())), 0.0))
        .order_by()
    )
    found: dict[int, list[float]] = defaultdict(lambda: [0.0] * len(periods))
    for row in rows:
        index = period_index(periods, row["close_date"])
        if index is not None:
            found[row["pipeline_id"]][index] += row["total"]
    return found


def _arrival_share(
    viewer: User, owners: Owners | None, pipeline_ids: list[int], now: dt.datetime
) -> dict[int, float]:
    """Per pipeline, the share of the deals created over the arrival window that the viewer
    sees (1 for those who see every deal). Both counts read the window's range of
    ``opp_created``: the viewer's owners are tested on ``COALESCE(owner_id, 0)``, which no
    index serves, so the database does not walk her owners' index over all their deals."""
    if policy.sees_all(viewer, policy.OPPORTUNITY):
        return {pk: 1.0 for pk in pipeline_ids}
    since = now - dt.timedelta(days=ARRIVAL_WINDOW_DAYS)
    recent = Opportunity.objects.filter(pipeline_id__in=pipeline_ids, created_at__gte=since)
    if owners is None:  # a viewer the owner filter does not describe: visible_to counts
        visible = recent.visible_to(viewer)
    else:
        keys = sorted(owners.ids | ({UNOWNED} if owners.unowned else set()))
        owner = Coalesce("owner_id", Value(UNOWNED))
        visible = recent.annotate(owner_key=owner).filter(owner_key__in=keys)

    def counts(deals: Any) -> dict[int, int]:
        rows = deals.values("pipeline_id").annotate(n=Count("*")).order_by()
        return {row["pipeline_id"]: row["n"] for row in rows}

    mine, everyone = counts(visible), counts(recent)
    return {pk: mine.get(pk, 0) / total for pk, total in everyone.items() if total}


UNOWNED = 0  # no user has this primary key
