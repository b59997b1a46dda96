"""Lead statuses (PRODUCT.md section 2): `new` by default, `converted` only by conversion,
`unqualified` only with a reason."""

from __future__ import annotations

import pytest

from conftest import Company
from opportune.errors import RuleViolation
from opportune.leads.models import Lead, LeadStatus
from opportune.leads.schemas import LeadChanges, LeadCreate
from opportune.leads.services import create_lead, disqualify_lead, update_lead


def test_it_gives_a_new_lead_the_default_status(company: Company) -> None:
    lead = create_lead(company.alice, LeadCreate(last_name="Lo", company="Globex"))
    assert lead.status.key == "new"
    assert lead.status.is_default


def test_it_follows_the_configured_default_status(company: Company) -> None:
    LeadStatus.objects.filter(key="new").update(is_default=False)
    LeadStatus.objects.filter(key="working").update(is_default=True)
    lead = create_lead(company.alice, LeadCreate(last_name="Lo", company="Globex"))
    assert lead.status.key == "working"


def test_it_moves_a_lead_between_open_statuses(company: Company) -> None:
    lead = company.lead(company.alice)
    update_lead(company.alice, lead, LeadChanges(status="working"))
    lead.refresh_from_db()
    assert lead.status.key == "working"


def test_it_refuses_to_set_the_converted_status_by_editing(company: Company) -> None:
    lead = company.qualified_lead(company.alice)
    with pytest.raises(RuleViolation) as caught:
        update_lead(company.alice, lead, LeadChanges(status="converted"))
    assert "status" in caught.value.errors
    lead.refresh_from_db()
    assert lead.status.key == "qualified"
    assert not lead.is_converted


def test_it_refuses_to_create_a_lead_already_converted(company: Company) -> None:
    with pytest.raises(RuleViolation) as caught:
        create_lead(company.alice, LeadCreate(last_name="Lo", company="Globex", status="converted"))
    assert "status" in caught.value.errors
    assert not Lead.objects.exists()


def test_it_refuses_a_custom_converted_status_by_editing(company: Company) -> None:
    # There is exactly one converted status (a constraint); whatever its key, editing
    # never reaches it.
    LeadStatus.objects.filter(is_converted=True).update(key="won_over")
    lead = company.lead(company.alice)
    with pytest.raises(RuleViolation):
        update_lead(company.alice, lead, LeadChanges(status="won_over"))


def test_it_refuses_an_unknown_status(company: Company) -> None:
    lead = company.lead(company.alice)
    with pytest.raises(RuleViolation) as caught:
        update_lead(company.alice, lead, LeadChanges(status="sleeping"))
    assert "status" in caught.value.errors


def test_it_refuses_unqualified_without_a_disqualify_reason(company: Company) -> None:
    lead = company.lead(company.alice)
    with pytest.raises(RuleViolation) as caught:
        update_lead(company.alice, lead, LeadChanges(status="unqualified"))
    assert "disqualify_reason" in caught.value.errors
    lead.refresh_from_db()
    assert lead.status.key == "new"


def test_it_refuses_a_blank_disqualify_reason(company: Company) -> None:
    lead = company.lead(company.alice)
    with pytest.raises(RuleViolation) as caught:
        disqualify_lead(company.alice, lead, "   ")
    assert "disqualify_reason" in caught.value.errors


def test_it_refuses_to_create_an_unqualified_lead_without_a_reason(company: Company) -> None:
    with pytest.raises(RuleViolation) as caught:
        create_lead(
            company.alice, LeadCreate(last_name="Lo", company="Globex", status="unqualified")
        )
    assert "disqualify_reason" in caught.value.errors


def test_it_disqualifies_a_lead_with_a_reason(company: Company) -> None:
    lead = company.lead(company.alice)
    disqualify_lead(company.alice, lead, "Student, no budget")
    lead.refresh_from_db()
    assert lead.status.key == "unqualified"
    assert lead.disqualify_reason == "Student, no budget"


def test_it_refuses_to_clear_the_reason_of_an_unqualified_lead(company: Company) -> None:
    lead = company.lead(company.alice)
    disqualify_lead(company.alice, lead, "No budget")
    with pytest.raises(RuleViolation) as caught:
        update_lead(company.alice, lead, LeadChanges(disqualify_reason=None))
    assert "disqualify_reason" in caught.value.errors


def test_it_requires_a_reason_for_any_custom_closed_status(company: Company) -> None:
    LeadStatus.objects.create(key="duplicate", label="Duplicate", is_closed=True)
    lead = company.lead(company.alice)
    with pytest.raises(RuleViolation):
        update_lead(company.alice, lead, LeadChanges(status="duplicate"))
    update_lead(company.alice, lead, LeadChanges(status="duplicate", disqualify_reason="Dupe"))
    lead.refresh_from_db()
    assert lead.status.key == "duplicate"
