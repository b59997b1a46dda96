"""/api/v1/leads: capture, qualify, disqualify and convert leads."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status
from pydantic import BeforeValidator, Field

from opportune.audit.api import add_record_routes
from opportune.capture.schemas import DuplicateOut, duplicates_out
from opportune.customfields.schemas import CustomOut
from opportune.filtering import api_list, query_schema
from opportune.identity import policy
from opportune.identity.auth import actor
from opportune.paging import ListParams, Page
from opportune.schemas import KeyOf, OutputSchema

from .conversion import ConversionResult, conversion_candidates, convert_lead
from .filters import LeadFilterSet
from .models import Lead, LeadStatus
from .schemas import ConversionOptions, LeadChanges, LeadCreate
from .services import create_lead, update_lead

router = Router(tags=["leads"])


class ScoreReason(OutputSchema):
    feature: str
    text: str = Field(description='In words, with points: "Came from Referral (+18)".')
    points: int


class LeadOut(OutputSchema):
    id: int
    first_name: str
    last_name: str
    company: str
    title: str
    email: str
    phone: str
    website: str
    industry: str
    annual_revenue: Decimal | None
    employees: int | None
    street: str
    city: str
    state: str
    postal_code: str
    country: str
    source: str
    campaign: str
    utm_source: str
    utm_medium: str
    utm_campaign: str
    status: KeyOf
    rating: str
    owner_id: int | None
    score: int | None = Field(
        None, description="Predicted conversion score, 0-100 (a calibrated probability)."
    )
    score_reasons: list[ScoreReason] = Field(
        default_factory=list, description="The score's top three reasons, largest first."
    )
    description: str
    do_not_call: bool
    email_opt_out: bool
    budget_amount: Decimal | None
    budget_confirmed: bool
    decision_maker: str
    decision_maker_title: str
    authority_confirmed: bool
    need_description: str
    need_identified: bool
    expected_purchase_date: dt.date | None
    disqualify_reason: str
    is_converted: bool
    converted_at: dt.datetime | None
    converted_account_id: int | None
    converted_contact_id: int | None
    converted_opportunity_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    last_activity_at: dt.datetime | None
    custom: CustomOut


def _name_of(user: object) -> str | None:
    return None if user is None else str(user)


class LeadCreatedOut(LeadOut):
    owner: Annotated[str | None, BeforeValidator(_name_of)] = Field(
        None, description="The owner's name (the assignment rules may have chosen another user)."
    )
    visible_to_you: bool = Field(
        True,
        description="False when the lead went to an owner whose leads you do not see: "
        "GET /leads/{id} will then answer 404.",
    )
    duplicates: list[DuplicateOut] = Field(
        default_factory=list,
        description="Possible duplicates among the leads and contacts you can see.",
    )


if TYPE_CHECKING:
    LeadQuery = ListParams
else:
    LeadQuery = query_schema(LeadFilterSet, "LeadQuery")


class StatusOut(OutputSchema):
    key: str
    label: str
    order: int
    is_default: bool
    is_closed: bool
    is_converted: bool


class ConversionOut(OutputSchema):
    account_id: int
    contact_id: int
    opportunity_id: int | None
    lead: LeadOut


class CandidateAccount(OutputSchema):
    id: int
    name: str
    website: str
    owner_id: int | None


class CandidateContact(OutputSchema):
    id: int
    first_name: str
    last_name: str
    email: str
    account_id: int | None


class CandidatesOut(OutputSchema):
    accounts: list[CandidateAccount]
    contacts: list[CandidateContact]


def _shown(leads: QuerySet[Lead]) -> QuerySet[Lead]:
    """With the status the API shows of each lead, read in the same query."""
    return leads.select_related("status")


@router.get("", response=Page[LeadOut], summary="List leads")
def list_leads(request: HttpRequest, params: Query[LeadQuery]) -> dict[str, Any]:
    return api_list(
        request,
        LeadFilterSet,
        _shown(policy.visible(actor(request), Lead)),
        params,
    )


@router.post("", response={201: LeadCreatedOut}, summary="Create a lead")
def post_lead(request: HttpRequest, payload: LeadCreate) -> Status[Lead]:
    lead = create_lead(actor(request), payload)
    lead.duplicates = duplicates_out(actor(request), lead)  # type: ignore[attr-defined]
    lead.visible_to_you = policy.visible(actor(request), Lead).filter(pk=lead.pk).exists()  # type: ignore[attr-defined]
    return Status(201, lead)


@router.get("/{int:lead_id}", response=LeadOut, summary="One lead")
def get_lead(request: HttpRequest, lead_id: int) -> Lead:
    return policy.get_visible(actor(request), _shown(Lead.objects.all()), lead_id)


@router.patch("/{int:lead_id}", response=LeadOut, summary="Change a lead (not once converted)")
def patch_lead(request: HttpRequest, lead_id: int, payload: LeadChanges) -> Lead:
    lead = policy.get_visible(actor(request), _shown(Lead.objects.all()), lead_id)
    return update_lead(actor(request), lead, payload)


@router.get(
    "/{int:lead_id}/conversion-candidates",
    response=CandidatesOut,
    summary="Likely duplicate accounts and contacts to convert into",
)
def get_conversion_candidates(request: HttpRequest, lead_id: int) -> dict[str, Any]:
    lead = policy.get_visible(actor(request), _shown(Lead.objects.all()), lead_id)
    found = conversion_candidates(actor(request), lead)
    return {"accounts": found.accounts, "contacts": found.contacts}


@router.post("/{int:lead_id}/convert", response=ConversionOut, summary="Convert a lead")
def post_convert(request: HttpRequest, lead_id: int, payload: ConversionOptions) -> dict[str, Any]:
    policy.get_visible(actor(request), Lead.objects.all(), lead_id)
    result: ConversionResult = convert_lead(actor(request), lead_id, payload)
    return {
        "account_id": result.account.pk,
        "contact_id": result.contact.pk,
        "opportunity_id": result.opportunity.pk if result.opportunity else None,
        "lead": Lead.objects.select_related("status").get(pk=lead_id),
    }


add_record_routes(router, "lead", "lead_id", LeadOut)

status_router = Router(tags=["configuration"])


@status_router.get("/lead-statuses", response=list[StatusOut], summary="Lead statuses")
def list_statuses(request: HttpRequest) -> QuerySet[LeadStatus]:
    return LeadStatus.objects.all()
