"""The predicted forecast groups the open deals in SQL only by what their chances depend on
and leaves out deals too old for any chance: it must answer exactly what reading every deal on
its own answers (up to the rounding of float sums, a relative 1e-9)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.utils import timezone
from pytest_django import Settings

from conftest import Company
from opportune.fiscal import FiscalPeriod
from opportune.forecasting.fitted import FittedModel
from opportune.forecasting.fitting import fit_all
from opportune.forecasting.forecast import OPEN_CATEGORIES
from opportune.forecasting.models import ForecastModel
from opportune.forecasting.periods import current_period, period_range
from opportune.forecasting.predicted import _open_deals, predicted_forecast
from opportune.identity.models import User
from opportune.opportunities.models import Opportunity

from .conftest import deal, deal_alone, timeline

TOLERANCE = 1e-9


@pytest.fixture
def world(company: Company) -> None:
    """Forty deals closed over the last year after 14 to 54 days, and sixty open ones of every
    kind: stages with and without their own curve, entered and created from today to two
    years ago, close dates overdue and ahead, several probabilities."""
    today = timezone.localdate()
    for number in range(40):
        start = today - dt.timedelta(days=360 - 8 * number)
        end = start + dt.timedelta(days=14 + 10 * (number % 5))
        promised = start + dt.timedelta(days=14)  # won deals slip by 0 to 40 days
        outcome = "closed_won" if number % 4 else "closed_lost"
        timeline(
            company,
            company.alice if number % 2 else company.charlie,
            [(start, "negotiation", str(1000 + number), promised), (end, outcome, "1000", end)],
        )
    rng = random.Random(3)
    stages = ["negotiation", "proposal", "prospecting"]
    for number in range(60):
        close = today + dt.timedelta(days=rng.randrange(-60, 200))
        opportunity = deal(
            company,
            company.alice if number % 3 else company.charlie,
            stages[number % 3],
            str(rng.randrange(100, 9000)),
            close_date=close,
            probability=rng.choice([10, 20, 50]),
        )
        created = timezone.now() - dt.timedelta(days=rng.choice([0, 3, 3, 40, 200, 700]))
        entered = created + dt.timedelta(days=rng.choice([0, 1, 2]))
        Opportunity.objects.filter(pk=opportunity.pk).update(
            created_at=created, stage_changed_at=None if number % 7 == 0 else entered
        )


def one_by_one(viewer: User, periods: list[FiscalPeriod]) -> list[tuple[float, ...]]:
    """The prediction's pipeline part as reading every open deal on its own gives it."""
    [stored] = ForecastModel.objects.all()
    model = FittedModel.from_json(stored.parameters)
    deals = [
        deal_alone(o)
        for o in Opportunity.objects.visible_to(viewer).filter(
            is_closed=False, forecast_category__in=OPEN_CATEGORIES
        )
    ]
    today = timezone.localdate()
    forecast = model.forecast(deals, [0.0] * len(periods), today, periods, 0.0)
    found: list[tuple[float, ...]] = []
    for index, period in enumerate(periods):
        _expected, low, high = model.calibrated(forecast, index, period.kind)
        found.append((forecast.pipeline[index], low, high, float(forecast.reachable[index])))
    return found


def grouped(viewer: User, periods: list[FiscalPeriod]) -> list[tuple[float, ...]]:
    prediction = predicted_forecast(viewer, periods)
    return [
        (
            p.pipeline,
            p.low - p.already_won - p.new_deals,
            p.high - p.already_won - p.new_deals,
            float(p.open_deals),
        )
        for p in prediction.periods
    ]


def assert_close(found: list[tuple[float, ...]], expected: list[tuple[float, ...]]) -> None:
    assert len(found) == len(expected)
    for got, want in zip(found, expected, strict=True):
        for a, b in zip(got, want, strict=True):
            assert a == pytest.approx(b, rel=TOLERANCE, abs=1e-6)


def _without_new_deals_or_errors(variant: str) -> None:
    """The stored fit, without arrivals or past errors (so low and high follow the deals'
    own luck, ``variance``), and, per variant, without some of its curves."""
    stored = ForecastModel.objects.get()
    parameters = dict(stored.parameters)
    parameters["arrivals_per_day"] = 0.0
    parameters["errors"] = {}
    if variant in ("no stage curves", "no curves"):
        parameters["curves"] = {}
    if variant == "no curves":
        parameters["from_creation"] = {**parameters["from_creation"], "events": 0}
    stored.parameters = parameters
    stored.save()


@pytest.mark.parametrize("variant", ["as fitted", "no stage curves", "no curves"])
def test_grouping_by_what_chances_depend_on_answers_as_every_deal_alone(
    company: Company, world: None, variant: str
) -> None:
    fit_all()
    _without_new_deals_or_errors(variant)
    now = current_period("month")
    periods = period_range(now.key, now.shifted(5).key)
    for viewer in (company.ada, company.maria, company.alice):
        expected = one_by_one(viewer, periods)
        assert any(row[0] > 0 for row in expected)  # the fixture reaches the open deals
        assert_close(grouped(viewer, periods), expected)


def test_the_fixture_holds_deals_older_than_the_curve_reaches(
    company: Company, world: None
) -> None:
    fit_all()
    model = FittedModel.from_json(ForecastModel.objects.get().parameters)
    today = timezone.localdate()
    [since] = model.curve_stages(today).values()
    assert since > today - dt.timedelta(days=200)  # the SQL leaves out the older ones


ZONES = ["UTC", "America/New_York", "Asia/Kathmandu"]


@pytest.mark.parametrize("zone", ZONES)
def test_grouping_answers_as_every_deal_alone_in_the_installations_time_zone(
    company: Company, world: None, settings: Settings, zone: str
) -> None:
    settings.TIME_ZONE = zone
    fit_all()
    _without_new_deals_or_errors("as fitted")
    now = current_period("month")
    periods = period_range(now.key, now.shifted(5).key)
    for viewer in (company.ada, company.maria):
        assert_close(grouped(viewer, periods), one_by_one(viewer, periods))


@pytest.mark.parametrize("zone", ZONES)
def test_a_deal_counts_from_the_first_moment_of_the_curves_first_local_day(
    company: Company, world: None, settings: Settings, zone: str
) -> None:
    """The read picks deals by their raw entry moment (an index range): a deal that entered
    its stage at local midnight of the first day with a chance is read, on that day; one that
    entered a second before is not."""
    settings.TIME_ZONE = zone
    fit_all()
    stored = ForecastModel.objects.get()
    model = FittedModel.from_json(stored.parameters)
    today = timezone.localdate()
    [(stage_id, since)] = model.curve_stages(today).items()
    midnight = dt.datetime.combine(since, dt.time(0), tzinfo=timezone.get_current_timezone())
    Opportunity.objects.filter(is_closed=False).update(close_date=today + dt.timedelta(days=999))
    far = today + dt.timedelta(days=998)
    for moment, close in ((midnight, far), (midnight - dt.timedelta(seconds=1), far)):
        opportunity = deal(company, company.alice, "negotiation", "100", close_date=close)
        Opportunity.objects.filter(pk=opportunity.pk).update(stage_changed_at=moment)
    found = _open_deals(
        Opportunity.objects.filter(is_closed=False), {stored.pipeline_id: model}, today
    )[stored.pipeline_id]
    mine = [d for d in found if d.stage_id == stage_id and d.close_date == far]
    assert [(d.entered, d.count) for d in mine] == [(since, 1)]
