"""Merging 2-5 leads into one, and undoing a merge.

The master keeps its id. Each field takes the value of the lead chosen for it, by default the
master's, else the first non-empty one. Every row that points at a merged lead (activities,
and whatever other app links to leads) moves to the master, as do the merged leads' field
history and external ids (so a later import matching on them updates the master); then the
merged leads are deleted. ``LeadMerge`` keeps what undoing needs: the
master's values before, the merged leads as they were, and the ids of the rows moved.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from opportune.audit.models import FieldChange
from opportune.audit.services import record_changes, snapshot
from opportune.errors import Conflict, NotAllowed, RuleViolation, field_error
from opportune.identity import policy
from opportune.leads.models import MATCH_KEY_FIELDS, Lead
from opportune.leads.schemas import LeadChanges

from .models import LeadMerge

if TYPE_CHECKING:
    from opportune.identity.models import User

# The fields a merge chooses values for: every writable lead field (attribute names).
MERGE_FIELDS = [("status_id" if name == "status" else name) for name in LeadChanges.model_fields]
_SNAPSHOT_FIELDS = [f.attname for f in Lead._meta.concrete_fields]
MAX_LEADS = 5


def _is_empty(value: Any) -> bool:
    return value is None or value == ""


def _row(lead: Lead) -> dict[str, Any]:
    return {name: getattr(lead, name) for name in _SNAPSHOT_FIELDS}


def _links_to_leads() -> list[tuple[type[models.Model], str]]:
    """Every (model, foreign key) that points at Lead, from any app."""
    return [
        (rel.related_model, rel.field.name)
        for rel in Lead._meta.related_objects
        if rel.one_to_many and rel.related_model is not LeadMerge
    ]


# Rows of other apps that name a lead by id without a foreign key (imports' external
# ids...): label -> (function giving the rows, id field). Apps above capture add theirs
# in their AppConfig.ready(), so capture needs not import them.
LEAD_REFERENCES: dict[str, tuple[Callable[[], QuerySet[Any]], str]] = {
    "audit.FieldChange": (lambda: FieldChange.objects.filter(record_type="lead"), "record_id"),
}


def _records_of_leads() -> dict[str, tuple[QuerySet[Any], str]]:
    """Rows that name a lead by id without a foreign key, by label: (rows, id field)."""
    return {label: (rows(), field) for label, (rows, field) in LEAD_REFERENCES.items()}


def chosen_values(master: Lead, others: list[Lead], choices: dict[str, int]) -> dict[str, Any]:
    """The merged value of each field: the chosen lead's, else the master's, else the first
    non-empty one among the others (in the order given)."""
    by_id = {lead.pk: lead for lead in [master, *others]}
    values: dict[str, Any] = {}
    for field in MERGE_FIELDS:
        choice = choices.get(field) or choices.get(field.removesuffix("_id"))
        if choice is not None:
            if choice not in by_id:
                raise field_error(f"fields.{field}", f"Lead {choice} is not part of this merge.")
            values[field] = getattr(by_id[choice], field)
            continue
        value = getattr(master, field)
        if _is_empty(value):
            value = next(
                (getattr(o, field) for o in others if not _is_empty(getattr(o, field))), value
            )
        values[field] = value
    return values


@transaction.atomic
def merge_leads(
    actor: User, master_id: int, lead_ids: list[int], choices: dict[str, int] | None = None
) -> LeadMerge:
    """Merge the leads into the master, in one transaction. All must be visible to the actor
    (else 404) and none converted."""
    policy.require_writer(actor)
    ids = list(dict.fromkeys([master_id, *lead_ids]))
    if not 2 <= len(ids) <= MAX_LEADS:
        raise field_error("lead_ids", f"Merge between 2 and {MAX_LEADS} different leads.")
    visible = Lead.objects.visible_to(actor)
    for pk in ids:
        get_object_or_404(visible, pk=pk)
    locked = {lead.pk: lead for lead in Lead.objects.select_for_update().filter(pk__in=ids)}
    if len(locked) != len(ids):
        raise Conflict("A lead of this merge was deleted meanwhile.")
    converted = [pk for pk in ids if locked[pk].is_converted]
    if converted:
        raise Conflict(f"Converted leads cannot be merged: {', '.join(map(str, converted))}.")
    master = locked[master_id]
    others = [locked[pk] for pk in ids[1:]]
    values = chosen_values(master, others, choices or {})

    before = snapshot(master, MERGE_FIELDS)
    merge = LeadMerge(
        merged_by=actor,
        master_before={k: v for k, v in before.items() if v != values[k]},
        merged_leads=[_row(o) for o in others],
    )
    moved: dict[str, dict[str, list[int]]] = {}
    for model, fk in _links_to_leads():
        label = f"{model._meta.label}.{fk}"
        for other in others:
            rows = model._base_manager.filter(**{fk: other.pk})
            pks = list(rows.values_list("pk", flat=True))
            if pks:
                rows.update(**{fk: master.pk})
                moved.setdefault(label, {})[str(other.pk)] = pks
    for label, (records, id_field) in _records_of_leads().items():
        for other in others:
            rows = records.filter(**{id_field: other.pk})
            pks = list(rows.values_list("pk", flat=True))
            if pks:
                rows.update(**{id_field: master.pk})
                moved.setdefault(label, {})[str(other.pk)] = pks
    merge.moved = moved

    Lead.objects.filter(pk__in=[o.pk for o in others]).delete()
    for name, value in values.items():
        setattr(master, name, value)
    master.save()
    record_changes(actor, master, before, snapshot(master, MERGE_FIELDS))
    merged_in = ", ".join(f"#{o.pk} {o}" for o in others)
    record_changes(actor, master, {"merged": ""}, {"merged": merged_in})
    merge.master = master
    merge.save()
    return merge


def edited_since(merge: LeadMerge, master: Lead) -> list[str]:
    """The master's fields the merge set that someone changed after it (from field history):
    undoing would silently put back the value from before the merge over that edit."""
    set_by_merge = {name.removesuffix("_id") for name in merge.master_before}
    later = FieldChange.objects.filter(
        record_type="lead", record_id=master.pk, changed_at__gt=merge.merged_at
    ).values_list("field", flat=True)
    return sorted({name.removesuffix("_id") for name in later} & set_by_merge)


def _require_may_undo(actor: User, merge: LeadMerge, master: Lead) -> None:
    """Undo re-creates leads: only whoever may change every lead involved may do it. The one
    who merged (who saw them all) and admins may; anyone else must be able to see and change
    the master and each merged lead as it stood, by its snapshot's owner. Asked of the
    restored rows themselves (the caller's transaction rolls them back on refusal), so the
    answer is the policy's, not a copy of its rules."""
    policy.require(actor, policy.Verb.CHANGE, master)
    if policy.knows_merged_leads(actor, merge):
        return
    restored = list(policy.visible(actor, Lead).filter(pk__in=merge.merged_ids))
    if len(restored) != len(merge.merged_ids) or not all(
        policy.may(actor, policy.Verb.CHANGE, lead) for lead in restored
    ):
        raise NotAllowed(
            "This merge took in leads you may not see or change: the user who merged them, "
            "or an admin, may undo it."
        )


@transaction.atomic
def undo_merge(actor: User, merge_id: int) -> LeadMerge:
    """Bring the merged leads back with their ids, rows and history, and restore the master's
    values as they were before the merge.

    Refused (409, naming the fields) when a field the merge set on the master was edited
    since: undoing would drop that edit. Edits to fields the merge did not set are kept."""
    policy.require_writer(actor)
    merge = get_object_or_404(LeadMerge.objects.select_for_update(), pk=merge_id)
    if merge.master_id is None:
        raise Conflict("The master lead of this merge was deleted; it cannot be undone.")
    # of=self: the visibility filter may outer-join the owner, which PostgreSQL cannot lock.
    master = policy.get_visible(
        actor, Lead.objects.select_for_update(of=("self",)), merge.master_id
    )
    if merge.undone_at is not None:
        raise Conflict("This merge was already undone.")
    if master.is_converted:
        raise Conflict("The master lead was converted since; the merge cannot be undone.")
    edited = edited_since(merge, master)
    if edited:
        message = "Changed on the master since the merge; undoing would lose the change."
        raise Conflict(
            f"The master lead was edited since the merge ({', '.join(edited)}): change those "
            "fields back, or keep the merge.",
            {name: [message] for name in edited},
        )
    if Lead.objects.filter(pk__in=merge.merged_ids).exists():
        raise RuleViolation("A lead with a merged lead's id exists again.")

    for row in merge.merged_leads:
        restored = Lead(
            **{
                f.attname: f.to_python(row[f.attname])
                for f in Lead._meta.concrete_fields
                if f.attname in row and f.attname not in MATCH_KEY_FIELDS
            }
        )
        restored.save(force_insert=True)
        # save() stamps the auto dates anew; put back the ones the lead had.
        Lead.objects.filter(pk=restored.pk).update(
            created_at=Lead._meta.get_field("created_at").to_python(row["created_at"]),
            updated_at=Lead._meta.get_field("updated_at").to_python(row["updated_at"]),
        )
    links = {f"{m._meta.label}.{fk}": (m._base_manager.all(), fk) for m, fk in _links_to_leads()}
    links.update(_records_of_leads())
    for label, per_lead in merge.moved.items():
        if label not in links:
            continue  # an app that no longer links to leads
        rows, id_field = links[label]
        for lead_id, pks in per_lead.items():
            rows.filter(pk__in=pks, **{id_field: master.pk}).update(**{id_field: int(lead_id)})
    _require_may_undo(actor, merge, master)

    before = snapshot(master, MERGE_FIELDS)
    for name, value in merge.master_before.items():
        field = Lead._meta.get_field(name)
        assert isinstance(field, models.Field)
        setattr(master, name, field.to_python(value))
    master.save()
    record_changes(actor, master, before, snapshot(master, MERGE_FIELDS))
    merge.undone_at = timezone.now()
    merge.undone_by = actor
    merge.save(update_fields=["undone_at", "undone_by"])
    return merge
