"""Account and contact input, shared by API, forms and import."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field

from opportune.customfields.schemas import CustomIn
from opportune.schemas import Country, Email, Flag, InputSchema


class AccountChanges(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=255)
    website: str | None = Field(None, max_length=255)
    industry: str | None = Field(None, max_length=80)
    annual_revenue: Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2)] | None = None
    employees: int | None = Field(None, ge=0, le=10_000_000)
    phone: str | None = Field(None, max_length=40)
    billing_street: str | None = Field(None, max_length=255)
    billing_city: str | None = Field(None, max_length=80)
    billing_state: str | None = Field(None, max_length=80)
    billing_postal_code: str | None = Field(None, max_length=20)
    billing_country: Country = None
    owner_id: int | None = None
    parent_id: int | None = None
    custom: CustomIn = None


class AccountCreate(AccountChanges):
    name: str = Field(min_length=1, max_length=255)


class ContactChanges(InputSchema):
    first_name: str | None = Field(None, max_length=80)
    last_name: str | None = Field(None, min_length=1, max_length=80)
    account_id: int | None = None
    title: str | None = Field(None, max_length=128)
    email: Email = None
    phone: str | None = Field(None, max_length=40)
    mailing_street: str | None = Field(None, max_length=255)
    mailing_city: str | None = Field(None, max_length=80)
    mailing_state: str | None = Field(None, max_length=80)
    mailing_postal_code: str | None = Field(None, max_length=20)
    mailing_country: Country = None
    lead_source: str | None = Field(None, max_length=30)
    owner_id: int | None = None
    do_not_call: Flag = None
    email_opt_out: Flag = None
    custom: CustomIn = None


class ContactCreate(ContactChanges):
    last_name: str = Field(min_length=1, max_length=80)
