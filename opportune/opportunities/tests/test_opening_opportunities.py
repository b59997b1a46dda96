"""Opening an opportunity (PRODUCT.md sections 1 and 4): the stage sets its probability and
category, overrides follow the same rules as later changes, its contact is at its account."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from conftest import Company
from opportune.errors import NotAllowed, RuleViolation
from opportune.opportunities.models import Opportunity, Pipeline
from opportune.opportunities.services import OpportunityDraft, open_opportunity


def _draft(company: Company, **fields: Any) -> OpportunityDraft:
    values: dict[str, Any] = {
        "name": "Initech platform",
        "account": company.account(company.alice, "Initech"),
        "owner": company.alice,
        "close_date": dt.date(2026, 6, 30),
        "pipeline": Pipeline.default(),
        "amount": Decimal("20000.00"),
    }
    values.update(fields)
    return OpportunityDraft(**values)


def test_it_opens_in_the_first_open_stage_by_default(company: Company) -> None:
    opportunity = open_opportunity(company.alice, _draft(company))
    assert (opportunity.stage.key, opportunity.probability, opportunity.forecast_category) == (
        "prospecting",
        10,
        "pipeline",
    )
    assert not opportunity.is_closed and opportunity.closed_at is None


def test_it_opens_in_the_given_stage_with_its_probability(company: Company) -> None:
    opportunity = open_opportunity(company.alice, _draft(company, stage_key="negotiation"))
    assert (opportunity.probability, opportunity.forecast_category) == (90, "commit")


def test_it_applies_overrides_given_at_opening(company: Company) -> None:
    draft = _draft(company, stage_key="proposal", probability=60, forecast_category="commit")
    opportunity = open_opportunity(company.alice, draft)
    assert (opportunity.probability, opportunity.forecast_category) == (60, "commit")


def test_it_refuses_to_open_an_opportunity_closed_lost_without_a_reason(company: Company) -> None:
    with pytest.raises(RuleViolation) as caught:
        open_opportunity(company.alice, _draft(company, stage_key="closed_lost"))
    assert "lost_reason" in caught.value.errors
    assert not Opportunity.objects.exists()


def test_it_opens_an_opportunity_closed_lost_with_a_reason(company: Company) -> None:
    draft = _draft(company, stage_key="closed_lost", lost_reason_key="price")
    opportunity = open_opportunity(company.alice, draft)
    assert opportunity.is_closed and not opportunity.is_won
    assert opportunity.lost_reason is not None and opportunity.lost_reason.key == "price"


def test_it_refuses_a_lost_reason_on_an_opportunity_that_is_not_lost(company: Company) -> None:
    with pytest.raises(RuleViolation) as caught:
        open_opportunity(company.alice, _draft(company, lost_reason_key="price"))
    assert "lost_reason" in caught.value.errors
    assert not Opportunity.objects.exists()


def test_it_refuses_overrides_on_an_opportunity_opened_closed(company: Company) -> None:
    with pytest.raises(RuleViolation) as caught:
        open_opportunity(company.alice, _draft(company, stage_key="closed_won", probability=50))
    assert "probability" in caught.value.errors


def test_it_refuses_an_unknown_stage(company: Company) -> None:
    with pytest.raises(RuleViolation) as caught:
        open_opportunity(company.alice, _draft(company, stage_key="signed"))
    assert "stage" in caught.value.errors


def test_it_refuses_a_primary_contact_of_another_account(company: Company) -> None:
    gavin = company.contact(company.alice, company.account(company.alice, "Hooli"))
    with pytest.raises(RuleViolation) as caught:
        open_opportunity(company.alice, _draft(company, primary_contact=gavin))
    assert "primary_contact_id" in caught.value.errors
    assert not Opportunity.objects.exists()


def test_it_refuses_a_read_only_user(company: Company) -> None:
    with pytest.raises(NotAllowed):
        open_opportunity(company.rita, _draft(company))
    assert not Opportunity.objects.exists()
