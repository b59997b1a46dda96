"""Synthetic but believable demo data: a sales organisation, 18 months of leads in every
status, conversions, opportunities in every stage with their history, activities, quotas.

``load_demo`` builds everything in memory from one seeded random source, then saves it in
bulk in one transaction: the same seed gives the same data (relative to today).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.db import models, transaction
from django.utils import timezone

from opportune.accounts.models import Account, Contact
from opportune.activities.models import Activity
from opportune.capture.keys import phone_key
from opportune.identity.models import ApiToken, Team, TokenScope, User
from opportune.leads.models import Lead
from opportune.opportunities.models import ContactRole, Opportunity, OpportunityHistory

from .activities import account_activities, deal_activities, lead_activities
from .companies import company_catalog
from .deals import DIRECT_TYPES, Deal, deal_amount, default_close_date, open_deal
from .funnel import HISTORY_DAYS, Book, Conversion, add_customers, build_leads, convert
from .people import ADMIN, DEMO_USERNAMES, TEAM_NAMES, Staff, build_staff
from .quotas import set_quotas
from .vocabulary import PRODUCTS
from .world import World

URL = "http://127.0.0.1:8000/"
BATCH = 2000
TOKEN_NAME = "demo"  # the admin's token, also the mark of loaded demo data


@dataclass(frozen=True)
class DemoSize:
    leads: int
    opportunities: int
    companies: int
    customers: int  # accounts that were customers before the leads' 18 months
    reps_per_team: int


SIZES = {
    "small": DemoSize(leads=300, opportunities=150, companies=140, customers=40, reps_per_team=3),
    "large": DemoSize(
        leads=20_000, opportunities=10_000, companies=7_000, customers=2_500, reps_per_team=8
    ),
}


class DemoNotLoaded(Exception):
    """The database already holds records: demo data goes only into an empty installation."""


class DemoAlreadyLoaded(DemoNotLoaded):
    """The demo data is there already."""


@dataclass(frozen=True)
class DemoLogin:
    admin: tuple[str, str]
    manager: tuple[str, str]
    rep: tuple[str, str]
    others: tuple[str, ...]
    token: str
    summary: str

    def text(self) -> str:
        width = max(len(user) for user, _ in (self.admin, self.manager, self.rep))
        return "\n".join(
            [
                f"Opportune demo data: {self.summary}",
                f"Open {URL} and log in as:",
                f"  {self.admin[0]:<{width}}  password {self.admin[1]}   (admin, also {URL}admin/)",
                f"  {self.manager[0]:<{width}}  password {self.manager[1]}   (East sales manager)",
                f"  {self.rep[0]:<{width}}  password {self.rep[1]}   (East sales rep)",
                f"  {len(self.others)} other demo users ({self._others()}) share that password.",
                f"Admin API token: {self.token}",
                f'  curl -H "Authorization: Bearer {self.token}" {URL}api/v1/openapi.json',
            ]
        )

    def _others(self) -> str:
        names = ", ".join(self.others[:8])
        return names + (", ..." if len(self.others) > 8 else "")


def already_present() -> str | None:
    """Why demo data cannot be loaded here, or None when the database is empty enough."""
    for model in (Lead, Account, Opportunity):
        if model.objects.exists():
            return (
                f"The database already holds {model._meta.verbose_name_plural}; demo data is "
                "loaded only into an empty installation. Nothing done."
            )
    taken = User.objects.filter(username__in=DEMO_USERNAMES).values_list("username", flat=True)
    if taken:
        return f"Users named like the demo's exist ({', '.join(taken)}). Nothing done."
    if Team.objects.filter(name__in=TEAM_NAMES).exists():
        return f"Teams named like the demo's ({', '.join(TEAM_NAMES)}) exist. Nothing done."
    return None


@contextmanager
def explicit_timestamps(*record_types: type[models.Model]) -> Iterator[None]:
    """Let created_at/updated_at take the past moments the generator sets, not now()."""
    fields = [
        f
        for record_type in record_types
        for f in record_type._meta.concrete_fields
        if isinstance(f, models.DateField) and (f.auto_now or f.auto_now_add)
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _conversion_deal(world: World, conversion: Conversion) -> Deal:
    """The opportunity conversion opens: named after the company (or the product), amount
    from the confirmed budget, close date at the fiscal quarter's end, first open stage."""
    lead = conversion.lead
    assert lead.converted_at is not None and lead.owner is not None
    name = lead.company
    if world.rng.random() < 0.4:
        name = f"{lead.company} - {world.rng.choice(PRODUCTS)}"
    return open_deal(
        world, name=name, account=conversion.account, contact=conversion.contact,
        owner=lead.owner, created=lead.converted_at, amount=lead.budget_amount,
        type="new_business", lead_source=lead.source, campaign=lead.campaign,
        close_date=default_close_date(lead.converted_at.date()),
    )  # fmt: skip


def _direct_deal(world: World, book: Book, accounts: list[Account]) -> Deal:
    """A deal on an existing account: an upsell, a replacement, a renewal downgrade..."""
    rng = world.rng
    account = rng.choice(accounts)
    start = max(account.created_at, world.days_ago(HISTORY_DAYS))
    created = world.moment(start, world.days_ago(1))
    contacts = [c for c in book.contacts_of[account.normalized_name] if c.created_at <= created]
    kind = rng.choices(list(DIRECT_TYPES), weights=list(DIRECT_TYPES.values()))[0]
    assert account.owner is not None
    return open_deal(
        world, name=f"{account.name} - {rng.choice(PRODUCTS)}", account=account,
        contact=rng.choice(contacts) if contacts else None, owner=account.owner,
        created=created, amount=deal_amount(world, account), type=kind,
        lead_source=rng.choice(("", "", "referral", "partner", "other")),
    )  # fmt: skip


def _save(book: Book, leads: list[Lead], deals: list[Deal], activities: list[Activity]) -> None:
    Account.objects.bulk_create(list(book.accounts.values()), batch_size=BATCH)
    for child, parent in book.subsidiaries:
        child.parent = parent
    Account.objects.bulk_update([child for child, _ in book.subsidiaries], ["parent"])
    for contact in book.contacts:  # bulk_create skips save(), which keeps the match key
        contact.phone_key = phone_key(contact.phone, contact.mailing_country)
    Contact.objects.bulk_create(book.contacts, batch_size=BATCH)
    Opportunity.objects.bulk_create([d.opportunity for d in deals], batch_size=BATCH)
    Lead.objects.bulk_create(leads, batch_size=BATCH)
    ContactRole.objects.bulk_create([r for d in deals for r in d.roles], batch_size=BATCH)
    OpportunityHistory.objects.bulk_create([h for d in deals for h in d.history], batch_size=BATCH)
    Activity.objects.bulk_create(activities, batch_size=BATCH)


def load_demo(
    seed: int = 1,
    size: str = "small",
    *,
    login_file: Path | None = None,
    progress: Callable[[str], None] = lambda message: None,
    now: dt.datetime | None = None,
) -> DemoLogin:
    """Load demo data of the given size; raise DemoNotLoaded if the database holds records."""
    if ApiToken.objects.filter(user__username=ADMIN, name=TOKEN_NAME).exists():
        raise DemoAlreadyLoaded("Demo data is already loaded; nothing done.")
    if reason := already_present():
        raise DemoNotLoaded(reason)
    plan, rng = SIZES[size], random.Random(seed)
    now = now or timezone.now()
    started = time.monotonic()
    with transaction.atomic(), explicit_timestamps(Lead, Account, Contact, Opportunity, Activity):
        staff = build_staff(rng, plan.reps_per_team, now)
        world = World.build(rng, now, staff)
        companies = company_catalog(rng, plan.companies)
        book = Book()
        add_customers(world, book, companies[: plan.customers])
        progress(f"Building {plan.leads:,} leads, their conversions and deals (seed {seed})...")
        leads = build_leads(world, companies, plan.leads)
        conversions = convert(world, book, leads)
        deals = [_conversion_deal(world, c) for c in conversions if c.with_opportunity]
        for conversion, deal in zip(
            [c for c in conversions if c.with_opportunity], deals, strict=True
        ):
            conversion.lead.converted_opportunity = deal.opportunity
        accounts = list(book.accounts.values())
        deals += [
            _direct_deal(world, book, accounts)
            for _ in range(max(plan.opportunities - len(deals), 0))
        ]
        activities = lead_activities(world, leads) + deal_activities(world, deals)
        activities += account_activities(world, book.customers)
        progress("Saving...")
        _save(book, leads, deals, activities)
        quotas = set_quotas(world, deals)
        _, token = ApiToken.issue(staff.admin, TOKEN_NAME, TokenScope.ADMIN)
    summary = (
        f"{len(staff.everyone)} users in {len(staff.teams)} teams, {len(leads):,} leads "
        f"({len(conversions):,} converted), {len(book.accounts):,} accounts, "
        f"{len(book.contacts):,} contacts, {len(deals):,} opportunities, "
        f"{sum(len(d.history) for d in deals):,} history rows, {len(activities):,} activities, "
        f"{quotas} quotas in {time.monotonic() - started:.1f}s"
    )
    login = _login(staff, token, summary)
    if login_file is not None:
        login_file.parent.mkdir(parents=True, exist_ok=True)
        login_file.write_text(login.text() + "\n")
        login_file.chmod(0o600)
    return login


def _login(staff: Staff, token: str, summary: str) -> DemoLogin:
    manager = staff.managers["East"]
    rep = staff.reps["East"][0]
    shown = {staff.admin.username, manager.username, rep.username}
    others = tuple(u.username for u in staff.everyone if u.username not in shown)
    return DemoLogin(
        admin=(staff.admin.username, staff.admin_password),
        manager=(manager.username, staff.password),
        rep=(rep.username, staff.password),
        others=others,
        token=token,
        summary=summary,
    )
