"""Converting a lead into new records (PRODUCT.md section 3): what is created, from which lead
fields, with which defaults, and what becomes of the lead."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from pytest_django import Settings

from conftest import Company
from opportune.accounts.models import Account, Contact
from opportune.activities.models import Activity
from opportune.errors import Conflict, NotAllowed, RuleViolation
from opportune.leads.conversion import convert_lead
from opportune.leads.models import Lead
from opportune.leads.schemas import ConversionOptions
from opportune.opportunities.models import ContactRole, Opportunity, OpportunityHistory

FULL_LEAD = {
    "first_name": "Lena",
    "last_name": "Lead",
    "company": "Globex Corporation",
    "title": "VP Operations",
    "email": "lena@globex.example",
    "phone": "+1 555 0100",
    "website": "https://www.globex.example",
    "industry": "Manufacturing",
    "annual_revenue": Decimal("12000000.00"),
    "employees": 420,
    "street": "1 Globex Way",
    "city": "Springfield",
    "state": "OR",
    "postal_code": "97477",
    "country": "US",
    "source": "event",
    "campaign": "Spring Expo 2025",
}


def test_it_creates_an_account_from_the_lead(company: Company) -> None:
    lead = company.qualified_lead(company.alice, **FULL_LEAD)
    account = convert_lead(company.alice, lead.pk, ConversionOptions()).account
    account.refresh_from_db()
    assert {
        "name": account.name,
        "website": account.website,
        "industry": account.industry,
        "annual_revenue": account.annual_revenue,
        "employees": account.employees,
        "phone": account.phone,
        "billing_street": account.billing_street,
        "billing_city": account.billing_city,
        "billing_state": account.billing_state,
        "billing_postal_code": account.billing_postal_code,
        "billing_country": account.billing_country,
    } == {
        "name": "Globex Corporation",
        "website": "https://www.globex.example",
        "industry": "Manufacturing",
        "annual_revenue": Decimal("12000000.00"),
        "employees": 420,
        "phone": "+1 555 0100",
        "billing_street": "1 Globex Way",
        "billing_city": "Springfield",
        "billing_state": "OR",
        "billing_postal_code": "97477",
        "billing_country": "US",
    }


def test_it_creates_a_contact_at_the_new_account_from_the_lead(company: Company) -> None:
    lead = company.qualified_lead(company.alice, **FULL_LEAD)
    result = convert_lead(company.alice, lead.pk, ConversionOptions())
    contact = Contact.objects.get(pk=result.contact.pk)
    assert contact.account == result.account
    assert {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "title": contact.title,
        "email": contact.email,
        "phone": contact.phone,
        "mailing_street": contact.mailing_street,
        "mailing_city": contact.mailing_city,
        "mailing_state": contact.mailing_state,
        "mailing_postal_code": contact.mailing_postal_code,
        "mailing_country": contact.mailing_country,
        "lead_source": contact.lead_source,
    } == {
        "first_name": "Lena",
        "last_name": "Lead",
        "title": "VP Operations",
        "email": "lena@globex.example",
        "phone": "+1 555 0100",
        "mailing_street": "1 Globex Way",
        "mailing_city": "Springfield",
        "mailing_state": "OR",
        "mailing_postal_code": "97477",
        "mailing_country": "US",
        "lead_source": "event",
    }


def test_it_carries_do_not_call_and_email_opt_out_to_the_new_contact(company: Company) -> None:
    lead = company.qualified_lead(company.alice, do_not_call=True, email_opt_out=True)
    contact = convert_lead(company.alice, lead.pk, ConversionOptions()).contact
    contact.refresh_from_db()
    assert contact.do_not_call
    assert contact.email_opt_out


def test_it_creates_an_opportunity_named_after_the_company(company: Company) -> None:
    lead = company.qualified_lead(company.alice, company="Globex Corporation")
    opportunity = convert_lead(company.alice, lead.pk, ConversionOptions()).opportunity
    assert opportunity is not None
    assert opportunity.name == "Globex Corporation"


def test_it_truncates_the_default_opportunity_name_to_120_characters(company: Company) -> None:
    long_name = "Very Long Company " * 12  # 216 characters
    lead = company.qualified_lead(company.alice, company=long_name)
    opportunity = convert_lead(company.alice, lead.pk, ConversionOptions()).opportunity
    assert opportunity is not None
    opportunity.refresh_from_db()
    assert opportunity.name == long_name[:120]
    assert Account.objects.get().name == long_name


def test_it_uses_the_given_opportunity_name(company: Company) -> None:
    lead = company.qualified_lead(company.alice)
    options = ConversionOptions(opportunity_name="Globex - 500 seats")
    opportunity = convert_lead(company.alice, lead.pk, options).opportunity
    assert opportunity is not None
    assert opportunity.name == "Globex - 500 seats"


def test_it_starts_the_opportunity_in_the_first_open_stage(company: Company) -> None:
    lead = company.qualified_lead(company.alice)
    opportunity = convert_lead(company.alice, lead.pk, ConversionOptions()).opportunity
    assert opportunity is not None
    assert opportunity.stage.key == "prospecting"
    assert opportunity.probability == 10
    assert opportunity.forecast_category == "pipeline"
    assert not opportunity.is_closed


def test_it_starts_the_opportunity_in_the_given_stage(company: Company) -> None:
    lead = company.qualified_lead(company.alice)
    options = ConversionOptions(stage="proposal")
    opportunity = convert_lead(company.alice, lead.pk, options).opportunity
    assert opportunity is not None
    assert (opportunity.stage.key, opportunity.probability) == ("proposal", 75)


@pytest.fixture
def december_15_2025(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    now = dt.datetime(2025, 12, 15, 10, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: now)
    return now


def test_it_closes_the_opportunity_at_the_end_of_the_fiscal_quarter(
    company: Company,
    settings: Settings,
    december_15_2025: dt.datetime,
) -> None:
    settings.OPPORTUNE_FISCAL_YEAR_START_MONTH = 2  # quarters Nov-Jan, Feb-Apr, ...
    lead = company.qualified_lead(company.alice)
    opportunity = convert_lead(company.alice, lead.pk, ConversionOptions()).opportunity
    assert opportunity is not None
    assert opportunity.close_date == dt.date(2026, 1, 31)


def test_it_closes_the_opportunity_at_the_end_of_the_calendar_quarter_by_default(
    company: Company, december_15_2025: dt.datetime
) -> None:
    lead = company.qualified_lead(company.alice)
    opportunity = convert_lead(company.alice, lead.pk, ConversionOptions()).opportunity
    assert opportunity is not None
    assert opportunity.close_date == dt.date(2025, 12, 31)


def test_it_uses_the_given_close_date(company: Company) -> None:
    lead = company.qualified_lead(company.alice)
    options = ConversionOptions(close_date=dt.date(2026, 6, 15))
    opportunity = convert_lead(company.alice, lead.pk, options).opportunity
    assert opportunity is not None
    assert opportunity.close_date == dt.date(2026, 6, 15)


def test_it_takes_the_amount_from_a_confirmed_budget(company: Company) -> None:
    lead = company.qualified_lead(company.alice, budget_amount=Decimal("48000.00"))
    opportunity = convert_lead(company.alice, lead.pk, ConversionOptions()).opportunity
    assert opportunity is not None
    assert opportunity.amount == Decimal("48000.00")


def test_it_leaves_the_amount_empty_when_the_budget_is_not_confirmed(company: Company) -> None:
    lead = company.qualified_lead(
        company.alice, budget_amount=Decimal("48000.00"), budget_confirmed=False
    )
    options = ConversionOptions(override_qualification=True)
    opportunity = convert_lead(company.maria, lead.pk, options).opportunity
    assert opportunity is not None
    assert opportunity.amount is None


def test_it_prefers_the_given_amount_to_the_budget(company: Company) -> None:
    lead = company.qualified_lead(company.alice, budget_amount=Decimal("48000.00"))
    options = ConversionOptions(amount=Decimal("50000.00"))
    opportunity = convert_lead(company.alice, lead.pk, options).opportunity
    assert opportunity is not None
    assert opportunity.amount == Decimal("50000.00")


def test_it_copies_the_source_and_campaign_to_the_opportunity(company: Company) -> None:
    lead = company.qualified_lead(company.alice, source="referral", campaign="Partner week")
    opportunity = convert_lead(company.alice, lead.pk, ConversionOptions()).opportunity
    assert opportunity is not None
    opportunity.refresh_from_db()
    assert (opportunity.lead_source, opportunity.campaign) == ("referral", "Partner week")


def test_it_makes_the_contact_the_primary_contact_of_the_opportunity(company: Company) -> None:
    lead = company.qualified_lead(company.alice)
    result = convert_lead(company.alice, lead.pk, ConversionOptions())
    assert result.opportunity is not None
    opportunity = Opportunity.objects.get(pk=result.opportunity.pk)
    assert opportunity.primary_contact == result.contact
    assert opportunity.account == result.account
    role = ContactRole.objects.get(opportunity=opportunity)
    assert role.contact == result.contact
    assert role.is_primary


def test_it_writes_the_first_history_row_of_the_new_opportunity(company: Company) -> None:
    lead = company.qualified_lead(company.alice)
    opportunity = convert_lead(company.alice, lead.pk, ConversionOptions()).opportunity
    assert opportunity is not None
    row = OpportunityHistory.objects.get(opportunity=opportunity)
    assert (row.stage.key, row.amount, row.changed_by) == (
        "prospecting",
        Decimal("25000.00"),
        company.alice,
    )


def test_it_creates_no_opportunity_when_asked_not_to(company: Company) -> None:
    lead = company.qualified_lead(company.alice)
    result = convert_lead(company.alice, lead.pk, ConversionOptions(create_opportunity=False))
    assert result.opportunity is None
    assert not Opportunity.objects.exists()
    result.lead.refresh_from_db()
    assert result.lead.is_converted
    assert result.lead.converted_account == result.account
    assert result.lead.converted_opportunity is None


def test_it_refuses_opportunity_fields_without_an_opportunity(company: Company) -> None:
    lead = company.qualified_lead(company.alice)
    options = ConversionOptions(create_opportunity=False, stage="proposal")
    with pytest.raises(RuleViolation) as caught:
        convert_lead(company.alice, lead.pk, options)
    assert "create_opportunity" in caught.value.errors
    assert not Account.objects.exists()


def test_it_gives_the_new_records_to_the_lead_owner(company: Company) -> None:
    lead = company.qualified_lead(company.alice)
    result = convert_lead(company.maria, lead.pk, ConversionOptions())
    assert result.opportunity is not None
    owners = {result.account.owner, result.contact.owner, result.opportunity.owner}
    assert owners == {company.alice}


def test_it_gives_the_new_records_to_the_given_owner(company: Company) -> None:
    lead = company.qualified_lead(company.alice)
    result = convert_lead(company.maria, lead.pk, ConversionOptions(owner_id=company.bob.pk))
    assert result.opportunity is not None
    owners = {result.account.owner, result.contact.owner, result.opportunity.owner}
    assert owners == {company.bob}


def test_it_gives_the_records_of_an_unowned_lead_to_the_converter(company: Company) -> None:
    lead = company.qualified_lead(None)
    result = convert_lead(company.maria, lead.pk, ConversionOptions())
    assert result.account.owner == company.maria


def test_it_marks_the_lead_converted_and_links_the_new_records(company: Company) -> None:
    lead = company.qualified_lead(company.alice)
    before = timezone.now()
    result = convert_lead(company.alice, lead.pk, ConversionOptions())
    lead.refresh_from_db()
    assert lead.status.key == "converted"
    assert lead.is_converted
    assert lead.converted_at is not None and lead.converted_at >= before
    assert lead.converted_by == company.alice
    assert lead.converted_account == result.account
    assert lead.converted_contact == result.contact
    assert lead.converted_opportunity == result.opportunity


def test_it_records_the_conversion_in_the_lead_field_history(company: Company) -> None:
    from opportune.audit.models import FieldChange

    lead = company.qualified_lead(company.alice)
    convert_lead(company.maria, lead.pk, ConversionOptions())
    rows = {r.field: r for r in FieldChange.objects.filter(record_type="lead", record_id=lead.pk)}
    assert (rows["status"].old_value, rows["status"].new_value) == ("qualified", "converted")
    assert rows["is_converted"].new_value == "True"
    assert rows["status"].changed_by == company.maria


def test_it_relinks_the_leads_activities_to_the_contact_and_opportunity(company: Company) -> None:
    lead = company.qualified_lead(company.alice)
    call = Activity.objects.create(
        kind="call", subject="Intro call", owner=company.alice, lead=lead
    )
    result = convert_lead(company.alice, lead.pk, ConversionOptions())
    call.refresh_from_db()
    assert call.contact == result.contact
    assert call.opportunity == result.opportunity
    assert call.lead == lead


def test_it_leaves_other_leads_activities_alone(company: Company) -> None:
    lead = company.qualified_lead(company.alice)
    other = company.lead(company.alice, email="other@globex.example")
    note = Activity.objects.create(kind="note", subject="Other", owner=company.alice, lead=other)
    convert_lead(company.alice, lead.pk, ConversionOptions())
    note.refresh_from_db()
    assert note.contact is None and note.opportunity is None


def test_it_refuses_to_convert_a_lead_twice(company: Company) -> None:
    lead = company.qualified_lead(company.alice)
    convert_lead(company.alice, lead.pk, ConversionOptions())
    with pytest.raises(Conflict):
        convert_lead(company.ada, lead.pk, ConversionOptions(override_qualification=True))
    assert (Account.objects.count(), Contact.objects.count(), Opportunity.objects.count()) == (
        1,
        1,
        1,
    )


def test_it_refuses_a_conversion_by_a_read_only_user(company: Company) -> None:
    lead = company.qualified_lead(company.alice)
    with pytest.raises(NotAllowed):
        convert_lead(company.rita, lead.pk, ConversionOptions())
    lead.refresh_from_db()
    assert not lead.is_converted


def test_it_does_not_convert_a_lead_the_user_cannot_see(company: Company) -> None:
    lead = company.qualified_lead(company.charlie)
    with pytest.raises(Lead.DoesNotExist):
        convert_lead(company.alice, lead.pk, ConversionOptions())
    lead.refresh_from_db()
    assert not lead.is_converted


def test_it_refuses_an_owner_who_may_not_own_records(company: Company) -> None:
    lead = company.qualified_lead(company.alice)
    with pytest.raises(RuleViolation) as caught:
        convert_lead(company.maria, lead.pk, ConversionOptions(owner_id=company.rita.pk))
    assert "owner_id" in caught.value.errors
    assert not Account.objects.exists()
