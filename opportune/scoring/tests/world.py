"""A small sales history written in bulk: deals opened over a year, some moved to the proposal
stage, most closed won or lost, with outcomes that depend on the owner and the stage
reached, so a model has something to learn."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from conftest import Company
from opportune.accounts.models import Account
from opportune.opportunities.models import LostReason, Opportunity, OpportunityHistory, Pipeline

START = timezone.make_aware(dt.datetime(2025, 1, 1, 9))
END = START + dt.timedelta(days=365)  # "now" of the history


def at(days: float) -> dt.datetime:
    return START + dt.timedelta(days=days)


def write_history(company: Company, deals: int = 160, seed: int = 7) -> list[Opportunity]:
    """``deals`` deals; the last 15% opened are still open."""
    rng = random.Random(seed)
    pipeline = Pipeline.default()
    stages = {s.key: s for s in pipeline.stages.all()}
    account = Account.objects.create(name="Initech", owner=company.alice)
    reason = LostReason.objects.get(key="other")
    owners = [company.alice, company.bob, company.charlie]
    plans = []
    for i in range(deals):
        opened = 300 * i / deals + rng.random()
        owner = owners[i % 3]
        path = [(opened, "prospecting")]
        if rng.random() < 0.5:
            path.append((opened + rng.uniform(5, 20), "proposal"))
        reached_proposal = path[-1][1] == "proposal"
        odds = {0: 0.75, 1: 0.5, 2: 0.2}[i % 3] + (0.2 if reached_proposal else -0.1)
        closes = opened + rng.uniform(25, 60)
        if i < deals * 0.85:  # the last ones are still open
            path.append((closes, "closed_won" if rng.random() < odds else "closed_lost"))
        plans.append((owner, path))
    opportunities = Opportunity.objects.bulk_create(
        Opportunity(
            name=f"Deal {i}",
            account=account,
            owner=owner,
            pipeline=pipeline,
            stage=stages[path[-1][1]],
            amount=Decimal(1000 + 10 * i),
            probability=stages[path[-1][1]].default_probability,
            close_date=(at(path[0][0]) + dt.timedelta(days=45)).date(),
            forecast_category=stages[path[-1][1]].forecast_category,
            is_closed=stages[path[-1][1]].is_closed,
            is_won=stages[path[-1][1]].is_won,
            closed_at=at(path[-1][0]) if stages[path[-1][1]].is_closed else None,
            lost_reason=reason if path[-1][1] == "closed_lost" else None,
            stage_changed_at=at(path[-1][0]),
        )
        for i, (owner, path) in enumerate(plans)
    )
    OpportunityHistory.objects.bulk_create(
        OpportunityHistory(
            opportunity=opportunity,
            stage=stages[key],
            amount=opportunity.amount,
            probability=stages[key].default_probability,
            close_date=opportunity.close_date,
            forecast_category=stages[key].forecast_category,
            changed_at=at(day),
        )
        for opportunity, (_, path) in zip(opportunities, plans, strict=True)
        for day, key in path
    )
    return opportunities
