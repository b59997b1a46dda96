"""The top of the funnel: existing customers (accounts and contacts), and 18 months of leads in
every status, the converted ones linked exactly as ``convert_lead`` links them.

Records are built in memory with explicit past timestamps and saved in bulk by the loader.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from opportune.accounts.models import Account, Contact, normalize_company, website_domain
from opportune.fields import fill_empty
from opportune.leads.conversion import ACCOUNT_FROM_LEAD, CONTACT_FROM_LEAD
from opportune.leads.models import Lead, LeadSource, Rating

from .companies import Company
from .vocabulary import (
    CAMPAIGNS,
    DECIDING_TITLES,
    DISQUALIFY_REASONS,
    FIRST_NAMES,
    LAST_NAMES,
    NEEDS,
    TITLES,
    UTM,
)
from .world import World

HISTORY_DAYS = 540  # 18 months of leads
SOURCE_WEIGHTS = {
    LeadSource.WEB: 20, LeadSource.CONTENT_DOWNLOAD: 15, LeadSource.REFERRAL: 8,
    LeadSource.EVENT: 10, LeadSource.PARTNER: 7, LeadSource.COLD_CALL: 12,
    LeadSource.ADVERTISEMENT: 10, LeadSource.EMAIL_CAMPAIGN: 13, LeadSource.OTHER: 5,
}  # fmt: skip
# How much likelier than average a lead from each source is to convert.
SOURCE_QUALITY = {
    LeadSource.REFERRAL: 1.7, LeadSource.PARTNER: 1.4, LeadSource.EVENT: 1.1,
    LeadSource.WEB: 1.0, LeadSource.EMAIL_CAMPAIGN: 0.9, LeadSource.CONTENT_DOWNLOAD: 0.8,
    LeadSource.ADVERTISEMENT: 0.8, LeadSource.OTHER: 0.8, LeadSource.COLD_CALL: 0.6,
}  # fmt: skip


@dataclass
class Conversion:
    lead: Lead
    account: Account
    contact: Contact
    with_opportunity: bool


@dataclass
class Book:
    """Accounts and contacts being built, found as conversion finds duplicates: accounts by
    normalized company name, contacts by email."""

    accounts: dict[str, Account] = field(default_factory=dict)
    contacts: list[Contact] = field(default_factory=list)
    contacts_by_email: dict[str, Contact] = field(default_factory=dict)
    contacts_of: dict[str, list[Contact]] = field(default_factory=dict)
    subsidiaries: list[tuple[Account, Account]] = field(default_factory=list)
    customers: list[Account] = field(default_factory=list)

    def add_account(self, account: Account) -> Account:
        account.normalized_name = normalize_company(account.name)
        account.domain = website_domain(account.website)
        self.accounts[account.normalized_name] = account
        self.contacts_of[account.normalized_name] = []
        return account

    def add_contact(self, contact: Contact, account: Account) -> Contact:
        self.contacts.append(contact)
        self.contacts_of[account.normalized_name].append(contact)
        if contact.email:
            self.contacts_by_email[contact.email] = contact
        return contact


def _person(world: World, company: Company) -> tuple[str, str, str]:
    first, last = world.rng.choice(FIRST_NAMES), world.rng.choice(LAST_NAMES)
    return first, last, company.email(first, last)


def add_customers(world: World, book: Book, companies: list[Company]) -> None:
    """Accounts that were customers before the CRM's 18 months of history, with contacts."""
    rng = world.rng
    for company in companies:
        created = world.moment(world.days_ago(720), world.days_ago(HISTORY_DAYS + 10))
        owner = world.owner_of(company)
        account = book.add_account(
            Account(
                name=company.name, website=company.website, industry=company.industry,
                annual_revenue=company.annual_revenue, employees=company.employees,
                phone=company.phone_number(rng), billing_street=company.street,
                billing_city=company.city, billing_state=company.state,
                billing_postal_code=company.postal_code, billing_country=company.country,
                owner=owner, created_at=created, updated_at=created,
            )
        )  # fmt: skip
        book.customers.append(account)
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            first, last, email = _person(world, company)
            book.add_contact(
                Contact(
                    first_name=first, last_name=last, account=account, email=email,
                    title=rng.choice(DECIDING_TITLES + TITLES), phone=company.phone_number(rng),
                    mailing_street=company.street, mailing_city=company.city,
                    mailing_state=company.state, mailing_postal_code=company.postal_code,
                    mailing_country=company.country, owner=owner, created_at=created,
                    updated_at=created,
                ),
                account,
            )  # fmt: skip
    # A few small customers belong to a large one (subsidiaries).
    parents = [a for a in book.customers if (a.employees or 0) >= 1000]
    for account in book.customers:
        if parents and (account.employees or 0) < 250 and rng.random() < 0.06:
            book.subsidiaries.append((account, rng.choice(parents)))


def _status_key(world: World, age_days: float, source: str) -> str:
    quality = SOURCE_QUALITY[LeadSource(source)]
    weights: dict[str, float]
    if age_days < 14:
        weights = {"new": 60, "working": 35, "unqualified": 5}
    elif age_days < 60:
        weights = {"new": 8, "working": 30, "nurturing": 15, "qualified": 10,
                   "unqualified": 17, "converted": 20 * quality}  # fmt: skip
    else:
        weights = {"new": 2, "working": 6, "nurturing": 18, "qualified": 4,
                   "unqualified": 36, "converted": 34 * quality}  # fmt: skip
    return world.rng.choices(list(weights), weights=list(weights.values()))[0]


def _budget(world: World, company: Company) -> Decimal:
    low, high = (40, 400) if company.is_enterprise else (3, 60)
    return Decimal(round(world.rng.uniform(low, high) * 10) * 100)


def _qualify(world: World, lead: Lead, company: Company, *, fully: bool) -> None:
    """BANT answers: all of them for qualified leads, some for those still being worked."""
    rng = world.rng

    def known() -> bool:
        return fully or rng.random() < 0.4

    if known():
        lead.need_identified = True
        lead.need_description = rng.choice(NEEDS)
    if known():
        lead.budget_confirmed = True
        lead.budget_amount = _budget(world, company)
    if known():
        lead.authority_confirmed = True
        if lead.title not in DECIDING_TITLES:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            lead.decision_maker = f"{first} {last}"
            lead.decision_maker_title = rng.choice(DECIDING_TITLES)
    if known():
        lead.expected_purchase_date = (world.now + dt.timedelta(days=rng.randint(20, 200))).date()


def _lead(world: World, company: Company) -> Lead:
    rng = world.rng
    age = HISTORY_DAYS * rng.random() ** 1.3  # more leads lately: the business is growing
    created = world.moment(world.days_ago(age), world.days_ago(max(age - 0.9, 0.01)))
    age = (world.now - created).total_seconds() / 86400
    source = rng.choices(list(SOURCE_WEIGHTS), weights=list(SOURCE_WEIGHTS.values()))[0]
    key = _status_key(world, age, source)
    first, last, email = _person(world, company)
    utm = UTM.get(source, ("", ""))
    lead = Lead(
        first_name=first, last_name=last, company=company.name, email=email,
        title=rng.choice(DECIDING_TITLES if rng.random() < 0.3 else TITLES),
        phone=company.phone_number(rng) if rng.random() < 0.8 else "",
        website=company.website if rng.random() < 0.6 else "", industry=company.industry,
        annual_revenue=company.annual_revenue if rng.random() < 0.4 else None,
        employees=company.employees if rng.random() < 0.6 else None,
        street=company.street, city=company.city, state=company.state,
        postal_code=company.postal_code, country=company.country,
        source=source, campaign=rng.choice(CAMPAIGNS[source]),
        utm_source=utm[0], utm_medium=utm[1], status=world.statuses[key],
        do_not_call=rng.random() < 0.03, email_opt_out=rng.random() < 0.05,
        owner=None if key == "new" and rng.random() < 0.15 else world.owner_of(company),
        created_at=created, updated_at=created,
    )  # fmt: skip
    if lead.utm_source:
        lead.utm_campaign = lead.campaign.lower().replace(" ", "-")[:120]
    _set_status_fields(world, lead, company, key, age)
    return lead


def _set_status_fields(world: World, lead: Lead, company: Company, key: str, age: float) -> None:
    rng = world.rng
    rating_weights = {
        "converted": (50, 40, 10), "qualified": (45, 45, 10), "unqualified": (0, 30, 70),
    }.get(key, (15, 45, 40))  # fmt: skip
    lead.rating = rng.choices([Rating.HOT, Rating.WARM, Rating.COLD], weights=rating_weights)[0]
    if key == "new":
        lead.rating = lead.rating if rng.random() < 0.3 else ""
    elif key in ("working", "nurturing"):
        _qualify(world, lead, company, fully=False)
    elif key in ("qualified", "converted"):
        _qualify(world, lead, company, fully=True)
    elif key == "unqualified":
        lead.disqualify_reason = rng.choice(DISQUALIFY_REASONS)
    worked_days = rng.uniform(0.5, min(45.0, max(age - 0.5, 0.6)))
    lead.updated_at = min(lead.created_at + dt.timedelta(days=worked_days), world.now)
    if key == "converted":
        lead.is_converted = True
        lead.converted_at = lead.updated_at
        lead.converted_by = lead.owner


def build_leads(world: World, companies: list[Company], count: int) -> list[Lead]:
    leads = [_lead(world, world.rng.choice(companies)) for _ in range(count)]
    for lead in leads:
        lead.fill_match_keys()  # what Lead.save() does, which bulk_create skips
    leads.sort(key=lambda lead: lead.created_at)
    return leads


def _fill_empty(record: Account | Contact, lead: Lead, mapping: dict[str, str]) -> bool:
    """Conversion's rule: copy lead values into the record's empty fields only."""
    return bool(fill_empty(record, ((f, getattr(lead, n)) for n, f in mapping.items())))


def convert(world: World, book: Book, leads: list[Lead]) -> list[Conversion]:
    """Convert the converted leads in the order they were converted: into the existing account
    when one has the same normalized name (filling only its empty fields), into an existing
    contact with the same email, else into new records owned by the lead's owner."""
    conversions = []
    converted = [lead for lead in leads if lead.converted_at is not None]
    for lead in sorted(converted, key=lambda lead: lead.converted_at or lead.created_at):
        when = lead.converted_at
        assert when is not None and lead.owner is not None
        account = book.accounts.get(normalize_company(lead.company))
        if account is None:
            account = Account(owner=lead.owner, created_at=when, updated_at=when)
            _fill_empty(account, lead, ACCOUNT_FROM_LEAD)
            book.add_account(account)
        elif _fill_empty(account, lead, ACCOUNT_FROM_LEAD):
            account.updated_at = when
        contact = book.contacts_by_email.get(lead.email)
        if contact is None or contact.account is not account:
            contact = Contact(account=account, owner=lead.owner, created_at=when, updated_at=when)
            _fill_empty(contact, lead, CONTACT_FROM_LEAD)
            book.add_contact(contact, account)
        elif _fill_empty(contact, lead, CONTACT_FROM_LEAD):
            contact.updated_at = when
        lead.status = world.statuses["converted"]
        lead.converted_account, lead.converted_contact = account, contact
        conversions.append(Conversion(lead, account, contact, world.rng.random() < 0.88))
    return conversions
