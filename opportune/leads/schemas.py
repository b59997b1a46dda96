"""Lead input, declared once for the API, the web forms and the importer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from opportune.customfields.schemas import CustomIn
from opportune.schemas import Country, Email, Flag, InputSchema, Key

Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
Source = Literal[
    "web",
    "content_download",
    "referral",
    "event",
    "partner",
    "cold_call",
    "advertisement",
    "email_campaign",
    "other",
    "",
]
RatingValue = Literal["hot", "warm", "cold", ""]


class LeadChanges(InputSchema):
    """Every writable lead field; all optional, so a PATCH names only what changes."""

    first_name: str | None = Field(None, max_length=80)
    last_name: str | None = Field(None, min_length=1, max_length=80)
    company: str | None = Field(None, min_length=1, max_length=255)
    title: str | None = Field(None, max_length=128)
    email: Email = None
    phone: str | None = Field(None, max_length=40)
    website: str | None = Field(None, max_length=255)
    industry: str | None = Field(None, max_length=80)
    annual_revenue: Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2)] | None = None
    employees: int | None = Field(None, ge=0, le=10_000_000)
    street: str | None = Field(None, max_length=255)
    city: str | None = Field(None, max_length=80)
    state: str | None = Field(None, max_length=80)
    postal_code: str | None = Field(None, max_length=20)
    country: Country = None
    source: Source | None = None
    campaign: str | None = Field(None, max_length=120)
    utm_source: str | None = Field(None, max_length=120)
    utm_medium: str | None = Field(None, max_length=120)
    utm_campaign: str | None = Field(None, max_length=120)
    status: Key | None = None
    rating: RatingValue | None = None
    owner_id: int | None = None
    description: str | None = None
    do_not_call: Flag = None
    email_opt_out: Flag = None
    budget_amount: Money | None = None
    budget_confirmed: Flag = None
    decision_maker: str | None = Field(None, max_length=160)
    decision_maker_title: str | None = Field(None, max_length=128)
    authority_confirmed: Flag = None
    need_description: str | None = None
    need_identified: Flag = None
    expected_purchase_date: dt.date | None = None
    disqualify_reason: str | None = Field(None, max_length=255)
    custom: CustomIn = None


class LeadCreate(LeadChanges):
    last_name: str = Field(min_length=1, max_length=80)
    company: str = Field(min_length=1, max_length=255)


class ConversionOptions(InputSchema):
    """The body of POST /leads/{id}/convert (PRODUCT.md section 3)."""

    account_id: int | None = None
    contact_id: int | None = None
    create_opportunity: bool = True
    opportunity_name: str | None = Field(None, min_length=1, max_length=120)
    amount: Money | None = None
    close_date: dt.date | None = None
    pipeline: Key | None = Field(None, description="Pipeline key; the default pipeline if absent.")
    stage: Key | None = Field(
        None, description="A stage of the pipeline; its first open one if absent."
    )
    owner_id: int | None = None
    overwrite_lead_source: bool = False
    override_qualification: bool = False
