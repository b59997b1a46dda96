"""Every change to a lead is kept in its field history: who, when, old, new (section 8)."""

from __future__ import annotations

import pytest

from conftest import Company
from opportune.audit.models import FieldChange
from opportune.errors import RuleViolation
from opportune.leads.schemas import LeadChanges
from opportune.leads.services import disqualify_lead, update_lead


def _changes(lead_id: int) -> dict[str, tuple[str, str]]:
    rows = FieldChange.objects.filter(record_type="lead", record_id=lead_id)
    return {row.field: (row.old_value, row.new_value) for row in rows}


def test_it_records_each_changed_field_with_old_and_new_values(company: Company) -> None:
    lead = company.lead(company.alice, title="CTO", city="Boston")
    update_lead(company.alice, lead, LeadChanges(title="CEO", city="Boston", rating="hot"))
    assert _changes(lead.pk) == {"title": ("CTO", "CEO"), "rating": ("", "hot")}


def test_it_records_who_changed_the_lead_and_when(company: Company) -> None:
    lead = company.lead(company.alice)
    update_lead(company.maria, lead, LeadChanges(title="CEO"))
    row = FieldChange.objects.get(record_type="lead", record_id=lead.pk)
    assert row.changed_by == company.maria
    assert row.changed_at is not None


def test_it_records_status_and_owner_changes_by_key_and_id(company: Company) -> None:
    lead = company.lead(company.alice)
    update_lead(company.maria, lead, LeadChanges(status="working", owner_id=company.bob.pk))
    assert _changes(lead.pk) == {
        "status": ("new", "working"),
        "owner": (str(company.alice.pk), str(company.bob.pk)),
    }


def test_it_records_a_disqualification(company: Company) -> None:
    lead = company.lead(company.alice)
    disqualify_lead(company.alice, lead, "No budget")
    assert _changes(lead.pk) == {
        "status": ("new", "unqualified"),
        "disqualify_reason": ("", "No budget"),
    }


def test_it_records_nothing_when_an_edit_changes_nothing(company: Company) -> None:
    lead = company.lead(company.alice, title="CTO")
    update_lead(company.alice, lead, LeadChanges(title="CTO"))
    assert not FieldChange.objects.exists()


def test_it_records_nothing_for_a_refused_edit(company: Company) -> None:
    lead = company.lead(company.alice)
    with pytest.raises(RuleViolation):
        update_lead(company.alice, lead, LeadChanges(title="CEO", status="unqualified"))
    assert not FieldChange.objects.exists()
