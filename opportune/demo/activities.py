"""The work around leads and deals: calls, emails, meetings, notes and tasks (done, open and
overdue), dated between the record's creation and today."""

from __future__ import annotations

import datetime as dt

from opportune.accounts.models import Account
from opportune.activities.models import Activity, ActivityKind
from opportune.identity.models import User
from opportune.leads.models import Lead

from .deals import Deal
from .vocabulary import (
    CALL_SUBJECTS,
    EMAIL_SUBJECTS,
    MEETING_SUBJECTS,
    NEXT_STEPS,
    NOTE_SUBJECTS,
    TASK_SUBJECTS,
)
from .world import World

LEAD_ACTIVITY_COUNTS = {
    "new": (0, 1), "working": (0, 2), "nurturing": (0, 2), "qualified": (1, 3),
    "unqualified": (0, 2), "converted": (1, 3),
}  # fmt: skip
KIND_WEIGHTS = {ActivityKind.CALL: 40, ActivityKind.EMAIL: 35, ActivityKind.TASK: 15,
                ActivityKind.NOTE: 10}  # fmt: skip
SUBJECTS: dict[str, tuple[str, ...]] = {
    ActivityKind.CALL: CALL_SUBJECTS, ActivityKind.EMAIL: EMAIL_SUBJECTS,
    ActivityKind.MEETING: MEETING_SUBJECTS, ActivityKind.NOTE: NOTE_SUBJECTS,
    ActivityKind.TASK: TASK_SUBJECTS,
}  # fmt: skip


def _logged(
    world: World,
    kind: str,
    at: dt.datetime,
    since: dt.datetime,
    owner: User | None,
    **links: object,
) -> Activity:
    """An activity that happened at ``at``: a call, email or note, a meeting held, a task done.
    Meetings and tasks were entered earlier, but not before ``since``."""
    rng = world.rng
    activity = Activity(
        kind=kind, subject=rng.choice(SUBJECTS[kind]), owner=owner, created_at=at, updated_at=at,
        is_done=kind != ActivityKind.NOTE, **links,
    )  # fmt: skip
    if kind == ActivityKind.MEETING:
        activity.start_at = at
        activity.end_at = at + dt.timedelta(minutes=rng.choice((30, 45, 60, 90)))
        booked = max(at - dt.timedelta(days=rng.randint(1, 7)), since)
        activity.created_at = activity.updated_at = booked
    if kind == ActivityKind.TASK:
        activity.created_at = max(at - dt.timedelta(days=rng.randint(1, 6)), since)
        activity.due_date = (activity.created_at + dt.timedelta(days=rng.randint(1, 7))).date()
    if activity.is_done:
        activity.done_at = activity.end_at or at
    return activity


def _open_task(world: World, subject: str, owner: User | None, **links: object) -> Activity:
    """A task still to do: due soon, or already overdue."""
    created = world.moment(world.days_ago(14), world.days_ago(0.1))
    due = (world.now + dt.timedelta(days=world.rng.randint(-10, 14))).date()
    return Activity(
        kind=ActivityKind.TASK, subject=subject, owner=owner, due_date=due, is_done=False,
        created_at=created, updated_at=created, **links,
    )  # fmt: skip


def lead_activities(world: World, leads: list[Lead]) -> list[Activity]:
    """Activities logged on leads. Conversion re-links a lead's activities to its contact and
    opportunity (keeping the lead), so converted leads' activities carry all three."""
    rng, activities = world.rng, []
    kinds, weights = list(KIND_WEIGHTS), list(KIND_WEIGHTS.values())
    for lead in leads:
        links: dict[str, object] = {"lead": lead}
        if lead.is_converted:
            links |= {"contact": lead.converted_contact, "opportunity": lead.converted_opportunity}
        low, high = LEAD_ACTIVITY_COUNTS[lead.status.key]
        until = lead.converted_at or lead.updated_at
        own = [
            _logged(world, kind, world.moment(lead.created_at, until), lead.created_at,
                    lead.owner, **links)
            for kind in rng.choices(kinds, weights=weights, k=rng.randint(low, high))
        ]  # fmt: skip
        if lead.status.key in ("new", "working", "qualified") and rng.random() < 0.6:
            own.append(_open_task(world, rng.choice(TASK_SUBJECTS), lead.owner, lead=lead))
        lead.last_activity_at = max((a.created_at for a in own), default=None)
        activities.extend(own)
    return activities


def deal_activities(world: World, deals: list[Deal]) -> list[Activity]:
    """Meetings, calls and emails around stage changes, a note when the deal closes,
    and the next step as an open task (or a meeting booked) while it is open."""
    rng, activities = world.rng, []
    for deal in deals:
        opp = deal.opportunity
        links = {"opportunity": opp, "contact": opp.primary_contact}
        since = opp.created_at
        for stage, at in deal.stage_moments:
            if stage.is_closed:
                outcome = "Won" if stage.is_won else "Lost"
                activities.append(_logged(world, ActivityKind.NOTE, at, since, opp.owner, **links))
                activities[-1].subject = f"{outcome}: {opp.name}"[:255]
                continue
            if rng.random() < 0.5:
                kind = rng.choice((ActivityKind.MEETING, ActivityKind.CALL))
                activities.append(_logged(world, kind, at, since, opp.owner, **links))
            if rng.random() < 0.25:
                later = min(at + dt.timedelta(days=rng.uniform(0.1, 4)), world.days_ago(0.01))
                activities.append(
                    _logged(world, ActivityKind.EMAIL, later, since, opp.owner, **links)
                )
        if not opp.is_closed:
            activities.append(_open_task(world, opp.next_step or rng.choice(NEXT_STEPS),
                                         opp.owner, **links))  # fmt: skip
            if rng.random() < 0.3:
                activities.append(_meeting_booked(world, opp.owner, **links))
    return activities


def _meeting_booked(world: World, owner: User | None, **links: object) -> Activity:
    start = world.now + dt.timedelta(days=world.rng.randint(1, 12), hours=world.rng.randint(0, 6))
    created = world.days_ago(world.rng.uniform(0.2, 5))
    return Activity(
        kind=ActivityKind.MEETING, subject=world.rng.choice(MEETING_SUBJECTS), owner=owner,
        start_at=start, end_at=start + dt.timedelta(hours=1), is_done=False,
        created_at=created, updated_at=created, **links,
    )  # fmt: skip


def account_activities(world: World, accounts: list[Account]) -> list[Activity]:
    """Quarterly business reviews with existing customers."""
    activities = []
    for account in accounts:
        if world.rng.random() < 0.5:
            at = world.moment(world.days_ago(400), world.days_ago(1))
            since = account.created_at
            activity = _logged(
                world, ActivityKind.MEETING, at, since, account.owner, account=account
            )
            activity.subject = "Quarterly business review"
            activities.append(activity)
    return activities
