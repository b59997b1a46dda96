"""What can happen to a lead: creation, edits, status changes and disqualification.

Conversion, the step that turns a lead into account, contact and opportunity, lives in
``conversion.py`` beside this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from opportune.audit.services import record_changes, snapshot
from opportune.capture.services import assign_owner
from opportune.errors import Conflict, RuleViolation, field_error
from opportune.identity.services import assignable_owner, require_writer
from opportune.schemas import blank_strings

from .models import Lead, LeadStatus
from .schemas import LeadChanges, LeadCreate

if TYPE_CHECKING:
    from opportune.identity.models import User

TEXT_FIELDS = {
    f.name
    for f in Lead._meta.concrete_fields
    if f.get_internal_type() in {"CharField", "TextField", "EmailField"}
}
TRACKED_FIELDS = [
    f.name
    for f in Lead._meta.concrete_fields
    if f.name not in {"id", "created_at", "updated_at", "last_activity_at"}
]


def settable_status(status: LeadStatus | None, key: str) -> LeadStatus:
    """The status a lead may be given by editing or importing (not `converted`)."""
    if status is None:
        raise field_error("status", f"Unknown lead status '{key}'.")
    if status.is_converted:
        raise field_error("status", "A lead becomes converted only by converting it.")
    return status


def check_disqualification(status: LeadStatus, disqualify_reason: str) -> None:
    """A closed, unconverted status (unqualified) needs the reason the lead was dropped."""
    if status.requires_reason and not disqualify_reason.strip():
        raise field_error(
            "disqualify_reason", f"A reason is required to set the status '{status.key}'."
        )


def _apply(lead: Lead, values: dict[str, Any]) -> None:
    values = blank_strings(values, TEXT_FIELDS)
    if "status" in values:
        key = str(values.pop("status"))
        lead.status = settable_status(LeadStatus.objects.filter(key=key).first(), key)
    if "owner_id" in values:
        lead.owner = assignable_owner(values.pop("owner_id"))  # type: ignore[arg-type]
    for name, value in values.items():
        setattr(lead, name, value)
    if lead.company == "" or lead.last_name == "":
        raise RuleViolation(
            "Last name and company are required.",
            {
                k: ["This field is required."]
                for k in ("last_name", "company")
                if not getattr(lead, k)
            },
        )


@transaction.atomic
def create_lead(actor: User, data: LeadCreate, *, default_owner: User | None = None) -> Lead:
    """A new lead, owned by the given owner, else ``default_owner``, else the owner the
    assignment rules give it, else its creator."""
    require_writer(actor)
    lead = Lead(status=LeadStatus.objects.get(is_default=True))
    values = data.model_dump(exclude_unset=True)
    owner_given = values.get("owner_id") is not None
    if not owner_given:
        values.pop("owner_id", None)
    _apply(lead, values)
    if not owner_given:
        lead.owner = default_owner or assign_owner(lead) or actor
    check_disqualification(lead.status, lead.disqualify_reason)
    lead.save()
    return lead


@transaction.atomic
def update_lead(actor: User, lead: Lead, changes: LeadChanges) -> Lead:
    """Apply a partial change; a converted lead is read-only."""
    require_writer(actor)
    # Lock the bare row: joined into a locking query, status would be locked too (so every
    # edit of a lead in that status queued behind this one) and PostgreSQL would drop the row
    # if a concurrent conversion changed its status_id while we waited (a 404, not a 409).
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.is_converted:
        raise Conflict(
            "This lead was converted and is read-only; edit its account, contact or opportunity."
        )
    before = snapshot(lead, TRACKED_FIELDS)
    values = changes.model_dump(exclude_unset=True)
    _apply(lead, values)
    check_disqualification(lead.status, lead.disqualify_reason)
    lead.save()
    record_changes(actor, lead, before, snapshot(lead, TRACKED_FIELDS))
    return lead


def disqualify_lead(actor: User, lead: Lead, reason: str, status: str = "unqualified") -> Lead:
    return update_lead(actor, lead, LeadChanges(status=status, disqualify_reason=reason))
