"""/api/v1/accounts and /api/v1/contacts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from opportune.audit.api import add_record_routes
from opportune.customfields.schemas import CustomOut
from opportune.filtering import api_list, query_schema
from opportune.identity import policy
from opportune.identity.auth import actor
from opportune.paging import ListParams, Page
from opportune.schemas import OutputSchema

from .filters import AccountFilterSet, ContactFilterSet
from .models import Account, Contact
from .schemas import AccountChanges, AccountCreate, ContactChanges, ContactCreate
from .services import save_account, save_contact

accounts_router = Router(tags=["accounts"])
contacts_router = Router(tags=["contacts"])


class AccountOut(OutputSchema):
    id: int
    name: str
    website: str
    industry: str
    annual_revenue: Decimal | None
    employees: int | None
    phone: str
    billing_street: str
    billing_city: str
    billing_state: str
    billing_postal_code: str
    billing_country: str
    owner_id: int | None
    parent_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    custom: CustomOut


class ContactOut(OutputSchema):
    id: int
    first_name: str
    last_name: str
    account_id: int | None
    title: str
    email: str
    phone: str
    mailing_street: str
    mailing_city: str
    mailing_state: str
    mailing_postal_code: str
    mailing_country: str
    lead_source: str
    owner_id: int | None
    do_not_call: bool
    email_opt_out: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    custom: CustomOut


if TYPE_CHECKING:
    AccountQuery = ListParams
    ContactQuery = ListParams
else:
    AccountQuery = query_schema(AccountFilterSet, "AccountQuery")
    ContactQuery = query_schema(ContactFilterSet, "ContactQuery")


@accounts_router.get("", response=Page[AccountOut], summary="List accounts")
def list_accounts(request: HttpRequest, params: Query[AccountQuery]) -> dict[str, Any]:
    return api_list(request, AccountFilterSet, policy.visible(actor(request), Account), params)


@accounts_router.post("", response={201: AccountOut}, summary="Create an account")
def post_account(request: HttpRequest, payload: AccountCreate) -> Status[Account]:
    return Status(201, save_account(actor(request), payload))


@accounts_router.get("/{int:account_id}", response=AccountOut, summary="One account")
def get_account(request: HttpRequest, account_id: int) -> Account:
    return policy.get_visible(actor(request), Account.objects.all(), account_id)


@accounts_router.patch("/{int:account_id}", response=AccountOut, summary="Change an account")
def patch_account(request: HttpRequest, account_id: int, payload: AccountChanges) -> Account:
    account = policy.get_visible(actor(request), Account.objects.all(), account_id)
    return save_account(actor(request), payload, account)


@contacts_router.get("", response=Page[ContactOut], summary="List contacts")
def list_contacts(request: HttpRequest, params: Query[ContactQuery]) -> dict[str, Any]:
    return api_list(request, ContactFilterSet, policy.visible(actor(request), Contact), params)


@contacts_router.post("", response={201: ContactOut}, summary="Create a contact")
def post_contact(request: HttpRequest, payload: ContactCreate) -> Status[Contact]:
    return Status(201, save_contact(actor(request), payload))


@contacts_router.get("/{int:contact_id}", response=ContactOut, summary="One contact")
def get_contact(request: HttpRequest, contact_id: int) -> Contact:
    return policy.get_visible(actor(request), Contact.objects.all(), contact_id)


@contacts_router.patch("/{int:contact_id}", response=ContactOut, summary="Change a contact")
def patch_contact(request: HttpRequest, contact_id: int, payload: ContactChanges) -> Contact:
    contact = policy.get_visible(actor(request), Contact.objects.all(), contact_id)
    return save_contact(actor(request), payload, contact)


add_record_routes(accounts_router, "account", "account_id", AccountOut)
add_record_routes(contacts_router, "contact", "contact_id", ContactOut)
