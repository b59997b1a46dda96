"""Moving a deal to another pipeline (issue 14): the stage maps to the target's stage with
the same key, else the nearest probability then order; a closed deal keeps its outcome;
the move is a row of the append-only stage history."""

from __future__ import annotations

import pytest

from conftest import Company
from opportune.errors import RuleViolation
from opportune.opportunities.models import Opportunity, OpportunityHistory, Pipeline, Stage
from opportune.opportunities.services import change_opportunity, close_opportunity


def _renewals(*, won: bool = True, lost: bool = True) -> Pipeline:
    renewals = Pipeline.objects.create(key="renewals", name="Renewals")
    rows = [
        ("renewal_due", 30, "pipeline", 1, False, False),
        ("proposal", 60, "best_case", 2, False, False),
        ("committed", 90, "commit", 3, False, False),
    ]
    if won:
        rows.append(("renewed", 100, "closed", 4, True, True))
    if lost:
        rows.append(("churned", 0, "omitted", 5, True, False))
    for key, probability, category, order, closed, is_won in rows:
        Stage.objects.create(
            pipeline=renewals,
            key=key,
            label=key.replace("_", " ").title(),
            order=order,
            default_probability=probability,
            forecast_category=category,
            is_closed=closed,
            is_won=is_won,
        )
    return renewals


def _reload(opportunity: Opportunity) -> Opportunity:
    return Opportunity.objects.select_related("stage", "pipeline").get(pk=opportunity.pk)


def test_a_stage_with_the_same_key_in_the_target_pipeline_is_kept(company: Company) -> None:
    _renewals()
    deal = company.opportunity(company.alice, stage_key="proposal")
    change_opportunity(company.alice, deal, {"pipeline": "renewals"})
    deal = _reload(deal)
    assert (deal.pipeline.key, deal.stage.key, deal.probability) == ("renewals", "proposal", 60)


def test_without_the_same_key_the_stage_of_nearest_probability_is_chosen(
    company: Company,
) -> None:
    _renewals()
    deal = company.opportunity(company.alice, stage_key="negotiation")  # 90%
    change_opportunity(company.alice, deal, {"pipeline": "renewals"})
    assert _reload(deal).stage.key == "committed"
    other = company.opportunity(company.alice, stage_key="needs_analysis")  # 20%
    change_opportunity(company.alice, other, {"pipeline": "renewals"})
    assert _reload(other).stage.key == "renewal_due"  # 30% is nearer than 60%


def test_the_user_may_pick_another_open_stage_of_the_target(company: Company) -> None:
    _renewals()
    deal = company.opportunity(company.alice)
    change_opportunity(company.alice, deal, {"pipeline": "renewals", "stage": "committed"})
    assert _reload(deal).stage.key == "committed"


def test_a_won_deal_maps_to_the_targets_won_stage_and_stays_won(company: Company) -> None:
    _renewals()
    deal = close_opportunity(company.alice, company.opportunity(company.alice), won=True)
    closed_at, close_date = deal.closed_at, deal.close_date
    change_opportunity(company.alice, deal, {"pipeline": "renewals"})
    deal = _reload(deal)
    assert (deal.stage.key, deal.is_closed, deal.is_won) == ("renewed", True, True)
    assert (deal.closed_at, deal.close_date) == (closed_at, close_date)


def test_a_lost_deal_stays_lost_with_its_reason(company: Company) -> None:
    _renewals()
    deal = close_opportunity(
        company.alice, company.opportunity(company.alice), won=False, lost_reason_key="price"
    )
    change_opportunity(company.alice, deal, {"pipeline": "renewals"})
    deal = _reload(deal)
    assert (deal.stage.key, deal.is_won, deal.lost_reason_id) == (
        "churned",
        False,
        deal.lost_reason_id,
    )
    assert deal.lost_reason is not None


def test_a_won_deal_cannot_be_put_in_an_open_stage_by_a_pipeline_move(company: Company) -> None:
    _renewals()
    deal = close_opportunity(company.alice, company.opportunity(company.alice), won=True)
    with pytest.raises(RuleViolation) as caught:
        change_opportunity(company.alice, deal, {"pipeline": "renewals", "stage": "proposal"})
    assert "stage" in caught.value.errors
    assert _reload(deal).pipeline.is_default


def test_a_target_without_a_won_stage_refuses_a_won_deal_naming_the_pipeline(
    company: Company,
) -> None:
    _renewals(won=False)
    deal = close_opportunity(company.alice, company.opportunity(company.alice), won=True)
    with pytest.raises(RuleViolation) as caught:
        change_opportunity(company.alice, deal, {"pipeline": "renewals"})
    assert "pipeline" in caught.value.errors


def test_an_unknown_pipeline_is_a_field_error(company: Company) -> None:
    deal = company.opportunity(company.alice)
    with pytest.raises(RuleViolation) as caught:
        change_opportunity(company.alice, deal, {"pipeline": "nowhere"})
    assert "pipeline" in caught.value.errors


def test_the_move_appends_a_stage_history_row(company: Company) -> None:
    _renewals()
    deal = company.opportunity(company.alice, stage_key="proposal")
    change_opportunity(company.alice, deal, {"pipeline": "renewals"})
    rows = list(OpportunityHistory.objects.filter(opportunity=deal).select_related("stage"))
    assert [(r.stage.pipeline.key, r.stage.key) for r in rows] == [
        ("sales", "proposal"),
        ("renewals", "proposal"),
    ]
