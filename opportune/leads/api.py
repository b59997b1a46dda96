"""/api/v1/leads: capture, qualify, disqualify and convert leads."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status
from pydantic import Field

from opportune.audit.api import add_record_routes
from opportune.capture.duplicates import find_duplicates
from opportune.capture.schemas import DuplicateOut
from opportune.identity.auth import actor
from opportune.paging import ListParams, Page, keyset_page
from opportune.schemas import KeyOf, OutputSchema

from .conversion import ConversionResult, conversion_candidates, convert_lead
from .models import Lead, LeadStatus
from .schemas import ConversionOptions, LeadChanges, LeadCreate, RatingValue, Source
from .services import create_lead, update_lead

router = Router(tags=["leads"])


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
    score: int | None
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


class LeadCreatedOut(LeadOut):
    duplicates: list[DuplicateOut] = Field(
        default_factory=list, description="Possible duplicates among the leads you can see."
    )


class LeadFilters(ListParams):
    status: str | None = None
    source: Source | None = None
    rating: RatingValue | None = None
    owner_id: int | None = None
    is_converted: bool | None = None
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None
    q: str | None = Field(None, max_length=100, description="Searches name, company and email.")


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


def _visible(request: HttpRequest) -> QuerySet[Lead]:
    return Lead.objects.visible_to(actor(request)).select_related("status")


def filter_leads(leads: QuerySet[Lead], filters: LeadFilters) -> QuerySet[Lead]:
    if filters.status:
        leads = leads.filter(status__key=filters.status)
    if filters.source:
        leads = leads.filter(source=filters.source)
    if filters.rating:
        leads = leads.filter(rating=filters.rating)
    if filters.owner_id is not None:
        leads = leads.filter(owner_id=filters.owner_id)
    if filters.is_converted is not None:
        leads = leads.filter(is_converted=filters.is_converted)
    if filters.created_after:
        leads = leads.filter(created_at__gte=filters.created_after)
    if filters.created_before:
        leads = leads.filter(created_at__lt=filters.created_before)
    if filters.q:
        term = filters.q.strip()
        leads = leads.filter(
            Q(last_name__icontains=term)
            | Q(first_name__icontains=term)
            | Q(company__icontains=term)
            | Q(email__icontains=term)
        )
    return leads


@router.get("", response=Page[LeadOut], summary="List leads")
def list_leads(request: HttpRequest, filters: Query[LeadFilters]) -> dict:
    return keyset_page(filter_leads(_visible(request), filters), filters.limit, filters.cursor)


@router.post("", response={201: LeadCreatedOut}, summary="Create a lead")
def post_lead(request: HttpRequest, payload: LeadCreate) -> Status[Lead]:
    lead = create_lead(actor(request), payload)
    lead.duplicates = [  # type: ignore[attr-defined]
        DuplicateOut.from_match(m) for m in find_duplicates(actor(request), lead)
    ]
    return Status(201, lead)


@router.get("/{int:lead_id}", response=LeadOut, summary="One lead")
def get_lead(request: HttpRequest, lead_id: int) -> Lead:
    return get_object_or_404(_visible(request), pk=lead_id)


@router.patch("/{int:lead_id}", response=LeadOut, summary="Change a lead (not once converted)")
def patch_lead(request: HttpRequest, lead_id: int, payload: LeadChanges) -> Lead:
    lead = get_object_or_404(_visible(request), pk=lead_id)
    return update_lead(actor(request), lead, payload)


@router.get(
    "/{int:lead_id}/conversion-candidates",
    response=CandidatesOut,
    summary="Likely duplicate accounts and contacts to convert into",
)
def get_conversion_candidates(request: HttpRequest, lead_id: int) -> dict:
    lead = get_object_or_404(_visible(request), pk=lead_id)
    found = conversion_candidates(actor(request), lead)
    return {"accounts": found.accounts, "contacts": found.contacts}


@router.post("/{int:lead_id}/convert", response=ConversionOut, summary="Convert a lead")
def post_convert(request: HttpRequest, lead_id: int, payload: ConversionOptions) -> dict:
    get_object_or_404(_visible(request), pk=lead_id)
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
