"""Opportunities and their stage history: each deal is opened at a past moment, then walks
forward through the pipeline, sometimes changing amount or close date, until today or until
it is won or lost. The history rows are exactly what ``change_opportunity`` would append."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from opportune.accounts.models import Account, Contact
from opportune.fiscal import fiscal_quarter_end
from opportune.identity.models import User
from opportune.opportunities.models import (
    ContactRole,
    ContactRoleKind,
    Opportunity,
    OpportunityHistory,
    OpportunityType,
    Stage,
)

from .vocabulary import NEXT_STEPS
from .world import World

WIN_RATE = {"referral": 0.45, "partner": 0.4, "event": 0.33, "cold_call": 0.2}
LOST_REASON_WEIGHTS = {
    "price": 25, "competitor": 25, "no_decision": 20, "no_budget": 15, "timing": 10,
    "product_fit": 8,
}  # fmt: skip


@dataclass
class Deal:
    opportunity: Opportunity
    history: list[OpportunityHistory] = field(default_factory=list)
    stage_moments: list[tuple[Stage, dt.datetime]] = field(default_factory=list)
    roles: list[ContactRole] = field(default_factory=list)


@dataclass
class Change:
    at: dt.datetime
    stage: Stage | None = None
    amount: Decimal | None = None
    close_date: dt.date | None = None
    push: bool = False  # move the close date one to three months later


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def deal_amount(world: World, account: Account) -> Decimal:
    low, high = (30, 350) if (account.employees or 0) >= 1000 else (3, 60)
    return Decimal(round(world.rng.uniform(low, high) * 10) * 100)


def _path(world: World, reached: int, *, skip: float) -> list[Stage]:
    """The open stages from the first up to ``reached``; some middle ones are skipped."""
    stages = world.open_stages[: reached + 1]
    return [s for i, s in enumerate(stages) if i in (0, reached) or world.rng.random() > skip]


def _stage_changes(world: World, created: dt.datetime, source: str, cycle: float) -> list[Change]:
    rng, now = world.rng, world.now
    age = (now - created).total_seconds() / 86400
    last = len(world.open_stages) - 1
    closes = age > cycle and rng.random() > 0.08  # a few old deals stall, never closed
    if closes and rng.random() < WIN_RATE.get(source, 0.3):
        path, outcome = _path(world, last, skip=0.25)[1:], world.won_stage
    elif closes:
        weights = [8, 8, 7, 6, 5, 4, 3, 2][: last + 1]
        reached = rng.choices(range(last + 1), weights=weights + [2] * (last + 1 - len(weights)))[0]
        path, outcome = _path(world, reached, skip=0.15)[1:], world.lost_stage
    elif age > cycle:  # stalled somewhere along the way
        path, outcome = _path(world, rng.randint(0, last), skip=0.15)[1:], None
    else:
        reached = min(last, max(0, round(age / cycle * last + rng.uniform(-1.5, 1.5))))
        path, outcome = _path(world, reached, skip=0.15)[1:], None
    if outcome is not None:
        end = min(created + dt.timedelta(days=cycle * rng.uniform(0.8, 1.2)), world.days_ago(0.1))
        path.append(outcome)
    else:
        end = created + (now - created) * rng.uniform(0.5, 0.97)
    moments = sorted(world.moment(created, end) for _ in path)
    if outcome is not None and moments:
        moments[-1] = end
    return [Change(at, stage=stage) for at, stage in zip(moments, path, strict=True)]


def _other_changes(
    world: World, created: dt.datetime, until: dt.datetime, amount: Decimal | None
) -> list[Change]:
    """Amount revisions and close-date pushes between the stage changes."""
    rng = world.rng
    changes = []
    if amount is not None and rng.random() < 0.25:
        revised = Decimal(round(float(amount) * rng.uniform(0.7, 1.25) / 100) * 100)
        changes.append(Change(world.moment(created, until), amount=max(revised, Decimal(500))))
    for _ in range(rng.choices((0, 1, 2), weights=(65, 25, 10))[0]):
        changes.append(Change(world.moment(created, until), push=True))
    return changes


def _replay(world: World, deal: Deal, changes: list[Change], actor: User | None) -> None:
    """Apply the changes in time order, appending one history row per change."""
    opp = deal.opportunity
    for change in sorted(changes, key=lambda c: c.at):
        previous_amount, previous_close_date = opp.amount, opp.close_date
        if change.stage is not None:
            opp.stage = change.stage
            opp.probability = change.stage.default_probability
            opp.forecast_category = change.stage.forecast_category
            opp.is_closed, opp.is_won = change.stage.is_closed, change.stage.is_won
            opp.stage_changed_at = change.at
            deal.stage_moments.append((change.stage, change.at))
            if change.stage.is_closed:
                opp.closed_at = change.at
                opp.close_date = change.at.date()
        if change.amount is not None:
            opp.amount = change.amount
        if change.close_date is not None:
            opp.close_date = change.close_date
        elif change.push:
            pushed = opp.close_date + dt.timedelta(days=world.rng.randint(25, 90))
            opp.close_date = month_end(pushed)
        opp.updated_at = change.at
        deal.history.append(_history(opp, change.at, actor, previous_amount, previous_close_date))


def _history(
    opp: Opportunity,
    at: dt.datetime,
    actor: User | None,
    previous_amount: Decimal | None = None,
    previous_close_date: dt.date | None = None,
) -> OpportunityHistory:
    return OpportunityHistory(
        opportunity=opp, deal_owner_id=opp.owner_id, stage=opp.stage, amount=opp.amount,
        probability=opp.probability,
        close_date=opp.close_date, forecast_category=opp.forecast_category,
        previous_amount=previous_amount, previous_close_date=previous_close_date,
        changed_by=actor, changed_at=at,
    )  # fmt: skip


def open_deal(
    world: World,
    *,
    name: str,
    account: Account,
    contact: Contact | None,
    owner: User,
    created: dt.datetime,
    amount: Decimal | None,
    type: str,
    lead_source: str = "",
    campaign: str = "",
    close_date: dt.date | None = None,
) -> Deal:
    """A deal opened at ``created`` in the first open stage, then lived until today."""
    rng = world.rng
    enterprise = (account.employees or 0) >= 1000
    cycle = rng.uniform(60, 200) if enterprise else rng.uniform(25, 110)  # days to close
    first = world.open_stages[0]
    opp = Opportunity(
        name=name[:120], account=account, primary_contact=contact, owner=owner,
        pipeline=world.pipeline, stage=first, amount=amount,
        probability=first.default_probability, forecast_category=first.forecast_category,
        close_date=close_date or month_end((created + dt.timedelta(days=cycle)).date()),
        type=type, lead_source=lead_source, campaign=campaign, stage_changed_at=created,
        created_at=created, updated_at=created,
    )  # fmt: skip
    deal = Deal(opp, stage_moments=[(first, created)])
    deal.history.append(_history(opp, created, owner))

    changes = _stage_changes(world, created, lead_source, cycle)
    until = next((c.at for c in changes if c.stage and c.stage.is_closed), world.now)
    _replay(world, deal, changes + _other_changes(world, created, until, amount), owner)
    if opp.is_closed and not opp.is_won:
        reasons = world.lost_reasons
        opp.lost_reason = rng.choices(
            reasons, weights=[LOST_REASON_WEIGHTS.get(r.key, 4) for r in reasons]
        )[0]
    if not opp.is_closed:
        opp.next_step = rng.choice(NEXT_STEPS)
        if opp.close_date < world.now.date() and rng.random() < 0.75:
            # Pipeline hygiene: most reps move an overdue close date into the future.
            since = max(deal.history[-1].changed_at, world.days_ago(10))
            later = (world.now + dt.timedelta(days=rng.randint(10, 100))).date()
            change = Change(world.moment(since, world.now), close_date=month_end(later))
            _replay(world, deal, [change], owner)
    if contact is not None:
        kind = rng.choice((ContactRoleKind.DECISION_MAKER, ContactRoleKind.ECONOMIC_BUYER))
        deal.roles.append(ContactRole(opportunity=opp, contact=contact, is_primary=True, role=kind))
    return deal


def default_close_date(day: dt.date) -> dt.date:
    """What conversion proposes: the end of the current fiscal quarter."""
    return fiscal_quarter_end(day)


DIRECT_TYPES = {
    OpportunityType.NEW_BUSINESS: 30, OpportunityType.EXISTING_UPGRADE: 45,
    OpportunityType.EXISTING_REPLACEMENT: 15, OpportunityType.EXISTING_DOWNGRADE: 10,
}  # fmt: skip
