"""Creating and editing leads: who may, who owns them, what is required, and that a converted
lead is read-only (PRODUCT.md sections 1-3)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import Company
from opportune.audit.models import FieldChange
from opportune.errors import Conflict, NotAllowed, RuleViolation
from opportune.leads.conversion import convert_lead
from opportune.leads.models import Lead
from opportune.leads.schemas import ConversionOptions, LeadChanges, LeadCreate
from opportune.leads.services import create_lead, update_lead, update_leads


def test_it_makes_the_creator_the_owner_by_default(company: Company) -> None:
    lead = create_lead(company.alice, LeadCreate(last_name="Lo", company="Globex"))
    assert lead.owner == company.alice


def test_it_uses_the_given_default_owner_before_the_creator(company: Company) -> None:
    lead = create_lead(
        company.mark, LeadCreate(last_name="Lo", company="Globex"), default_owner=company.bob
    )
    assert lead.owner == company.bob


def test_it_assigns_the_given_owner(company: Company) -> None:
    lead = create_lead(
        company.maria, LeadCreate(last_name="Lo", company="Globex", owner_id=company.alice.pk)
    )
    assert lead.owner == company.alice


def test_it_refuses_an_inactive_or_read_only_owner(company: Company) -> None:
    company.bob.is_active = False
    company.bob.save()
    for user in (company.bob, company.rita):
        with pytest.raises(RuleViolation) as caught:
            create_lead(
                company.maria, LeadCreate(last_name="Lo", company="Globex", owner_id=user.pk)
            )
        assert "owner_id" in caught.value.errors
    assert not Lead.objects.exists()


def test_it_refuses_a_lead_from_a_read_only_user(company: Company) -> None:
    with pytest.raises(NotAllowed):
        create_lead(company.rita, LeadCreate(last_name="Lo", company="Globex"))
    assert not Lead.objects.exists()


def test_it_refuses_an_edit_from_a_read_only_user(company: Company) -> None:
    lead = company.lead(company.alice, title="CTO")
    with pytest.raises(NotAllowed):
        update_lead(company.rita, lead, LeadChanges(title="CEO"))
    lead.refresh_from_db()
    assert lead.title == "CTO"


def test_it_lets_marketing_create_leads(company: Company) -> None:
    lead = create_lead(company.mark, LeadCreate(last_name="Lo", company="Globex"))
    assert lead.owner == company.mark


def test_it_refuses_to_blank_the_last_name_or_company(company: Company) -> None:
    lead = company.lead(company.alice)
    with pytest.raises(RuleViolation) as caught:
        update_lead(company.alice, lead, LeadChanges(company=None))
    assert set(caught.value.errors) == {"company"}
    lead.refresh_from_db()
    assert lead.company == "Globex Corporation"


def test_it_stores_an_explicit_null_text_as_empty(company: Company) -> None:
    lead = company.lead(company.alice, title="CTO")
    update_lead(company.alice, lead, LeadChanges(title=None))
    lead.refresh_from_db()
    assert lead.title == ""


def test_it_leaves_fields_not_named_in_an_edit_alone(company: Company) -> None:
    lead = company.lead(company.alice, title="CTO", phone="+1 555 0100")
    update_lead(company.alice, lead, LeadChanges(phone="+1 555 0199"))
    lead.refresh_from_db()
    assert (lead.title, lead.phone) == ("CTO", "+1 555 0199")


def test_it_refuses_to_edit_a_converted_lead(company: Company) -> None:
    lead = company.qualified_lead(company.alice)
    convert_lead(company.alice, lead.pk, ConversionOptions())
    with pytest.raises(Conflict):
        update_lead(company.alice, lead, LeadChanges(budget_amount=Decimal("1.00")))
    lead.refresh_from_db()
    assert lead.budget_amount == Decimal("25000.00")


def test_it_refuses_to_disqualify_a_converted_lead(company: Company) -> None:
    lead = company.qualified_lead(company.alice)
    convert_lead(company.alice, lead.pk, ConversionOptions())
    with pytest.raises(Conflict):
        update_lead(
            company.ada, lead, LeadChanges(status="unqualified", disqualify_reason="Changed mind")
        )
    lead.refresh_from_db()
    assert lead.status.key == "converted"


def test_a_batch_of_edits_applies_each_and_answers_a_refused_one_in_its_place(
    company: Company,
) -> None:
    plain = company.lead(company.alice, last_name="Plain")
    converted = company.qualified_lead(company.alice, last_name="Converted")
    convert_lead(company.alice, converted.pk, ConversionOptions())
    other = company.lead(company.alice, last_name="Other")
    results = update_leads(
        company.alice,
        [
            (plain.pk, LeadChanges(title="CTO", status="working")),
            (converted.pk, LeadChanges(title="CEO")),
            (other.pk, LeadChanges(status="unqualified")),  # no reason given
            (other.pk, LeadChanges(owner_id=company.bob.pk, title="VP", email="o@x.example")),
        ],
    )
    assert isinstance(results[0], Lead) and isinstance(results[3], Lead)
    assert isinstance(results[1], Conflict)
    assert isinstance(results[2], RuleViolation) and "disqualify_reason" in results[2].errors
    plain.refresh_from_db()
    other.refresh_from_db()
    assert (plain.title, plain.status.key) == ("CTO", "working")
    assert (other.title, other.status.key, other.owner) == ("VP", "new", company.bob)
    changed = FieldChange.objects.filter(record_type="lead", record_id__in=[plain.pk, other.pk])
    # The history has the fields that changed, not the match keys derived from them.
    assert set(changed.values_list("record_id", "field", "new_value")) == {
        (plain.pk, "title", "CTO"),
        (plain.pk, "status", "working"),
        (other.pk, "title", "VP"),
        (other.pk, "owner", str(company.bob.pk)),
        (other.pk, "email", "o@x.example"),
    }
    assert other.email_key == "o@x.example"


def test_a_batch_of_edits_costs_the_same_queries_whatever_its_size(
    company: Company,
) -> None:
    def edit(count: int) -> int:
        leads = [company.lead(company.alice, last_name=f"L{n}") for n in range(count)]
        changes = LeadChanges(status="working", owner_id=company.bob.pk, title="CTO")
        with CaptureQueriesContext(connection) as queries:
            update_leads(company.ada, [(lead.pk, changes) for lead in leads])
        return len(queries)

    assert edit(25) == edit(5)  # statuses and owners read once, one UPDATE for all
