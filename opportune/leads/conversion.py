"""Lead conversion (PRODUCT.md section 3): one transaction turns a qualified lead into an
account, a contact and, optionally, an opportunity.

``conversion_candidates`` reports likely duplicates first, so the user can convert into
existing records instead of creating new ones.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from opportune.accounts.models import Account, Contact, normalize_company, website_domain
from opportune.activities.models import Activity
from opportune.audit.models import FieldChange
from opportune.audit.services import record_changes, record_creation, snapshot
from opportune.customfields.services import converted_values, fill_blank
from opportune.errors import Conflict, NotAllowed, RuleViolation, field_error
from opportune.fields import fill_empty, is_empty
from opportune.identity import policy
from opportune.opportunities.models import ContactRole, Opportunity, Pipeline
from opportune.opportunities.services import (
    OpportunityDraft,
    default_close_date,
    open_opportunity,
    pipeline_by_key,
)
from opportune.schemas import normalize_country

from .models import Lead, LeadStatus, QualificationPolicy
from .schemas import ConversionOptions
from .services import TRACKED_FIELDS

if TYPE_CHECKING:
    from opportune.identity.models import User

# Lead field -> field of the record created from it (or filled in an existing one).
ACCOUNT_FROM_LEAD = {
    "company": "name",
    "website": "website",
    "industry": "industry",
    "annual_revenue": "annual_revenue",
    "employees": "employees",
    "phone": "phone",
    "street": "billing_street",
    "city": "billing_city",
    "state": "billing_state",
    "postal_code": "billing_postal_code",
    "country": "billing_country",
}
CONTACT_FROM_LEAD = {
    "first_name": "first_name",
    "last_name": "last_name",
    "title": "title",
    "email": "email",
    "phone": "phone",
    "street": "mailing_street",
    "city": "mailing_city",
    "state": "mailing_state",
    "postal_code": "mailing_postal_code",
    "country": "mailing_country",
    "source": "lead_source",
    "do_not_call": "do_not_call",
    "email_opt_out": "email_opt_out",
}


@dataclass(frozen=True)
class ConversionCandidates:
    accounts: list[Account]
    contacts: list[Contact]


@dataclass(frozen=True)
class ConversionResult:
    lead: Lead
    account: Account
    contact: Contact
    opportunity: Opportunity | None


def conversion_candidates(user: User, lead: Lead, limit: int = 10) -> ConversionCandidates:
    """Accounts matching the normalized company name or website domain, contacts matching
    the email; only among records the user can see. Indexed lookups, two queries."""
    account_match = Q(normalized_name=normalize_company(lead.company))
    if domain := website_domain(lead.website):
        account_match |= Q(domain=domain)
    accounts = list(
        Account.objects.visible_to(user).filter(account_match).select_related("owner")[:limit]
    )
    # The best duplicate first: the same company name before a website match alone.
    accounts.sort(key=lambda a: (a.normalized_name != normalize_company(lead.company), a.pk))
    contacts: list[Contact] = []
    if lead.email:
        contacts = list(
            Contact.objects.visible_to(user)
            .filter(email=lead.email.lower())
            .select_related("account", "owner")[:limit]
        )
    return ConversionCandidates(accounts, contacts)


def _lead_value(lead: Lead, lead_field: str) -> object:
    """A lead's value as the new record stores it: a country as its code (a lead saved
    before countries were codes may still hold a name)."""
    value = getattr(lead, lead_field)
    return normalize_country(value) if lead_field == "country" else value


def _copy_all(record: models.Model, lead: Lead, mapping: dict[str, str]) -> None:
    """Copy every lead value into a new record, flags included: a new contact must keep the
    lead's do_not_call and email_opt_out, which "fill empty fields" would skip (False isn't
    empty)."""
    for lead_field, field in mapping.items():
        value = _lead_value(lead, lead_field)
        if not is_empty(value):
            setattr(record, field, value)


def _fill_empty(record: models.Model, lead: Lead, mapping: dict[str, str]) -> list[str]:
    """Copy lead values into the record's empty fields only; answer the fields filled."""
    return fill_empty(record, ((field, _lead_value(lead, name)) for name, field in mapping.items()))


def _check_policy(actor: User, lead: Lead, override: bool) -> None:
    qualification = QualificationPolicy.current()
    missing = qualification.missing_criteria(lead)
    if not missing:
        return
    if override and policy.may_override_qualification(actor, qualification):
        return
    if override:
        raise NotAllowed("Your role may not override the qualification policy.")
    raise RuleViolation(
        "The lead does not meet the qualification policy: " + ", ".join(missing) + ".",
        {name: ["Required by the qualification policy."] for name in missing},
    )


def _account_for(
    actor: User, lead: Lead, options: ConversionOptions, owner: User, custom: dict[str, Any]
) -> Account:
    if options.account_id is None:
        account = Account(owner=owner, custom=custom)
        _copy_all(account, lead, ACCOUNT_FROM_LEAD)
        account.save()
        record_creation(actor, account)
        return account
    existing = Account.objects.visible_to(actor).filter(pk=options.account_id).first()
    if existing is None:
        raise field_error("account_id", f"No account {options.account_id} that you can see.")
    before = snapshot(existing, [*ACCOUNT_FROM_LEAD.values(), "custom"])
    filled = _fill_empty(existing, lead, ACCOUNT_FROM_LEAD)
    if fill_blank(existing, custom):
        filled.append("custom")
    if filled:
        existing.save(update_fields=[*filled, "updated_at"])
        record_changes(actor, existing, before, snapshot(existing, list(before)))
    return existing


def _contact_for(
    actor: User,
    lead: Lead,
    options: ConversionOptions,
    owner: User,
    account: Account,
    custom: dict[str, Any],
) -> Contact:
    if options.contact_id is None:
        contact = Contact(account=account, owner=owner, custom=custom)
        _copy_all(contact, lead, CONTACT_FROM_LEAD)
        contact.save()
        record_creation(actor, contact)
        return contact
    existing = Contact.objects.visible_to(actor).filter(pk=options.contact_id).first()
    if existing is None:
        raise field_error("contact_id", f"No contact {options.contact_id} that you can see.")
    contact = existing
    tracked = {*CONTACT_FROM_LEAD.values(), "account", "lead_source", "do_not_call", "custom"}
    before = snapshot(contact, sorted(tracked | {"email_opt_out"}))
    if contact.account_id not in (None, account.pk):
        raise field_error("contact_id", "The contact belongs to another account.")
    filled = _fill_empty(contact, lead, CONTACT_FROM_LEAD)
    if fill_blank(contact, custom):
        filled.append("custom")
    if contact.account_id is None:
        contact.account = account
        filled.append("account")
    if options.overwrite_lead_source and lead.source and contact.lead_source != lead.source:
        contact.lead_source = lead.source
        filled.append("lead_source")
    for opt_out in ("do_not_call", "email_opt_out"):  # a person's opt-out is never dropped
        if getattr(lead, opt_out) and not getattr(contact, opt_out):
            setattr(contact, opt_out, True)
            filled.append(opt_out)
    if filled:
        contact.save(update_fields=[*set(filled), "updated_at"])
        record_changes(actor, contact, before, snapshot(contact, list(before)))
    return contact


def default_opportunity_name(lead: Lead) -> str:
    """ "Company - need" (PRODUCT.md's need is ``need_description``; its first line), so two
    deals of one company tell apart; the company alone when no need is written down."""
    need = " ".join((lead.need_description or "").strip().splitlines()[:1]).strip()
    name = f"{lead.company} - {need}" if need else lead.company
    return name[:120]


def default_close_date_for(lead: Lead, today: dt.date) -> dt.date:
    """The lead's expected purchase date when it is still ahead (or today), else the end of
    the fiscal quarter (a deal is not opened already overdue)."""
    expected = lead.expected_purchase_date
    if expected is not None and expected >= today:
        return expected
    return default_close_date(today)


def _opportunity_for(
    actor: User,
    lead: Lead,
    options: ConversionOptions,
    owner: User,
    account: Account,
    contact: Contact,
    today: dt.date,
    custom: dict[str, Any],
) -> Opportunity:
    pipeline = pipeline_by_key(options.pipeline) if options.pipeline else Pipeline.default()
    draft = OpportunityDraft(
        name=options.opportunity_name or default_opportunity_name(lead),
        account=account,
        owner=owner,
        pipeline=pipeline,
        stage_key=options.stage,
        amount=options.amount
        if options.amount is not None
        else (lead.budget_amount if lead.budget_confirmed else None),
        close_date=options.close_date or default_close_date_for(lead, today),
        lead_source=lead.source,
        campaign=lead.campaign,
        primary_contact=contact,
        custom=custom,
    )
    opportunity = open_opportunity(actor, draft)  # the contact's primary role comes with it
    if lead.authority_confirmed and not lead.decision_maker:
        ContactRole.objects.filter(opportunity=opportunity, contact=contact).update(
            role="decision_maker"
        )
    return opportunity


def _lead_owner(lead: Lead, actor: User) -> User:
    """Who owns what the lead becomes, unless the conversion says: the lead's owner, if they
    may own deals (marketing may not), else whoever converts it."""
    if lead.owner is not None and policy.may_own(lead.owner, policy.OPPORTUNITY):
        return lead.owner
    return actor


@transaction.atomic
def convert_lead(actor: User, lead_id: int, options: ConversionOptions) -> ConversionResult:
    """Convert the lead, all or nothing. The lead row is locked first, so of two concurrent
    conversions the second waits, then sees the lead converted and fails with a Conflict."""
    policy.require(actor, policy.Verb.CONVERT, Lead)
    # Lock the bare row, then read the rest. A locking query that joins (status, owner's
    # team) makes PostgreSQL re-check the *old* joined rows against the row the winner just
    # committed: status_id no longer matches, and the loser found no lead (404), not a 409.
    lead = Lead.objects.select_for_update().filter(pk=lead_id).first()
    if lead is None or not Lead.objects.visible_to(actor).filter(pk=lead_id).exists():
        raise Lead.DoesNotExist(f"No lead {lead_id}.")
    if lead.is_converted:
        raise Conflict("This lead was already converted.")
    policy.require(actor, policy.Verb.CONVERT, lead)
    _check_policy(actor, lead, options.override_qualification)
    if options.contact_id is not None and options.account_id is None:
        raise field_error(
            "account_id", "Give the contact's account when converting into a contact."
        )
    chosen = policy.assignable_owner(options.owner_id, policy.OPPORTUNITY)
    owner = chosen or _lead_owner(lead, actor)
    now = timezone.now()

    # Each lead custom field goes where settings map it (as Salesforce's field mapping).
    custom = converted_values(lead)
    account = _account_for(actor, lead, options, owner, custom.get("account", {}))
    contact = _contact_for(actor, lead, options, owner, account, custom.get("contact", {}))
    opportunity = None
    if options.create_opportunity:
        opportunity = _opportunity_for(
            actor,
            lead,
            options,
            owner,
            account,
            contact,
            timezone.localdate(now),
            custom.get("opportunity", {}),
        )
    elif (
        options.stage or options.amount is not None or options.opportunity_name or options.pipeline
    ):
        raise field_error(
            "create_opportunity", "Opportunity fields were given but create_opportunity is false."
        )

    moved = Activity.objects.filter(lead=lead)
    FieldChange.objects.bulk_create(
        FieldChange(
            record_type="activity",
            record_id=pk,
            field=field,
            old_value=str(old) if old else "",
            new_value=str(new.pk) if new else "",
            changed_by=actor,
        )
        for pk, old_contact, old_opportunity in moved.values_list(
            "pk", "contact_id", "opportunity_id"
        )
        for field, old, new in (
            ("contact", old_contact, contact),
            ("opportunity", old_opportunity, opportunity),
        )
        if (old or None) != (new.pk if new else None)
    )
    moved.update(contact=contact, opportunity=opportunity)
    before = snapshot(lead, TRACKED_FIELDS)
    lead.status = LeadStatus.converted()
    lead.is_converted = True
    lead.converted_at = now
    lead.converted_by = actor
    lead.converted_account = account
    lead.converted_contact = contact
    lead.converted_opportunity = opportunity
    lead.save()
    record_changes(actor, lead, before, snapshot(lead, TRACKED_FIELDS))
    return ConversionResult(lead, account, contact, opportunity)
