"""Logging activities on records and completing tasks."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from opportune.accounts.models import Account, Contact
from opportune.audit.services import record_changes, record_creation, snapshot, tracked_fields
from opportune.errors import RuleViolation, field_error
from opportune.identity import policy
from opportune.leads.models import Lead
from opportune.opportunities.models import Opportunity

from .models import Activity, ActivityKind
from .schemas import ActivityChanges

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from opportune.identity.models import User

LINKS: dict[str, type[Lead] | type[Account] | type[Contact] | type[Opportunity]] = {
    "lead_id": Lead,
    "account_id": Account,
    "contact_id": Contact,
    "opportunity_id": Opportunity,
}

ACTIVITY_FIELDS = tracked_fields(Activity)


def _link(
    actor: User,
    activity: Activity,
    field: str,
    record_id: int | None,
    when: dt.datetime | None = None,
) -> None:
    record = None
    if record_id is not None:
        record = LINKS[field].objects.visible_to(actor).filter(pk=record_id).first()
        if record is None:
            raise field_error(field, f"No record {record_id} that you can see.")
        if (
            isinstance(record, Lead)
            and record.is_converted
            and activity.pk is None
            and not _before_conversion(record, when)
        ):
            raise field_error(field, "The lead was converted; log on its contact or opportunity.")
    setattr(activity, field.removesuffix("_id"), record)


def _before_conversion(lead: Lead, when: dt.datetime | None) -> bool:
    """Whether an activity dated ``when`` (an import's history) happened while the lead was
    open: before its conversion, or at any time when it was converted before the import
    (no conversion date)."""
    if when is None:
        return False
    return lead.converted_at is None or when <= lead.converted_at


@transaction.atomic
def save_activity(
    actor: User,
    changes: ActivityChanges,
    activity: Activity | None = None,
    *,
    when: dt.datetime | None = None,
) -> Activity:
    """Log a new activity (no ``activity``) or change one; the lead's last activity moves.
    ``when`` dates what happened before (an import's done date): a done activity is done
    then, and the lead's last activity moves to it unless it has a later one."""
    if activity is not None:
        policy.require(actor, policy.Verb.CHANGE, activity)
    policy.require_writer(actor)
    activity = activity or Activity(owner=actor)
    new = activity.pk is None
    before = snapshot(activity, ACTIVITY_FIELDS)
    values: dict[str, Any] = changes.model_dump(exclude_unset=True)
    for field in LINKS:
        if field in values:
            _link(actor, activity, field, values.pop(field), when)
    if "owner_id" in values:
        activity.owner = policy.assignable_owner(values.pop("owner_id"), policy.ACTIVITY)
    for name, value in values.items():
        if name in {"kind", "subject", "is_done"} and value is None:
            raise field_error(name, "This field may not be null.")
        setattr(activity, name, "" if value is None and name == "body" else value)
    if not any(
        getattr(activity, f) for f in ("lead_id", "account_id", "contact_id", "opportunity_id")
    ):
        raise RuleViolation(
            "An activity concerns a record: "
            "give lead_id, account_id, contact_id or opportunity_id.",
            {"lead_id": ["Link the activity to a record."]},
        )
    policy.require(actor, policy.Verb.CHANGE if activity.pk else policy.Verb.CREATE, activity)
    if activity.start_at and activity.end_at and activity.end_at < activity.start_at:
        raise field_error("end_at", "The end is before the start.")
    done_at = activity.done_at or when or timezone.now()
    activity.done_at = done_at if activity.is_done else None
    activity.save()
    if new:
        record_creation(actor, activity)
    else:
        record_changes(actor, activity, before, snapshot(activity, ACTIVITY_FIELDS))
    if activity.lead_id and when is None:
        Lead.objects.filter(pk=activity.lead_id).update(last_activity_at=timezone.now())
    elif activity.lead_id and when is not None:
        later = Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=when)
        Lead.objects.filter(later, pk=activity.lead_id).update(last_activity_at=when)
    return activity


def timeline(user: User, **record: Lead | Account | Contact | Opportunity) -> QuerySet[Activity]:
    """The activities of one record, newest first; an account's include those of its
    contacts and opportunities. Call as ``timeline(user, account=acme)``."""
    ((kind, obj),) = record.items()
    condition = Q(**{kind: obj})
    if kind == "account":
        condition |= Q(contact__account=obj) | Q(opportunity__account=obj)
    return (
        Activity.objects.visible_to(user)
        .filter(condition)
        .select_related("owner")
        .order_by("-created_at", "-pk")
    )


def next_open_task(user: User, **record: Lead | Account | Contact | Opportunity) -> Activity | None:
    return (
        timeline(user, **record)
        .filter(kind=ActivityKind.TASK, is_done=False)
        # NULLs sort first on SQLite and last on PostgreSQL: say where undated tasks go.
        .order_by(F("due_date").asc(nulls_last=True), "pk")
        .first()
    )
