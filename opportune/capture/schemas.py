"""Capture input and output: duplicates, merges, assignment previews."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field

from opportune.leads.schemas import Source
from opportune.schemas import InputSchema, OutputSchema, normalize_country

from .duplicates import ContactMatch, DuplicateMatch, find_duplicates, find_matching_contacts

if TYPE_CHECKING:
    from opportune.identity.models import User
    from opportune.leads.models import Lead


class DuplicateOut(OutputSchema):
    kind: Literal["lead", "contact"] = Field(
        "lead", description="A lead, or an existing contact (then id is the contact's)."
    )
    id: int
    score: int = Field(description="0-100: 100 same email, 90 same phone, less for a fuzzy match.")
    reasons: list[str] = Field(description="Any of: email, phone, name_company.")
    first_name: str
    last_name: str
    company: str
    email: str
    phone: str
    owner_id: int | None
    status: str = Field(description="The lead's status key; empty for a contact.")
    is_converted: bool
    account_id: int | None = Field(None, description="A contact's account.")

    @staticmethod
    def from_match(match: DuplicateMatch) -> DuplicateOut:
        lead = match.lead
        return DuplicateOut(
            id=lead.pk,
            score=match.score,
            reasons=match.reasons,
            first_name=lead.first_name,
            last_name=lead.last_name,
            company=lead.company,
            email=lead.email,
            phone=lead.phone,
            owner_id=lead.owner_id,
            status=lead.status.key,
            is_converted=lead.is_converted,
        )

    @staticmethod
    def from_contact_match(match: ContactMatch) -> DuplicateOut:
        contact = match.contact
        return DuplicateOut(
            kind="contact",
            id=contact.pk,
            score=match.score,
            reasons=match.reasons,
            first_name=contact.first_name,
            last_name=contact.last_name,
            company=contact.account.name if contact.account else "",
            email=contact.email,
            phone=contact.phone,
            owner_id=contact.owner_id,
            status="",
            is_converted=False,
            account_id=contact.account_id,
        )


def duplicates_out(user: User, lead: Lead) -> list[DuplicateOut]:
    """The possible duplicates of a lead the user sees: leads, then existing contacts."""
    return [DuplicateOut.from_match(m) for m in find_duplicates(user, lead)] + [
        DuplicateOut.from_contact_match(m) for m in find_matching_contacts(user, lead)
    ]


class MergeRequest(InputSchema):
    master_id: int
    lead_ids: list[int] = Field(min_length=1, max_length=4, description="The leads merged in.")
    fields: dict[str, int] = Field(
        default_factory=dict,
        description="Field name -> id of the lead whose value to keep "
        "(default: the master's, else the first non-empty).",
    )


class MergeOut(OutputSchema):
    id: int
    master_id: int | None
    merged_ids: list[int]
    merged_at: dt.datetime
    undone_at: dt.datetime | None


class AssignmentProbe(InputSchema):
    """A lead to test against the rules: an existing one, or the values of a new one."""

    lead_id: int | None = None
    source: Source | None = None
    country: Annotated[str, AfterValidator(normalize_country)] = ""
    state: str = ""
    industry: str = ""
    campaign: str = ""
    employees: int | None = Field(None, ge=0)
    annual_revenue: Decimal | None = Field(None, ge=0)


class AssignmentPreviewOut(OutputSchema):
    rule_id: int | None
    rule_name: str | None
    owner_id: int | None
    owner: str | None
