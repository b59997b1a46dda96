"""What can happen to a lead: creation, edits, status changes and disqualification.

Conversion, the step that turns a lead into account, contact and opportunity, lives in
``conversion.py`` beside this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from opportune import multirow
from opportune.audit.services import field_changes, record_creation, snapshot, write_history
from opportune.capture.services import assign_owner
from opportune.customfields.models import CustomField, Kind
from opportune.customfields.services import apply_custom, fields_of
from opportune.errors import Conflict, DomainError, RuleViolation, field_error
from opportune.identity import policy
from opportune.identity.models import User
from opportune.schemas import blank_strings

from .models import MATCH_KEY_FIELDS, Lead, LeadStatus
from .schemas import LeadChanges, LeadCreate

TEXT_FIELDS = {
    f.name
    for f in Lead._meta.concrete_fields
    if f.get_internal_type() in {"CharField", "TextField", "EmailField"}
}
# What the field history records: the lead's own fields, not its dates or match keys.
TRACKED_FIELDS = [
    f.name
    for f in Lead._meta.concrete_fields
    if f.name
    not in {
        "id",
        "created_at",
        "updated_at",
        "last_activity_at",
        "deleted_at",  # the recycle bin records its own rows
        "deleted_by",
        "score_reasons",  # derived by the scorer with the score, not an edit
        *MATCH_KEY_FIELDS,
    }
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


class _Lookups:
    """The statuses and owners that lead writes name, each read once however many leads a
    batch changes."""

    def __init__(self) -> None:
        self._statuses: dict[str, LeadStatus] | None = None
        self._owners: dict[int | None, User | DomainError | None] = {None: None}
        self._custom_fields: dict[str, CustomField] | None = None

    def custom_fields(self) -> dict[str, CustomField]:
        if self._custom_fields is None:
            self._custom_fields = {f.key: f for f in fields_of(Kind.LEAD)}
        return self._custom_fields

    def statuses(self) -> dict[str, LeadStatus]:
        if self._statuses is None:
            self._statuses = {s.key: s for s in LeadStatus.objects.all()}
        return self._statuses

    def status_by_id(self, pk: int) -> LeadStatus:
        return next(s for s in self.statuses().values() if s.pk == pk)

    def owner(self, owner_id: int | None) -> User | None:
        """``assignable_owner``, remembered (its refusal too)."""
        if owner_id not in self._owners:
            try:
                self._owners[owner_id] = policy.assignable_owner(owner_id, policy.LEAD)
            except DomainError as refused:
                self._owners[owner_id] = refused
        found = self._owners[owner_id]
        if isinstance(found, DomainError):
            raise found
        return found


def _apply(lead: Lead, values: dict[str, Any], lookups: _Lookups) -> None:
    values = blank_strings(values, TEXT_FIELDS)
    custom = values.pop("custom", None)
    if custom or lead.pk is None:
        apply_custom(
            lead, Kind.LEAD, custom, creating=lead.pk is None, fields=lookups.custom_fields()
        )
    if "status" in values:
        key = str(values.pop("status"))
        lead.status = settable_status(lookups.statuses().get(key), key)
    if "owner_id" in values:
        lead.owner = lookups.owner(values.pop("owner_id"))
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
    policy.require(actor, policy.Verb.CREATE, Lead)
    lead = Lead(status=LeadStatus.default())
    values = data.model_dump(exclude_unset=True)
    owner_given = values.get("owner_id") is not None
    if not owner_given:
        values.pop("owner_id", None)
    _apply(lead, values, _Lookups())
    if not owner_given:
        lead.owner = default_owner or assign_owner(lead) or actor
    check_disqualification(lead.status, lead.disqualify_reason)
    lead.save()
    record_creation(actor, lead)
    _score([lead], new=True)
    return lead


def update_lead(actor: User, lead: Lead, changes: LeadChanges) -> Lead:
    """Apply a partial change; a converted lead is read-only."""
    updated = update_leads(actor, [(lead.pk, changes)])[0]
    if isinstance(updated, DomainError):
        raise updated
    return updated


@transaction.atomic
def update_leads(
    actor: User, changes: Sequence[tuple[int, LeadChanges]]
) -> list[Lead | DomainError]:
    """Apply each partial change to its lead, in one transaction and a few queries whatever
    their number (imports update thousands). A change that is refused (a converted lead, an
    unknown status...) is answered as its error, in the change's place; the others apply.
    The caller has found each lead among those the actor sees."""
    policy.require_writer(actor)
    # Lock the bare rows: joined into a locking query, statuses would be locked too (so every
    # edit of a lead in that status queued behind this one) and PostgreSQL would drop a row
    # if a concurrent conversion changed its status_id while we waited (a 404, not a 409).
    locked = Lead.objects.select_for_update().filter(pk__in=[pk for pk, _ in changes])
    leads = {lead.pk: lead for lead in locked.order_by("pk")}  # one order: no deadlocks
    lookups = _Lookups()
    owners = User.objects.in_bulk({lead.owner_id for lead in leads.values() if lead.owner_id})
    results: list[Lead | DomainError] = []
    history = []
    saves: dict[tuple[str, ...], dict[int, Lead]] = {}  # by the fields they change
    for pk, change in changes:
        lead = leads.get(pk)
        try:
            if lead is None:
                raise Conflict("This lead was deleted meanwhile.")
            policy.require(actor, policy.Verb.CHANGE, lead)
            if lead.is_converted:
                raise Conflict(
                    "This lead was converted and is read-only; edit its account, contact or "
                    "opportunity."
                )
            lead.status = lookups.status_by_id(lead.status_id)
            lead.owner = owners.get(lead.owner_id)
            before = snapshot(lead, TRACKED_FIELDS)
            _apply(lead, change.model_dump(exclude_unset=True), lookups)
            check_disqualification(lead.status, lead.disqualify_reason)
        except DomainError as refused:
            if lead is not None:
                leads[pk] = Lead.objects.get(pk=pk)  # as stored, for a later change of it
            results.append(refused)
            continue
        after = snapshot(lead, TRACKED_FIELDS)
        changed = tuple(name for name in TRACKED_FIELDS if before[name] != after[name])
        if changed:
            lead.fill_match_keys()
            lead.updated_at = timezone.now()
            saves.setdefault(changed, {})[lead.pk] = lead  # its last change wins
            history.extend(field_changes(actor, lead, before, after))
        results.append(lead)
    for changed, saved in saves.items():
        _save_fields(list(saved.values()), changed)
    write_history(history)
    _score([lead for saved in saves.values() for lead in saved.values()])
    return results


def _score(leads: list[Lead], *, new: bool = False) -> None:
    """Score-on-write hook: the written open leads get their predicted score and reasons
    from the active lead model, if there is one (opportune/scoring/leads.py)."""
    from opportune.scoring.leads import score_written  # scoring reads leads: import late

    if leads:
        score_written(leads, new=new)


def _save_fields(leads: list[Lead], names: tuple[str, ...]) -> None:
    """Write the named fields (and the match keys and update time) of leads, with one
    statement for them all: ``Model.save`` compiled every column of every lead, four fifths
    of the time of an import's updates."""
    fields: list[models.Field[Any, Any]] = []
    for name in (*names, *MATCH_KEY_FIELDS, "updated_at"):
        field = Lead._meta.get_field(name)
        assert isinstance(field, models.Field)
        fields.append(field)
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(str(field.column))} = %s" for field in fields)
    rows = [
        [field.get_db_prep_save(getattr(lead, field.attname), connection) for field in fields]
        + [lead.pk]
        for lead in leads
    ]
    table = quote(Lead._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":  # one search-index flush per statement, not per row
            multirow.update(cursor, table, [quote(str(f.column)) for f in fields], rows)
        else:
            cursor.executemany(f"UPDATE {table} SET {assignments} WHERE id = %s", rows)


def disqualify_lead(actor: User, lead: Lead, reason: str, status: str = "unqualified") -> Lead:
    return update_lead(actor, lead, LeadChanges(status=status, disqualify_reason=reason))
