"""The fit decides per pipeline, by backtest, whether an open deal's total chance is its per-deal
win probability or its stage curve's (``fitting.choose_deal_chances``); the replay scores each
cutoff as of then; the read uses the stored probabilities for a chosen pipeline."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from conftest import ApiClient, Company
from opportune.accounts.models import Account
from opportune.fiscal import FiscalPeriod
from opportune.forecasting import fitting
from opportune.forecasting.fitted import Deals, FittedModel, win_percent
from opportune.forecasting.fitting import (
    CURVES,
    PER_DEAL,
    choose_deal_chances,
    describe_deal_chances,
    fit_all,
    fit_pipeline,
)
from opportune.forecasting.forecast import OPEN_CATEGORIES
from opportune.forecasting.models import ForecastModel
from opportune.forecasting.periods import current_period, period_range
from opportune.identity.models import User
from opportune.opportunities.models import LostReason, Opportunity, OpportunityHistory, Pipeline
from opportune.scoring.models import OpportunityScore
from opportune.scoring.opportunity import fit_opportunities
from opportune.scoring.replay import ReplayChances

from . import test_predicted_grouping as grouping
from .conftest import deal_alone
from .test_predicted_grouping import _without_new_deals_or_errors, assert_close, grouped

world = grouping.world  # the fixture: open deals of every kind (stages, ages, close dates)

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2026, 7, 1, 12))


def write_history(company: Company, signal: bool, deals: int = 360, seed: int = 11) -> None:
    """Deals opened over 540 days before ``NOW``, each closing 20-40 days later (before the
    close date it carries), the last ones still open. With ``signal``, the owner decides:
    Alice's small deals are won 90% of the time, Bob's large ones 10%; without, every deal
    is won half of the time, whoever owns it, at a random amount."""
    rng = random.Random(seed)
    pipeline = Pipeline.default()
    stages = {s.key: s for s in pipeline.stages.all()}
    account = Account.objects.create(name="Initech", owner=company.alice)
    reason = LostReason.objects.get(key="other")
    plans = []
    for i in range(deals):
        opened = NOW - dt.timedelta(days=540 * (deals - i) / deals + rng.random())
        alice = i % 2 == 0
        if signal:
            amount, odds = (1000, 0.9) if alice else (10000, 0.1)
        else:
            amount, odds = rng.choice([1000, 10000]), 0.5
        closes = opened + dt.timedelta(days=rng.uniform(20, 40))
        outcome = ("closed_won" if rng.random() < odds else "closed_lost") if closes < NOW else None
        plans.append((company.alice if alice else company.bob, opened, closes, outcome, amount))
    created = Opportunity.objects.bulk_create(
        Opportunity(
            name=f"Deal {i}",
            account=account,
            owner=owner,
            pipeline=pipeline,
            stage=stages[outcome or "proposal"],
            amount=Decimal(amount),
            probability=stages[outcome or "proposal"].default_probability,
            close_date=(opened + dt.timedelta(days=45)).date(),
            forecast_category=stages[outcome or "proposal"].forecast_category,
            is_closed=outcome is not None,
            is_won=outcome == "closed_won",
            closed_at=closes if outcome else None,
            lost_reason=reason if outcome == "closed_lost" else None,
            created_at=opened,
            stage_changed_at=closes if outcome else opened,
        )
        for i, (owner, opened, closes, outcome, amount) in enumerate(plans)
    )
    OpportunityHistory.objects.bulk_create(
        OpportunityHistory(
            opportunity=opportunity,
            stage=stages[key],
            amount=opportunity.amount,
            probability=stages[key].default_probability,
            close_date=opportunity.close_date,
            forecast_category=stages[key].forecast_category,
            changed_at=moment,
        )
        for opportunity, (_, opened, closes, outcome, _) in zip(created, plans, strict=True)
        for moment, key in [(opened, "proposal"), *([(closes, outcome)] if outcome else [])]
    )


@pytest.fixture
def fewer_periods(monkeypatch: pytest.MonkeyPatch) -> None:
    """Six months and three quarters replayed (one per-deal fit per cutoff): a faster test."""
    monkeypatch.setattr(fitting, "REPLAYED", {"month": 6, "quarter": 3})


def _replay(mape_month: float, mape_quarter: float) -> dict[str, Any]:
    return {
        kind: {"scores": {"total": {"opportune": {"mae": 100.0 * mape, "mape": mape}}}}
        for kind, mape in (("month", mape_month), ("quarter", mape_quarter))
    }


def test_the_per_deal_probability_is_chosen_only_when_its_mae_percent_is_lower_on_both_kinds() -> (
    None
):
    assert choose_deal_chances(_replay(0.2, 0.1), _replay(0.15, 0.09))["chosen"] == PER_DEAL
    assert choose_deal_chances(_replay(0.2, 0.1), _replay(0.15, 0.1))["chosen"] == CURVES
    # Better on months by more than it is worse on quarters: still the curves.
    assert choose_deal_chances(_replay(1.2, 0.2), _replay(0.9, 0.45))["chosen"] == CURVES
    assert choose_deal_chances(_replay(0.2, 0.1), _replay(0.2, 0.1))["chosen"] == CURVES  # tie
    assert choose_deal_chances(_replay(0.2, 0.1), None)["chosen"] == CURVES  # no model
    assert choose_deal_chances({}, {})["chosen"] == CURVES  # nothing replayed


def test_a_pipeline_whose_per_deal_scores_carry_a_strong_signal_chooses_them(
    company: Company, fewer_periods: None, api: Callable[[User], ApiClient]
) -> None:
    write_history(company, signal=True)
    fit_opportunities(NOW)
    fitted = fit_pipeline(Pipeline.default(), NOW)
    choice = fitted.parameters["deal_chances"]
    assert choice["chosen"] == PER_DEAL, choice
    assert fitted.backtest["deal_chances"] == choice
    assert FittedModel.from_json(fitted.parameters).per_deal
    for kind in ("month", "quarter"):
        assert choice["per_deal"][kind]["mape"] < choice["curves"][kind]["mape"]
    # Shown with both figures: the API, the predicted page, the backtest page.
    text = describe_deal_chances(choice)
    assert text.startswith("Deal chances: per-deal win probability (backtest MAE ")
    assert "for stage curves" in text
    [model] = api(company.maria).get("/api/v1/forecast/predicted").json()["models"]
    assert model["deal_chances"]["chosen"] == PER_DEAL
    assert model["deal_chances"]["text"] == text
    client = Client()
    client.force_login(company.ada)
    for url in ("/forecast/predicted/", "/forecast/backtest/"):
        assert escape(text) in client.get(url).content.decode()


def test_without_a_signal_in_the_per_deal_scores_the_curves_are_kept(
    company: Company, fewer_periods: None
) -> None:
    write_history(company, signal=False)
    fit_opportunities(NOW)
    fitted = fit_pipeline(Pipeline.default(), NOW)
    choice = fitted.parameters["deal_chances"]
    assert choice["compared"] and choice["chosen"] == CURVES, choice
    assert not FittedModel.from_json(fitted.parameters).per_deal


def test_without_a_per_deal_model_the_curves_are_kept_without_comparing(
    company: Company, fewer_periods: None
) -> None:
    write_history(company, signal=True)
    fitted = fit_pipeline(Pipeline.default(), NOW)
    choice = fitted.parameters["deal_chances"]
    assert (choice["chosen"], choice["compared"], choice["per_deal"]) == (CURVES, False, None)


def test_replayed_scores_at_a_cutoff_learn_only_from_deals_closed_before_it(
    company: Company,
) -> None:
    """Flipping every outcome after the cutoff (won to lost and back, in the history and on the
    deals) changes none of the scores as of the cutoff, and does change later ones; the deals
    scored are those open at the cutoff."""
    write_history(company, signal=True)
    cutoff = NOW - dt.timedelta(days=120)
    ids = list(Opportunity.objects.values_list("pk", flat=True))
    before, later = ReplayChances.of(ids)(cutoff), ReplayChances.of(ids)(NOW)
    history = OpportunityHistory.objects.filter(changed_at__lte=cutoff)
    existed = set(history.values_list("opportunity_id", flat=True))
    closed = set(history.filter(stage__is_closed=True).values_list("opportunity_id", flat=True))
    assert set(before) == existed - closed and len(before) > 10
    stages = {s.key: s for s in Pipeline.default().stages.all()}
    swap = {"closed_won": "closed_lost", "closed_lost": "closed_won"}
    after = OpportunityHistory.objects.filter(changed_at__gt=cutoff, stage__is_closed=True)
    for pk, deal_id, key in after.values_list("pk", "opportunity_id", "stage__key"):
        stage = stages[swap[key]]
        rows: QuerySet[OpportunityHistory] = QuerySet(OpportunityHistory)  # past append-only
        rows.filter(pk=pk).update(stage=stage)
        Opportunity.objects.filter(pk=deal_id).update(stage=stage, is_won=stage.is_won)
    assert ReplayChances.of(ids)(cutoff) == before
    assert ReplayChances.of(ids)(NOW) != later


def test_a_per_deal_total_chance_keeps_the_curves_timing() -> None:
    model = FittedModel.from_json(_parameters())
    periods = _periods()
    today = NOW.date()
    deals = Deals(0, today, today, today + dt.timedelta(days=20), 50, 1000.0, 1e6, 1, 80)
    curves_only = model.deal_chances(deals, today, periods)
    model.per_deal = True
    per_deal = model.deal_chances(deals, today, periods)
    assert 0 < sum(per_deal) <= 0.8 + 1e-12
    scale = sum(per_deal) / sum(curves_only)
    assert per_deal == pytest.approx([c * scale for c in curves_only], rel=1e-9)
    unscored = Deals(0, today, today, today + dt.timedelta(days=20), 50, 1000.0, 1e6, 1, None)
    assert model.deal_chances(unscored, today, periods) == curves_only


def test_the_whole_percent_of_a_stored_probability_rounds_half_up() -> None:
    found = [win_percent(p) for p in (0.0, 0.0049, 0.005, 0.125, 0.1249, 0.9951, 1.0)]
    assert found == [0, 0, 1, 13, 12, 100, 100]


def _parameters() -> dict[str, Any]:
    """A fitted model's parameters with a creation curve (no database)."""
    alive = [1.0 - 0.01 * d for d in range(90)]
    won = [0.004 * d for d in range(90)]
    return {
        "moment": NOW.isoformat(),
        "curves": {},
        "from_creation": {"events": 100, "alive": alive, "won": won},
        "slip_counts": [],
        "realization": 1.0,
        "arrivals_per_day": 0.0,
        "won_mean": 0.0,
        "won_square_mean": 0.0,
        "quarter_months": [1.0, 1.0, 1.0],
    }


def _periods() -> list[Any]:
    from opportune.fiscal import period_containing, periods_between

    first = period_containing(NOW.date(), "month")
    return periods_between(first, first.shifted(5))


# --- the read: stored probabilities, grouped exactly ---------------------------------------------

TIES_AND_EDGES = [0.125, 0.135, 0.145, 0.005, 0.0049, 0.9951, 0.5, 0.0, 1.0, 0.3333]


def _score_open_deals(seed: int) -> None:
    """Stored scores for two open deals in three, at probabilities with rounding ties."""
    rng = random.Random(seed)
    ids = Opportunity.objects.filter(is_closed=False).order_by("pk").values_list("pk", flat=True)
    OpportunityScore.objects.bulk_create(
        OpportunityScore(
            opportunity_id=pk,
            probability=rng.choice([*TIES_AND_EDGES, round(rng.random(), 4)]),
            scored_at=NOW,
        )
        for index, pk in enumerate(ids)
        if index % 3
    )


def _chosen(per_deal: bool) -> None:
    stored = ForecastModel.objects.get()
    stored.parameters = {**stored.parameters, "per_deal": per_deal}
    stored.save()


def _one_by_one_with_scores(viewer: User, periods: list[FiscalPeriod]) -> list[tuple[float, ...]]:
    """``one_by_one`` of test_predicted_grouping, each deal with its stored probability."""
    [stored] = ForecastModel.objects.all()
    model = FittedModel.from_json(stored.parameters)
    scores = dict(OpportunityScore.objects.values_list("opportunity_id", "probability"))
    deals = [
        deal_alone(o, None if (score := scores.get(o.pk)) is None else win_percent(score))
        for o in Opportunity.objects.visible_to(viewer).filter(
            is_closed=False, forecast_category__in=OPEN_CATEGORIES
        )
    ]
    forecast = model.forecast(deals, [0.0] * len(periods), timezone.localdate(), periods, 0.0)
    found: list[tuple[float, ...]] = []
    for index, period in enumerate(periods):
        _expected, low, high = model.calibrated(forecast, index, period.kind)
        found.append((forecast.pipeline[index], low, high, float(forecast.reachable[index])))
    return found


@pytest.mark.usefixtures("world")
def test_a_chosen_pipeline_reads_each_deals_stored_probability_and_groups_it_exactly(
    company: Company,
) -> None:
    fit_all()
    _without_new_deals_or_errors("as fitted")
    _score_open_deals(seed=5)
    now = current_period("month")
    periods = period_range(now.key, now.shifted(5).key)
    _chosen(False)
    with CaptureQueriesContext(connection) as curves_queries:
        by_curves = grouped(company.ada, periods)
    _chosen(True)
    with CaptureQueriesContext(connection) as scores_queries:
        by_scores = grouped(company.ada, periods)
    assert len(scores_queries) == len(curves_queries)  # the scores join the same query
    assert [row[0] for row in by_scores] != pytest.approx([row[0] for row in by_curves])
    for viewer in (company.ada, company.maria, company.alice):
        assert_close(grouped(viewer, periods), _one_by_one_with_scores(viewer, periods))
    OpportunityScore.objects.update(probability=0.0)
    without = grouped(company.ada, periods)
    assert all(a[0] < b[0] for a, b in zip(without, by_scores, strict=True) if b[0] > 0)
