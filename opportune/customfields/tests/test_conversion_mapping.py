"""Lead conversion carries each mapped lead custom field to its account, contact or
opportunity field (as Salesforce's lead field mapping), inside the conversion transaction."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conftest import ApiClient, Company
from opportune.accounts.models import Account
from opportune.audit.history import history_of
from opportune.errors import RuleViolation
from opportune.leads.conversion import convert_lead
from opportune.leads.schemas import ConversionOptions

from ..schemas import FieldChanges
from ..services import change_field
from .helpers import define

pytestmark = pytest.mark.django_db


@pytest.fixture
def mapped(company: Company) -> None:
    """Lead region -> account region, lead budget -> opportunity budget, lead vip ->
    contact vip; lead notes maps nowhere."""
    for kind in ("account", "lead"):
        define(company.ada, kind, "region", "picklist")
    define(company.ada, "opportunity", "budget", "currency")
    define(company.ada, "contact", "vip", "checkbox")
    define(company.ada, "lead", "budget", "currency", maps_to="opportunity.budget")
    define(company.ada, "lead", "vip", "checkbox", maps_to="contact.vip")
    define(company.ada, "lead", "notes", "text")
    from ..models import CustomField

    lead_region = CustomField.objects.get(kind="lead", key="region")
    change_field(company.ada, lead_region, FieldChanges(maps_to="account.region"))


LEAD_VALUES = {"region": "emea", "budget": 1200.5, "vip": True, "notes": "met at expo"}


def test_conversion_copies_each_mapped_value_to_the_new_records(
    company: Company, mapped: None
) -> None:
    lead = company.qualified_lead(company.alice, custom=LEAD_VALUES)
    result = convert_lead(company.alice, lead.pk, ConversionOptions())
    assert result.opportunity is not None
    result.account.refresh_from_db()
    result.contact.refresh_from_db()
    result.opportunity.refresh_from_db()
    assert result.account.custom == {"region": "emea"}
    assert result.contact.custom == {"vip": True}
    assert result.opportunity.custom == {"budget": 1200.5}


def test_converting_into_an_existing_account_fills_only_its_blank_fields(
    company: Company, mapped: None
) -> None:
    kept = company.account(company.alice, custom={"region": "apac"})
    blank = company.account(company.alice, name="Blank Inc")
    for account, expected in ((kept, "apac"), (blank, "emea")):
        lead = company.qualified_lead(company.alice, custom=LEAD_VALUES)
        convert_lead(company.alice, lead.pk, ConversionOptions(account_id=account.pk))
        account.refresh_from_db()
        assert account.custom["region"] == expected
    assert [c.field for c in history_of(blank) if c.field.startswith("custom.")] == [
        "custom.region"
    ]


def test_a_mapping_needs_the_same_type_and_the_picklist_values(
    company: Company, api: Callable[..., ApiClient]
) -> None:
    define(company.ada, "account", "size", "number")
    define(company.ada, "account", "region", "picklist", values=[{"key": "emea"}])
    lead_region = define(company.ada, "lead", "region", "picklist")
    client = api(company.ada)
    url = f"/api/v1/custom-fields/{lead_region.pk}"
    wrong_type = client.patch(url, {"maps_to": "account.size"})
    assert wrong_type.status_code == 422
    assert wrong_type.json()["errors"]["maps_to"] == [
        "'account.size' is a number field, not picklist."
    ]
    missing_value = client.patch(url, {"maps_to": "account.region"})
    assert missing_value.json()["errors"]["maps_to"] == ["'account.region' has no value 'apac'."]
    with pytest.raises(RuleViolation):
        define(company.ada, "account", "origin", "text", maps_to="lead.region")


def test_a_required_opportunity_field_left_unmapped_refuses_the_whole_conversion(
    company: Company,
) -> None:
    define(company.ada, "opportunity", "tier", "number", required=True)
    lead = company.qualified_lead(company.alice)
    with pytest.raises(RuleViolation) as refused:
        convert_lead(company.alice, lead.pk, ConversionOptions())
    assert refused.value.errors == {"custom.tier": ["This field is required."]}
    lead.refresh_from_db()
    assert not lead.is_converted
    assert not Account.objects.filter(name=lead.company).exists()
