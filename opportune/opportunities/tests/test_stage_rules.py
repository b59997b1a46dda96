"""Stage rules (PRODUCT.md section 4): the stage sets probability, forecast category,
is_closed, is_won and closed_at; probability and category may then be overridden while the
opportunity is open; closing as lost needs a reason; only the stage closes an opportunity."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from conftest import Company
from opportune.errors import NotAllowed, RuleViolation
from opportune.opportunities.models import LostReason, Opportunity, Pipeline, Stage
from opportune.opportunities.services import change_opportunity, close_opportunity

DEFAULT_PIPELINE = [
    # stage, probability, forecast category, is_closed, is_won (PRODUCT.md section 4)
    ("prospecting", 10, "pipeline", False, False),
    ("qualification", 10, "pipeline", False, False),
    ("needs_analysis", 20, "pipeline", False, False),
    ("value_proposition", 50, "pipeline", False, False),
    ("id_decision_makers", 60, "pipeline", False, False),
    ("perception_analysis", 70, "best_case", False, False),
    ("proposal", 75, "best_case", False, False),
    ("negotiation", 90, "commit", False, False),
    ("closed_won", 100, "closed", True, True),
    ("closed_lost", 0, "omitted", True, False),
]


def _reload(opportunity: Opportunity) -> Opportunity:
    return Opportunity.objects.select_related("stage").get(pk=opportunity.pk)


def test_the_default_pipeline_has_the_documented_stages_in_order(db: None) -> None:
    stages = Stage.objects.filter(pipeline=Pipeline.default()).order_by("order")
    assert [
        (s.key, s.default_probability, s.forecast_category, s.is_closed, s.is_won) for s in stages
    ] == DEFAULT_PIPELINE


@pytest.mark.parametrize(
    ("key", "probability", "category", "is_closed", "is_won"), DEFAULT_PIPELINE
)
def test_changing_the_stage_sets_probability_category_and_closed_flags(
    company: Company, key: str, probability: int, category: str, is_closed: bool, is_won: bool
) -> None:
    opportunity = company.opportunity(company.alice, stage_key="value_proposition")
    changes: dict[str, object] = {"stage": key}
    if key == "closed_lost":
        changes["lost_reason"] = "price"
    change_opportunity(company.alice, opportunity, changes)
    opportunity = _reload(opportunity)
    assert (
        opportunity.stage.key,
        opportunity.probability,
        opportunity.forecast_category,
        opportunity.is_closed,
        opportunity.is_won,
    ) == (key, probability, category, is_closed, is_won)
    assert (opportunity.closed_at is not None) == is_closed


def test_closing_sets_closed_at_to_now(company: Company) -> None:
    opportunity = company.opportunity(company.alice)
    before = timezone.now()
    change_opportunity(company.alice, opportunity, {"stage": "closed_won"})
    opportunity = _reload(opportunity)
    assert opportunity.closed_at is not None and opportunity.closed_at >= before


def test_expected_revenue_is_amount_times_probability(company: Company) -> None:
    opportunity = company.opportunity(company.alice, amount=Decimal("10000.00"))
    change_opportunity(company.alice, opportunity, {"stage": "proposal"})
    assert _reload(opportunity).expected_revenue == Decimal("7500.00")


def test_it_lets_users_override_the_probability_of_an_open_opportunity(company: Company) -> None:
    opportunity = company.opportunity(company.alice, stage_key="proposal")
    change_opportunity(company.alice, opportunity, {"probability": 40})
    opportunity = _reload(opportunity)
    assert (opportunity.stage.key, opportunity.probability) == ("proposal", 40)


def test_it_lets_users_override_the_forecast_category_of_an_open_opportunity(
    company: Company,
) -> None:
    opportunity = company.opportunity(company.alice, stage_key="proposal")
    change_opportunity(company.alice, opportunity, {"forecast_category": "commit"})
    assert _reload(opportunity).forecast_category == "commit"


def test_an_override_given_with_a_stage_change_applies_after_the_stage(company: Company) -> None:
    opportunity = company.opportunity(company.alice)
    change_opportunity(company.alice, opportunity, {"stage": "negotiation", "probability": 80})
    opportunity = _reload(opportunity)
    assert (opportunity.probability, opportunity.forecast_category) == (80, "commit")


def test_a_later_stage_change_replaces_the_overrides(company: Company) -> None:
    opportunity = company.opportunity(company.alice, stage_key="proposal")
    change_opportunity(
        company.alice, opportunity, {"probability": 40, "forecast_category": "commit"}
    )
    change_opportunity(company.alice, opportunity, {"stage": "negotiation"})
    opportunity = _reload(opportunity)
    assert (opportunity.probability, opportunity.forecast_category) == (90, "commit")
    change_opportunity(company.alice, opportunity, {"stage": "needs_analysis"})
    opportunity = _reload(opportunity)
    assert (opportunity.probability, opportunity.forecast_category) == (20, "pipeline")


def test_it_refuses_the_closed_category_on_an_open_opportunity(company: Company) -> None:
    opportunity = company.opportunity(company.alice, stage_key="negotiation")
    with pytest.raises(RuleViolation) as caught:
        change_opportunity(company.alice, opportunity, {"forecast_category": "closed"})
    assert "forecast_category" in caught.value.errors


def test_it_refuses_an_unknown_forecast_category(company: Company) -> None:
    opportunity = company.opportunity(company.alice)
    with pytest.raises(RuleViolation) as caught:
        change_opportunity(company.alice, opportunity, {"forecast_category": "maybe"})
    assert "forecast_category" in caught.value.errors
    assert _reload(opportunity).forecast_category == "pipeline"


@pytest.mark.parametrize("probability", [-1, 101])
def test_it_refuses_a_probability_outside_0_to_100(company: Company, probability: int) -> None:
    opportunity = company.opportunity(company.alice)
    with pytest.raises(RuleViolation) as caught:
        change_opportunity(company.alice, opportunity, {"probability": probability})
    assert "probability" in caught.value.errors


@pytest.mark.parametrize(
    ("field", "value"), [("probability", 50), ("forecast_category", "best_case")]
)
@pytest.mark.parametrize(
    "closing", [{"stage": "closed_won"}, {"stage": "closed_lost", "lost_reason": "price"}]
)
def test_it_refuses_overrides_on_a_closed_opportunity(
    company: Company, closing: dict[str, str], field: str, value: object
) -> None:
    opportunity = company.opportunity(company.alice)
    change_opportunity(company.alice, opportunity, closing)
    before = _reload(opportunity)
    with pytest.raises(RuleViolation) as caught:
        change_opportunity(company.alice, opportunity, {field: value})
    assert field in caught.value.errors
    after = _reload(opportunity)
    assert (after.probability, after.forecast_category) == (
        before.probability,
        before.forecast_category,
    )


def test_it_refuses_overrides_given_with_a_closing_stage(company: Company) -> None:
    opportunity = company.opportunity(company.alice)
    with pytest.raises(RuleViolation) as caught:
        change_opportunity(company.alice, opportunity, {"stage": "closed_won", "probability": 90})
    assert "probability" in caught.value.errors
    assert not _reload(opportunity).is_closed


@pytest.mark.parametrize(
    "field", ["is_closed", "is_won", "closed_at", "stage_id", "expected_revenue"]
)
def test_only_the_stage_closes_or_wins_an_opportunity(company: Company, field: str) -> None:
    opportunity = company.opportunity(company.alice)
    value = {"closed_at": timezone.now(), "stage_id": Stage.objects.get(key="closed_won").pk}.get(
        field, True
    )
    with pytest.raises(RuleViolation) as caught:
        change_opportunity(company.alice, opportunity, {field: value})
    assert field in caught.value.errors
    opportunity = _reload(opportunity)
    assert (opportunity.stage.key, opportunity.is_closed, opportunity.is_won) == (
        "prospecting",
        False,
        False,
    )
    assert opportunity.closed_at is None


def test_closing_as_lost_requires_a_lost_reason(company: Company) -> None:
    opportunity = company.opportunity(company.alice)
    with pytest.raises(RuleViolation) as caught:
        change_opportunity(company.alice, opportunity, {"stage": "closed_lost"})
    assert "lost_reason" in caught.value.errors
    assert not _reload(opportunity).is_closed


def test_closing_as_lost_with_a_reason_records_it(company: Company) -> None:
    opportunity = company.opportunity(company.alice)
    change_opportunity(
        company.alice, opportunity, {"stage": "closed_lost", "lost_reason": "competitor"}
    )
    opportunity = _reload(opportunity)
    assert opportunity.lost_reason is not None
    assert opportunity.lost_reason.key == "competitor"


def test_it_refuses_an_unknown_or_retired_lost_reason(company: Company) -> None:
    LostReason.objects.filter(key="timing").update(is_active=False)
    opportunity = company.opportunity(company.alice)
    for key in ("bad_weather", "timing"):
        with pytest.raises(RuleViolation) as caught:
            change_opportunity(
                company.alice, opportunity, {"stage": "closed_lost", "lost_reason": key}
            )
        assert "lost_reason" in caught.value.errors


def test_it_accepts_a_configured_lost_reason(company: Company) -> None:
    LostReason.objects.create(key="merger", label="Customer was acquired")
    opportunity = company.opportunity(company.alice)
    change_opportunity(
        company.alice, opportunity, {"stage": "closed_lost", "lost_reason": "merger"}
    )
    lost_reason = _reload(opportunity).lost_reason
    assert lost_reason is not None and lost_reason.key == "merger"


def test_it_refuses_to_clear_the_reason_of_a_lost_opportunity(company: Company) -> None:
    opportunity = company.opportunity(company.alice)
    change_opportunity(company.alice, opportunity, {"stage": "closed_lost", "lost_reason": "price"})
    with pytest.raises(RuleViolation):
        change_opportunity(company.alice, opportunity, {"lost_reason": None})


def test_it_refuses_a_lost_reason_on_an_open_or_won_opportunity(company: Company) -> None:
    opportunity = company.opportunity(company.alice)
    with pytest.raises(RuleViolation) as caught:
        change_opportunity(company.alice, opportunity, {"lost_reason": "price"})
    assert "lost_reason" in caught.value.errors
    change_opportunity(company.alice, opportunity, {"stage": "closed_won"})
    with pytest.raises(RuleViolation):
        change_opportunity(company.alice, opportunity, {"lost_reason": "price"})


def test_reopening_clears_closed_at_and_the_lost_reason(company: Company) -> None:
    opportunity = company.opportunity(company.alice)
    change_opportunity(company.alice, opportunity, {"stage": "closed_lost", "lost_reason": "price"})
    change_opportunity(company.alice, opportunity, {"stage": "negotiation"})
    opportunity = _reload(opportunity)
    assert not opportunity.is_closed and not opportunity.is_won
    assert opportunity.closed_at is None
    assert opportunity.lost_reason is None
    assert (opportunity.probability, opportunity.forecast_category) == (90, "commit")


def test_winning_a_lost_opportunity_clears_its_lost_reason(company: Company) -> None:
    opportunity = company.opportunity(company.alice)
    change_opportunity(company.alice, opportunity, {"stage": "closed_lost", "lost_reason": "price"})
    change_opportunity(company.alice, opportunity, {"stage": "closed_won"})
    opportunity = _reload(opportunity)
    assert opportunity.is_won and opportunity.lost_reason is None


def test_close_opportunity_won_moves_it_to_the_won_stage(company: Company) -> None:
    opportunity = company.opportunity(company.alice, stage_key="negotiation")
    close_opportunity(company.alice, opportunity, won=True)
    opportunity = _reload(opportunity)
    assert (opportunity.stage.key, opportunity.is_closed, opportunity.is_won) == (
        "closed_won",
        True,
        True,
    )
    assert (opportunity.probability, opportunity.forecast_category) == (100, "closed")


def test_close_opportunity_lost_moves_it_to_the_lost_stage_with_the_reason(
    company: Company,
) -> None:
    opportunity = company.opportunity(company.alice, stage_key="negotiation")
    close_opportunity(company.alice, opportunity, won=False, lost_reason_key="no_budget")
    opportunity = _reload(opportunity)
    assert (opportunity.stage.key, opportunity.is_closed, opportunity.is_won) == (
        "closed_lost",
        True,
        False,
    )
    assert opportunity.lost_reason is not None and opportunity.lost_reason.key == "no_budget"
    assert (opportunity.probability, opportunity.forecast_category) == (0, "omitted")


def test_close_opportunity_lost_without_a_reason_is_refused(company: Company) -> None:
    opportunity = company.opportunity(company.alice, stage_key="negotiation")
    with pytest.raises(RuleViolation) as caught:
        close_opportunity(company.alice, opportunity, won=False)
    assert "lost_reason" in caught.value.errors
    assert not _reload(opportunity).is_closed


def test_close_opportunity_needs_an_active_won_stage(company: Company) -> None:
    Stage.objects.filter(key="closed_won").update(is_active=False)
    opportunity = company.opportunity(company.alice)
    with pytest.raises(RuleViolation):
        close_opportunity(company.alice, opportunity, won=True)


def test_an_unknown_stage_is_a_field_error(company: Company) -> None:
    opportunity = company.opportunity(company.alice)
    with pytest.raises(RuleViolation) as caught:
        change_opportunity(company.alice, opportunity, {"stage": "signed"})
    assert "stage" in caught.value.errors
    assert _reload(opportunity).stage.key == "prospecting"


def test_an_inactive_stage_is_a_field_error(company: Company) -> None:
    Stage.objects.filter(key="perception_analysis").update(is_active=False)
    opportunity = company.opportunity(company.alice)
    with pytest.raises(RuleViolation) as caught:
        change_opportunity(company.alice, opportunity, {"stage": "perception_analysis"})
    assert "stage" in caught.value.errors


def test_a_stage_of_another_pipeline_is_a_field_error(company: Company) -> None:
    renewals = Pipeline.objects.create(key="renewals", name="Renewals")
    Stage.objects.create(
        pipeline=renewals,
        key="renewal_due",
        label="Due",
        default_probability=80,
        forecast_category="commit",
    )
    opportunity = company.opportunity(company.alice)
    with pytest.raises(RuleViolation) as caught:
        change_opportunity(company.alice, opportunity, {"stage": "renewal_due"})
    assert "stage" in caught.value.errors


def test_a_read_only_user_cannot_change_an_opportunity(company: Company) -> None:
    opportunity = company.opportunity(company.alice)
    with pytest.raises(NotAllowed):
        change_opportunity(company.rita, opportunity, {"stage": "proposal"})
    assert _reload(opportunity).stage.key == "prospecting"


def test_a_close_date_cannot_be_removed(company: Company) -> None:
    opportunity = company.opportunity(company.alice, close_date=dt.date(2026, 3, 31))
    with pytest.raises(RuleViolation) as caught:
        change_opportunity(company.alice, opportunity, {"close_date": None})
    assert "close_date" in caught.value.errors


def test_closing_moves_the_close_date_to_the_day_it_closed(company: Company) -> None:
    opportunity = company.opportunity(company.alice, close_date=dt.date(2027, 6, 30))
    won = close_opportunity(company.alice, opportunity, won=True)
    assert won.close_date == timezone.localdate()


def test_a_close_date_given_with_the_closing_stage_is_kept(company: Company) -> None:
    opportunity = company.opportunity(company.alice, close_date=dt.date(2027, 6, 30))
    won = change_opportunity(
        company.alice, opportunity, {"stage": "closed_won", "close_date": dt.date(2026, 11, 2)}
    )
    assert won.close_date == dt.date(2026, 11, 2)


def test_moving_between_open_stages_keeps_the_close_date(company: Company) -> None:
    opportunity = company.opportunity(company.alice, close_date=dt.date(2027, 6, 30))
    moved = change_opportunity(company.alice, opportunity, {"stage": "proposal"})
    assert moved.close_date == dt.date(2027, 6, 30)
