"""Bulk actions on a record list: change owner, change status (leads) or stage
(opportunities), delete to the recycle bin. All or nothing: every selected record goes
through its service and the access policy inside ONE transaction; if any one is refused,
the transaction is rolled back and the caller learns which records and why.

Owner, status and stage changes go to each kind's set-based batch service (``update_leads``,
``reassign_accounts``, ``reassign_contacts``, ``reassign_opportunities``,
``move_opportunities``: a few queries whatever the number, each record answered as itself
or its refusal). A stage change moves each deal to the stage of that key in its OWN
pipeline; a deal whose pipeline has none is refused by name, so the whole action is.
Deleting still goes one record at a time through the recycle bin's service, each in a
savepoint so a refusal leaves the transaction usable for collecting the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Model

from opportune.errors import DomainError
from opportune.identity import policy
from opportune.identity.models import User

from .registry import LISTS

NOT_FOUND = "Not found: deleted meanwhile, or not visible to you."


@dataclass(frozen=True)
class BulkChange:
    action: str  # owner, status, stage, delete
    owner_id: int | None = None
    status: str = ""
    reason: str = ""
    stage: str = ""


@dataclass(frozen=True)
class Refusal:
    record_id: int
    label: str
    reason: str


class BulkRefused(Exception):
    """Some records were refused, so nothing was written."""

    def __init__(self, refusals: list[Refusal]) -> None:
        super().__init__(f"{len(refusals)} records refused")
        self.refusals = refusals


def _model(kind: str) -> type[Model]:
    model: type[Model] = LISTS[kind].filterset._meta.model
    return model


def _one_by_one(records: Sequence[Any], apply: Callable[[Any], object]) -> list[Refusal]:
    refusals = []
    for record in records:
        try:
            with transaction.atomic():
                apply(record)
        except DomainError as refused:
            refusals.append(Refusal(record.pk, str(record), refused.detail))
    return refusals


def _batch(actor: User, kind: str, ids: list[int], change: BulkChange) -> list[Any]:
    """The kind's set-based batch service for an owner, status or stage change: each record
    answered as itself or its refusal (a ``DomainError``), in the order of ``ids``."""
    if kind == "leads":
        from opportune.leads.schemas import LeadChanges
        from opportune.leads.services import update_leads

        if change.action == "owner":
            changes = LeadChanges(owner_id=change.owner_id)
        else:
            changes = LeadChanges(status=change.status, disqualify_reason=change.reason or None)
        return list(update_leads(actor, [(pk, changes) for pk in ids]))
    if kind == "opportunities":
        from opportune.opportunities import services

        if change.action == "stage":
            return list(
                services.move_opportunities(actor, ids, change.stage, change.reason or None)
            )
        return list(services.reassign_opportunities(actor, ids, change.owner_id))
    from opportune.accounts.services import reassign_accounts, reassign_contacts

    reassign = reassign_accounts if kind == "accounts" else reassign_contacts
    return list(reassign(actor, ids, change.owner_id))


def apply_bulk(actor: User, kind: str, ids: Sequence[int], change: BulkChange) -> int:
    """Apply ``change`` to the records ``ids`` names (all visible to ``actor``) and answer
    how many; raises ``BulkRefused`` (nothing written) if any is missing or refused."""
    policy.require_writer(actor)
    with transaction.atomic():
        records = list(policy.visible(actor, _model(kind)).filter(pk__in=ids).order_by("pk"))
        found = {record.pk for record in records}
        refusals = [
            Refusal(pk, f"#{pk}", NOT_FOUND) for pk in dict.fromkeys(ids) if pk not in found
        ]
        if change.action == "delete":
            from opportune.audit.bin import delete_record

            refusals += _one_by_one(records, lambda record: delete_record(actor, record))
        else:
            results = _batch(actor, kind, [record.pk for record in records], change)
            refusals += [
                Refusal(record.pk, str(record), result.detail)
                for record, result in zip(records, results, strict=True)
                if isinstance(result, DomainError)
            ]
        if refusals:
            raise BulkRefused(refusals)  # leaving the block rolls every change back
    return len(records)
