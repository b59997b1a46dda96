"""Conversion is all or nothing (PRODUCT.md section 3): a failure at any step leaves no
account, contact or opportunity behind, existing records unchanged and the lead unconverted."""

from __future__ import annotations

import pytest

from conftest import Company
from opportune.accounts.models import Account, Contact
from opportune.activities.models import Activity
from opportune.audit.models import FieldChange
from opportune.errors import RuleViolation
from opportune.leads.conversion import convert_lead
from opportune.leads.models import Lead
from opportune.leads.schemas import ConversionOptions
from opportune.opportunities.models import ContactRole, Opportunity, OpportunityHistory


def _assert_unconverted(lead: Lead) -> None:
    lead.refresh_from_db()
    assert not lead.is_converted
    assert lead.status.key == "qualified"
    assert lead.converted_at is None
    assert lead.converted_account is None
    assert not FieldChange.objects.filter(record_type="lead").exists()


def test_an_unknown_stage_leaves_no_account_contact_or_opportunity(company: Company) -> None:
    lead = company.qualified_lead(company.alice)
    with pytest.raises(RuleViolation) as caught:
        convert_lead(company.alice, lead.pk, ConversionOptions(stage="no_such_stage"))
    assert "stage" in caught.value.errors
    assert not Account.objects.exists()
    assert not Contact.objects.exists()
    assert not Opportunity.objects.exists()
    assert not OpportunityHistory.objects.exists()
    _assert_unconverted(lead)


def test_a_closed_lost_stage_without_a_reason_leaves_nothing_written(company: Company) -> None:
    lead = company.qualified_lead(company.alice)
    with pytest.raises(RuleViolation) as caught:
        convert_lead(company.alice, lead.pk, ConversionOptions(stage="closed_lost"))
    assert "lost_reason" in caught.value.errors
    assert (Account.objects.count(), Contact.objects.count(), Opportunity.objects.count()) == (
        0,
        0,
        0,
    )
    assert not ContactRole.objects.exists()
    _assert_unconverted(lead)


def test_an_invisible_account_leaves_nothing_written(company: Company) -> None:
    western = company.account(company.charlie, "Western Widgets")
    lead = company.qualified_lead(company.alice)
    with pytest.raises(RuleViolation):
        convert_lead(company.alice, lead.pk, ConversionOptions(account_id=western.pk))
    assert list(Account.objects.all()) == [western]
    assert not Contact.objects.exists()
    assert not Opportunity.objects.exists()
    _assert_unconverted(lead)


def test_a_failure_after_filling_an_existing_account_leaves_it_unchanged(company: Company) -> None:
    initech = company.account(company.alice, "Initech", website="", industry="")
    other = company.contact(company.alice, company.account(company.alice, "Hooli"))
    lead = company.qualified_lead(company.alice, website="initech.example", industry="Software")
    options = ConversionOptions(account_id=initech.pk, contact_id=other.pk)
    with pytest.raises(RuleViolation):
        convert_lead(company.alice, lead.pk, options)
    initech.refresh_from_db()
    assert (initech.website, initech.industry) == ("", "")
    _assert_unconverted(lead)


def test_a_failed_conversion_leaves_the_leads_activities_where_they_were(company: Company) -> None:
    lead = company.qualified_lead(company.alice)
    call = Activity.objects.create(kind="call", subject="Intro", owner=company.alice, lead=lead)
    with pytest.raises(RuleViolation):
        convert_lead(company.alice, lead.pk, ConversionOptions(stage="no_such_stage"))
    call.refresh_from_db()
    assert call.contact is None and call.opportunity is None


def test_a_failed_conversion_can_be_retried(company: Company) -> None:
    lead = company.qualified_lead(company.alice)
    with pytest.raises(RuleViolation):
        convert_lead(company.alice, lead.pk, ConversionOptions(stage="no_such_stage"))
    result = convert_lead(company.alice, lead.pk, ConversionOptions(stage="proposal"))
    assert result.lead.is_converted
    assert (Account.objects.count(), Contact.objects.count(), Opportunity.objects.count()) == (
        1,
        1,
        1,
    )
