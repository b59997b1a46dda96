"""Opportunity input, shared by API, forms and import. Stages, pipelines, categories and
lost reasons are referred to by their keys."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from opportune.customfields.schemas import CustomIn
from opportune.schemas import Flag, InputSchema, Key

Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
Category = Literal["pipeline", "best_case", "commit", "closed", "omitted"]
TypeValue = Literal[
    "new_business", "existing_upgrade", "existing_replacement", "existing_downgrade", ""
]


class OpportunityChanges(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=120)
    account_id: int | None = None
    primary_contact_id: int | None = None
    owner_id: int | None = None
    pipeline: Key | None = Field(
        None,
        description="Pipeline key. Changing it maps the stage (same key, else the nearest "
        "probability; a closed deal keeps its outcome) unless a stage of the target is given.",
    )
    stage: Key | None = None
    amount: Money | None = None
    probability: int | None = Field(None, ge=0, le=100)
    close_date: dt.date | None = None
    forecast_category: Category | None = None
    type: TypeValue | None = None
    lead_source: str | None = Field(None, max_length=30)
    campaign: str | None = Field(None, max_length=120)
    next_step: str | None = Field(None, max_length=255)
    description: str | None = None
    lost_reason: Key | None = None
    custom: CustomIn = None


class OpportunityCreate(OpportunityChanges):
    name: str = Field(min_length=1, max_length=120)
    account_id: int
    close_date: dt.date
    pipeline: Key | None = Field(None, description="Pipeline key; the default pipeline if absent.")


RoleValue = Literal[
    "decision_maker",
    "economic_buyer",
    "technical_buyer",
    "evaluator",
    "influencer",
    "other",
    "",
]


class ContactRoleCreate(InputSchema):
    """A contact added to a deal; the deal's first role is primary whatever is asked."""

    # Checked by the service (422 naming it when missing), after the deal's visibility: a
    # deal the user cannot see is a 404 whatever the body says.
    contact_id: int | None = Field(None, description="The contact (required).")
    role: RoleValue = ""
    is_primary: bool = False


class ContactRoleChanges(InputSchema):
    role: RoleValue | None = None
    is_primary: Flag = Field(
        None, description="True makes it the primary role (and the deal's primary contact)."
    )
