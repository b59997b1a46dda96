"""The qualification policy (PRODUCT.md section 2): which BANT criteria must hold before a
lead converts, and who may convert one that fails them."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import Company
from opportune.accounts.models import Account, Contact
from opportune.errors import NotAllowed, RuleViolation
from opportune.leads.conversion import convert_lead
from opportune.leads.models import Lead, QualificationPolicy
from opportune.leads.schemas import ConversionOptions
from opportune.opportunities.models import Opportunity


def _nothing_written(lead: Lead) -> bool:
    lead.refresh_from_db()
    return (
        not lead.is_converted
        and not Account.objects.exists()
        and not Contact.objects.exists()
        and not Opportunity.objects.exists()
    )


def test_it_refuses_an_unqualified_lead_listing_each_missing_criterion(company: Company) -> None:
    lead = company.lead(company.alice)
    with pytest.raises(RuleViolation) as caught:
        convert_lead(company.alice, lead.pk, ConversionOptions())
    assert set(caught.value.errors) == {
        "need_identified",
        "budget_confirmed",
        "authority_confirmed",
    }
    assert _nothing_written(lead)


def test_it_lists_only_the_criteria_that_fail(company: Company) -> None:
    lead = company.qualified_lead(company.alice, authority_confirmed=False)
    with pytest.raises(RuleViolation) as caught:
        convert_lead(company.alice, lead.pk, ConversionOptions())
    assert set(caught.value.errors) == {"authority_confirmed"}
    assert "authority_confirmed" in caught.value.detail


def test_it_does_not_require_a_timeline_by_default(company: Company) -> None:
    lead = company.qualified_lead(company.alice, expected_purchase_date=None)
    assert convert_lead(company.alice, lead.pk, ConversionOptions()).lead.is_converted


def test_it_requires_a_timeline_when_the_policy_says_so(company: Company) -> None:
    QualificationPolicy.objects.filter(pk=1).update(require_timeline=True)
    lead = company.qualified_lead(company.alice)
    with pytest.raises(RuleViolation) as caught:
        convert_lead(company.alice, lead.pk, ConversionOptions())
    assert set(caught.value.errors) == {"expected_purchase_date"}

    Lead.objects.filter(pk=lead.pk).update(expected_purchase_date=dt.date(2026, 3, 1))
    assert convert_lead(company.alice, lead.pk, ConversionOptions()).lead.is_converted


def test_it_converts_anything_under_a_policy_that_requires_nothing(company: Company) -> None:
    QualificationPolicy.objects.filter(pk=1).update(
        require_need=False, require_budget=False, require_authority=False
    )
    lead = company.lead(company.alice)
    assert convert_lead(company.alice, lead.pk, ConversionOptions()).lead.is_converted


def test_it_lets_an_admin_override_the_policy(company: Company) -> None:
    lead = company.lead(company.alice)
    result = convert_lead(company.ada, lead.pk, ConversionOptions(override_qualification=True))
    assert result.lead.is_converted


def test_it_lets_a_sales_manager_override_the_policy(company: Company) -> None:
    lead = company.lead(company.alice)
    result = convert_lead(company.maria, lead.pk, ConversionOptions(override_qualification=True))
    assert result.lead.is_converted


def test_it_refuses_a_managers_override_when_the_policy_forbids_it(company: Company) -> None:
    QualificationPolicy.objects.filter(pk=1).update(managers_may_override=False)
    lead = company.lead(company.alice)
    with pytest.raises(NotAllowed):
        convert_lead(company.maria, lead.pk, ConversionOptions(override_qualification=True))
    assert _nothing_written(lead)


def test_it_still_lets_an_admin_override_when_managers_may_not(company: Company) -> None:
    QualificationPolicy.objects.filter(pk=1).update(managers_may_override=False)
    lead = company.lead(company.alice)
    result = convert_lead(company.ada, lead.pk, ConversionOptions(override_qualification=True))
    assert result.lead.is_converted


def test_it_refuses_a_reps_override(company: Company) -> None:
    lead = company.lead(company.alice)
    with pytest.raises(NotAllowed):
        convert_lead(company.alice, lead.pk, ConversionOptions(override_qualification=True))
    assert _nothing_written(lead)


def test_it_does_not_override_unless_asked(company: Company) -> None:
    lead = company.lead(company.alice)
    with pytest.raises(RuleViolation):
        convert_lead(company.ada, lead.pk, ConversionOptions())
    assert _nothing_written(lead)


def test_it_ignores_a_reps_override_request_when_the_lead_qualifies(company: Company) -> None:
    lead = company.qualified_lead(company.alice)
    result = convert_lead(company.alice, lead.pk, ConversionOptions(override_qualification=True))
    assert result.lead.is_converted


def test_marketing_may_not_convert_a_lead(company: Company) -> None:
    from opportune.errors import NotAllowed
    from opportune.leads.conversion import convert_lead
    from opportune.leads.schemas import ConversionOptions

    lead = company.qualified_lead(company.alice)
    with pytest.raises(NotAllowed):
        convert_lead(company.mark, lead.pk, ConversionOptions())
    lead.refresh_from_db()
    assert not lead.is_converted
