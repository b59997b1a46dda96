"""Win probability end to end: labels, stored fits and rollback, scores on write, the API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import Settings

from conftest import ApiClient, Company
from opportune.identity.models import User
from opportune.opportunities.models import Opportunity
from opportune.opportunities.services import change_opportunity, close_opportunity
from opportune.scoring.features import Deal, Row
from opportune.scoring.models import OpportunityScore, ScoringModel
from opportune.scoring.opportunity import (
    fit_opportunities,
    load_world,
    score_open,
    training_rows,
    win_probabilities,
    won_in_period,
)
from opportune.scoring.store import roll_back

from .world import END, write_history

pytestmark = pytest.mark.django_db


def test_closed_deals_are_labelled_won_or_lost_and_open_ones_never_trained_on(
    company: Company,
) -> None:
    deals = write_history(company)
    world = load_world()
    _, labels, known = training_rows(world, END)
    closed = [d for d in deals if d.is_closed]
    assert sum(labels) >= 1 and len(labels) >= len(closed)
    # Every row's label became known when its deal closed, which is a closed deal's time.
    assert set(known) == {d.closed_at for d in closed}
    won_times = {d.closed_at for d in closed if d.is_won}
    # A row is won (1) only if its deal was won (within its period: the next test).
    assert all(t in won_times for t, y in zip(known, labels, strict=True) if y)


def test_the_label_is_won_by_the_end_of_the_quarter_of_the_close_date_it_carried_then(
    settings: Settings,
) -> None:
    """Seen while its close date was in March, a deal won on 5 April missed its period (0);
    seen after its close date moved to April, the same win is in its period (1). A deal won
    before its period ended (early) hit it; a lost deal never did; an overdue close date
    counts as the day the deal is seen."""
    settings.OPPORTUNE_FISCAL_YEAR_START_MONTH = 1
    zone = timezone.get_current_timezone()

    def at(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(12), tzinfo=zone)

    deal = Deal(1, None, "", [
        Row(at(dt.date(2026, 2, 1)), 1, 100.0, dt.date(2026, 3, 20)),
        Row(at(dt.date(2026, 3, 25)), 1, 100.0, dt.date(2026, 4, 10)),
    ])  # fmt: skip
    won_at = at(dt.date(2026, 4, 5))
    assert not won_in_period(deal, at(dt.date(2026, 3, 1)), won_at, won=True)
    assert won_in_period(deal, at(dt.date(2026, 3, 26)), won_at, won=True)
    assert won_in_period(deal, at(dt.date(2026, 3, 1)), at(dt.date(2026, 3, 2)), won=True)
    assert won_in_period(deal, at(dt.date(2026, 3, 1)), at(dt.date(2026, 3, 31)), won=True)
    assert not won_in_period(deal, at(dt.date(2026, 3, 26)), won_at, won=False)
    # Seen on 2 April with its March close date overdue, its period is April's quarter.
    overdue = Deal(2, None, "", [Row(at(dt.date(2026, 2, 1)), 1, 100.0, dt.date(2026, 3, 20))])
    assert won_in_period(overdue, at(dt.date(2026, 4, 2)), won_at, won=True)
    assert not won_in_period(overdue, at(dt.date(2026, 3, 1)), won_at, won=True)
    # The quarter's last day is a local day: 23:30 on 31 March in the zone is still March.
    late = dt.datetime.combine(dt.date(2026, 3, 31), dt.time(23, 30), tzinfo=zone)
    assert won_in_period(deal, at(dt.date(2026, 3, 1)), late, won=True)


def test_a_fit_is_kept_with_its_card_and_scores_every_open_deal(company: Company) -> None:
    deals = write_history(company)
    fitted = fit_opportunities(END)
    assert fitted.is_active and fitted.rows == fitted.card["rows"] > 0
    open_ids = {d.pk for d in deals if not d.is_closed}
    scores = win_probabilities(d.pk for d in deals)
    assert set(scores) == open_ids
    assert all(0 <= p <= 1 for p in scores.values())
    one = OpportunityScore.objects.get(opportunity_id=min(open_ids))
    assert 1 <= len(one.reasons) <= 3 and {"feature", "text", "effect"} <= set(one.reasons[0])


def test_a_write_rescores_the_deal_and_closing_it_drops_its_score(company: Company) -> None:
    deals = write_history(company)
    fit_opportunities(END)
    deal = next(d for d in deals if not d.is_closed)
    before = OpportunityScore.objects.get(opportunity=deal).scored_at
    change_opportunity(company.ada, deal, {"amount": Decimal("123456.00")})
    assert OpportunityScore.objects.get(opportunity=deal).scored_at > before
    close_opportunity(company.ada, deal, won=True)
    assert not OpportunityScore.objects.filter(opportunity=deal).exists()


def test_rollback_reactivates_the_previous_fit_and_keeps_only_two(company: Company) -> None:
    write_history(company)
    first = fit_opportunities(END, rescore=False)
    second = fit_opportunities(END, rescore=False)
    third = fit_opportunities(END, rescore=False)
    assert set(ScoringModel.objects.values_list("pk", flat=True)) == {second.pk, third.pk}
    assert roll_back("opportunity").pk == second.pk
    assert ScoringModel.objects.get(is_active=True).pk == second.pk
    assert roll_back("opportunity").pk == third.pk  # and back again
    assert first.pk not in set(ScoringModel.objects.values_list("pk", flat=True))


def test_rollback_without_a_previous_fit_is_refused(company: Company) -> None:
    from opportune.errors import RuleViolation

    with pytest.raises(RuleViolation, match="no previous"):
        roll_back("opportunity")


def test_the_api_shows_win_probability_and_reasons(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    deals = write_history(company)
    fit_opportunities(END)
    scored = next(d for d in deals if not d.is_closed)
    closed = next(d for d in deals if d.is_closed)
    client = api(company.ada)
    body = client.get(f"/api/v1/opportunities/{scored.pk}").json()
    stored = OpportunityScore.objects.get(opportunity=scored)
    assert body["win_probability"] == pytest.approx(stored.probability)
    assert body["win_reasons"] == stored.reasons
    body = client.get(f"/api/v1/opportunities/{closed.pk}").json()
    assert (body["win_probability"], body["win_reasons"]) == (None, [])


def test_listing_scored_opportunities_costs_the_same_queries_for_few_and_many(
    company: Company, api: Callable[[User], ApiClient]
) -> None:
    write_history(company, deals=160)
    fit_opportunities(END)
    client = api(company.ada)
    client.get("/api/v1/me")

    def count(limit: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/opportunities", limit=limit, state="open")
        assert response.status_code == 200, response.content
        assert all("win_probability" in row for row in response.json()["items"])
        return len(queries)

    assert Opportunity.objects.filter(is_closed=False).count() >= 20
    assert count(5) == count(20)


def test_scoring_one_deal_after_a_write_agrees_with_scoring_them_all(company: Company) -> None:
    """One deal is rated from grouped counts of its owner's and source's closings; all
    deals from the full closing history. At the same moment they must agree."""
    deals = write_history(company)
    fit_opportunities(END)
    deal = next(d for d in deals if not d.is_closed)
    together = OpportunityScore.objects.get(opportunity=deal)
    assert score_open(END, ids=[deal.pk]) == 1
    alone = OpportunityScore.objects.get(opportunity=deal)
    assert alone.probability == pytest.approx(together.probability)
    assert alone.reasons == together.reasons
