"""Deals at risk against a plain Python evaluation of the four rules, on random deals: the page
(largest first, the database's place for a deal without an amount, ties by id), its count and
what the manager sees must be the same whatever way the statements read them."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from conftest import Company
from opportune.activities.models import Activity
from opportune.identity.models import User
from opportune.opportunities.models import Opportunity, OpportunityHistory, Stage
from opportune.work.team import RISK_ROWS, deals_at_risk

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2026, 5, 20, 12))
QUIET_DAYS = 14
AMOUNTS = [None, Decimal("100"), Decimal("200"), Decimal("300"), Decimal("5000")]  # ties


def _moment(rng: random.Random, days_back: int) -> dt.datetime:
    return NOW - dt.timedelta(days=rng.randint(1, days_back), minutes=rng.randint(1, 1439))


def _random_deals(company: Company, rng: random.Random) -> None:
    stages = list(Stage.objects.filter(pipeline__is_default=True))
    owners: list[User | None] = [company.alice, company.bob, company.charlie, None]
    for number in range(45):
        stage = rng.choice(stages)
        opportunity = company.opportunity(
            rng.choice(owners),
            name=f"Deal {number}",
            stage_key=stage.key,
            close_date=NOW.date() + dt.timedelta(days=rng.randint(-2, 40)),
            lost_reason_key="price" if stage.is_closed and not stage.is_won else None,
        )
        created = _moment(rng, 60)
        changed = rng.choice([None, created + (NOW - created) * rng.random()])
        Opportunity.objects.filter(pk=opportunity.pk).update(
            amount=rng.choice(AMOUNTS), created_at=created, stage_changed_at=changed
        )
        for _ in range(rng.randint(0, 4)):
            before = NOW.date() + dt.timedelta(days=rng.randint(-30, 30))
            OpportunityHistory.objects.create(
                opportunity=opportunity,
                stage=stage,
                amount=Decimal("100"),
                probability=stage.default_probability,
                close_date=before + dt.timedelta(days=rng.randint(-5, 20)),
                previous_close_date=rng.choice([None, before]),
                forecast_category=stage.forecast_category,
                changed_at=_moment(rng, 60),
            )
        for _ in range(rng.randint(0, 3)):
            logged = Activity.objects.create(
                kind="call", subject="Call", owner=company.alice, opportunity=opportunity
            )
            Activity.objects.filter(pk=logged.pk).update(created_at=_moment(rng, 20))


def _expected(company: Company, usual: dict[int, Decimal]) -> tuple[list[int], int]:
    """The four rules one deal at a time, in Python, over what the policy lets Maria see."""
    quiet_since = NOW - dt.timedelta(days=QUIET_DAYS)
    seen = Opportunity.objects.visible_to(company.maria).filter(is_closed=False)
    risky = []
    for deal in seen:
        pushes = sum(
            1
            for h in OpportunityHistory.objects.filter(opportunity=deal)
            if h.previous_close_date is not None and h.close_date > h.previous_close_date
        )
        recent = any(a.created_at >= quiet_since for a in Activity.objects.filter(opportunity=deal))
        since = deal.stage_changed_at or deal.created_at
        limit = usual.get(deal.stage_id)
        if (
            deal.close_date < NOW.date()
            or pushes >= 2
            or (deal.created_at < quiet_since and not recent)
            or (limit is not None and since < NOW - dt.timedelta(days=float(limit)))
        ):
            risky.append(deal)
    null_first = connection.features.nulls_order_largest

    def order(deal: Opportunity) -> tuple[int, Decimal, int]:
        if deal.amount is None:
            return (0 if null_first else 2, Decimal(0), deal.pk)
        return (1, -deal.amount, deal.pk)

    page = sorted(risky, key=order)[:RISK_ROWS]
    return [deal.pk for deal in page], len(risky)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_deals_at_risk_are_the_deals_a_plain_evaluation_of_the_four_rules_finds(
    company: Company, seed: int
) -> None:
    rng = random.Random(seed)
    _random_deals(company, rng)
    stages = list(Stage.objects.filter(pipeline__is_default=True, is_closed=False))
    usual = {s.pk: Decimal(rng.randint(1, 30)) for s in rng.sample(stages, len(stages) // 2)}
    page, total = _expected(company, usual)
    risks = deals_at_risk(company.maria, NOW, usual, QUIET_DAYS)
    assert [row.deal.pk for row in risks.rows] == page
    assert risks.total == total
    assert total > RISK_ROWS  # the page is cut: the merge of the parts is tested
    assert all(row.reasons for row in risks.rows)
