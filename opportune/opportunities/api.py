"""/api/v1/opportunities (with /history), /pipelines and /lost-reasons."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status

from opportune.audit.api import add_record_routes
from opportune.customfields.schemas import CustomOut
from opportune.filtering import api_list, query_schema
from opportune.identity import policy
from opportune.identity.auth import actor
from opportune.paging import ListParams, Page
from opportune.schemas import AllOf, KeyOf, OutputSchema
from opportune.scoring.schemas import WinProbability, WinReasons

from .filters import OpportunityFilterSet
from .models import ContactRole, LostReason, Opportunity, OpportunityHistory, Pipeline, Stage
from .roles import add_contact_role, change_contact_role, remove_contact_role
from .schemas import ContactRoleChanges, ContactRoleCreate, OpportunityChanges, OpportunityCreate
from .services import change_opportunity, draft_from, open_opportunity

opportunities_router = Router(tags=["opportunities"])
config_router = Router(tags=["configuration"])


class ContactRoleOut(OutputSchema):
    id: int
    contact_id: int
    role: str
    is_primary: bool


class OpportunityOut(OutputSchema):
    id: int
    name: str
    account_id: int
    primary_contact_id: int | None
    owner_id: int | None
    pipeline: KeyOf
    stage: KeyOf
    amount: Decimal | None
    probability: int
    expected_revenue: Decimal | None
    close_date: dt.date
    forecast_category: str
    type: str
    lead_source: str
    campaign: str
    next_step: str
    description: str
    is_closed: bool
    is_won: bool
    closed_at: dt.datetime | None
    lost_reason: KeyOf | None
    created_at: dt.datetime
    updated_at: dt.datetime
    win_probability: WinProbability
    win_reasons: WinReasons
    custom: CustomOut


class OpportunityDetailOut(OpportunityOut):
    contact_roles: Annotated[list[ContactRoleOut], AllOf]


class HistoryOut(OutputSchema):
    stage: KeyOf
    amount: Decimal | None
    probability: int
    close_date: dt.date
    forecast_category: str
    previous_amount: Decimal | None
    previous_close_date: dt.date | None
    changed_by_id: int | None
    changed_at: dt.datetime


if TYPE_CHECKING:
    OpportunityQuery = ListParams
else:
    OpportunityQuery = query_schema(OpportunityFilterSet, "OpportunityQuery")


class StageOut(OutputSchema):
    key: str
    label: str
    order: int
    default_probability: int
    forecast_category: str
    is_closed: bool
    is_won: bool
    is_active: bool


class PipelineOut(OutputSchema):
    key: str
    name: str
    is_default: bool
    stages: Annotated[list[StageOut], AllOf]


class LostReasonOut(OutputSchema):
    key: str
    label: str
    order: int
    is_active: bool


def _shown(opportunities: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
    """With the related rows the API shows of each opportunity, read in the same query."""
    return opportunities.select_related("pipeline", "stage", "lost_reason", "win_score")


@opportunities_router.get("", response=Page[OpportunityOut], summary="List opportunities")
def list_opportunities(request: HttpRequest, params: Query[OpportunityQuery]) -> dict[str, Any]:
    return api_list(
        request,
        OpportunityFilterSet,
        _shown(policy.visible(actor(request), Opportunity)),
        params,
    )


@opportunities_router.post("", response={201: OpportunityDetailOut}, summary="Open an opportunity")
def post_opportunity(request: HttpRequest, payload: OpportunityCreate) -> Status[Opportunity]:
    opportunity = open_opportunity(actor(request), draft_from(actor(request), payload))
    return Status(201, _shown(Opportunity.objects.all()).get(pk=opportunity.pk))


@opportunities_router.get(
    "/{int:opportunity_id}", response=OpportunityDetailOut, summary="One opportunity"
)
def get_opportunity(request: HttpRequest, opportunity_id: int) -> Opportunity:
    return policy.get_visible(actor(request), _shown(Opportunity.objects.all()), opportunity_id)


@opportunities_router.patch(
    "/{int:opportunity_id}",
    response=OpportunityDetailOut,
    summary="Change an opportunity; the stage rules apply",
)
def patch_opportunity(
    request: HttpRequest, opportunity_id: int, payload: OpportunityChanges
) -> Opportunity:
    opportunity = policy.get_visible(
        actor(request), _shown(Opportunity.objects.all()), opportunity_id
    )
    change_opportunity(actor(request), opportunity, payload.model_dump(exclude_unset=True))
    return _shown(Opportunity.objects.all()).get(pk=opportunity_id)


@opportunities_router.get(
    "/{int:opportunity_id}/history",
    response=list[HistoryOut],
    summary="Stage, amount, probability, close date and category changes, oldest first",
)
def get_history(request: HttpRequest, opportunity_id: int) -> QuerySet[OpportunityHistory]:
    opportunity = policy.get_visible(
        actor(request), _shown(Opportunity.objects.all()), opportunity_id
    )
    return opportunity.history.select_related("stage").order_by("changed_at", "pk")


def _visible(request: HttpRequest, opportunity_id: int) -> Opportunity:
    return policy.get_visible(actor(request), Opportunity.objects.all(), opportunity_id)


@opportunities_router.get(
    "/{int:opportunity_id}/contact-roles",
    response=list[ContactRoleOut],
    summary="The deal's contact roles, the primary first",
)
def list_contact_roles(request: HttpRequest, opportunity_id: int) -> QuerySet[ContactRole]:
    opportunity = _visible(request, opportunity_id)
    return opportunity.contact_roles.order_by("-is_primary", "pk")


@opportunities_router.post(
    "/{int:opportunity_id}/contact-roles",
    response={201: ContactRoleOut},
    summary="Add a contact to the deal (its first role is primary)",
)
def post_contact_role(
    request: HttpRequest, opportunity_id: int, payload: ContactRoleCreate
) -> Status[ContactRole]:
    opportunity = _visible(request, opportunity_id)
    role = add_contact_role(
        actor(request), opportunity, payload.contact_id, payload.role, payload.is_primary
    )
    return Status(201, role)


@opportunities_router.patch(
    "/{int:opportunity_id}/contact-roles/{int:role_id}",
    response=ContactRoleOut,
    summary="Change a contact role, or make it the primary one",
)
def patch_contact_role(
    request: HttpRequest, opportunity_id: int, role_id: int, payload: ContactRoleChanges
) -> ContactRole:
    opportunity = _visible(request, opportunity_id)
    return change_contact_role(
        actor(request), opportunity, role_id, role=payload.role, is_primary=payload.is_primary
    )


@opportunities_router.delete(
    "/{int:opportunity_id}/contact-roles/{int:role_id}",
    response={204: None},
    summary="Remove a contact from the deal (the primary only when it is the last)",
)
def delete_contact_role(request: HttpRequest, opportunity_id: int, role_id: int) -> Status[None]:
    remove_contact_role(actor(request), _visible(request, opportunity_id), role_id)
    return Status(204, None)


@config_router.get("/pipelines", response=list[PipelineOut], summary="Pipelines and their stages")
def list_pipelines(request: HttpRequest) -> QuerySet[Pipeline]:
    return Pipeline.objects.prefetch_related(
        Prefetch("stages", queryset=Stage.objects.order_by("order", "pk"))
    )


@config_router.get("/pipelines/{key}", response=PipelineOut, summary="One pipeline")
def get_pipeline(request: HttpRequest, key: str) -> Pipeline:
    return get_object_or_404(list_pipelines(request), key=key)


@config_router.get("/lost-reasons", response=list[LostReasonOut], summary="Lost reasons")
def list_lost_reasons(request: HttpRequest) -> QuerySet[LostReason]:
    return LostReason.objects.all()


add_record_routes(opportunities_router, "opportunity", "opportunity_id", OpportunityOut)
