"""Bulk actions on a record list: change owner, change status (leads) or stage
(opportunities), delete to the recycle bin. All or nothing: every selected record goes
through its service and the access policy inside ONE transaction; if any one is refused,
the transaction is rolled back and the caller learns which records and why.

Leads' owner and status changes use ``update_leads`` (set-based: a few queries whatever the
number); the other services take one record at a time, each in a savepoint so a refusal
leaves the transaction usable for collecting the rest of the refusals.
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


def _lead_changes(actor: User, leads: Sequence[Any], change: BulkChange) -> list[Refusal]:
    from opportune.leads.schemas import LeadChanges
    from opportune.leads.services import update_leads

    if change.action == "owner":
        changes = LeadChanges(owner_id=change.owner_id)
    else:
        changes = LeadChanges(status=change.status, disqualify_reason=change.reason or None)
    results = update_leads(actor, [(lead.pk, changes) for lead in leads])
    return [
        Refusal(lead.pk, str(lead), result.detail)
        for lead, result in zip(leads, results, strict=True)
        if isinstance(result, DomainError)
    ]


def _changer(actor: User, kind: str, change: BulkChange) -> Callable[[Any], object]:
    """The service call that applies ``change`` to one record of the kind."""
    if change.action == "delete":
        from opportune.audit.bin import delete_record

        return lambda record: delete_record(actor, record)
    if kind == "opportunities":
        from opportune.opportunities.services import change_opportunity

        values: dict[str, Any] = (
            {"owner_id": change.owner_id} if change.action == "owner" else {"stage": change.stage}
        )
        return lambda record: change_opportunity(actor, record, values)
    if kind == "accounts":
        from opportune.accounts.schemas import AccountChanges
        from opportune.accounts.services import save_account

        account_changes = AccountChanges(owner_id=change.owner_id)
        return lambda record: save_account(actor, account_changes, record)
    from opportune.accounts.schemas import ContactChanges
    from opportune.accounts.services import save_contact

    contact_changes = ContactChanges(owner_id=change.owner_id)
    return lambda record: save_contact(actor, contact_changes, record)


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
        if kind == "leads" and change.action in {"owner", "status"}:
            refusals += _lead_changes(actor, records, change)
        else:
            refusals += _one_by_one(records, _changer(actor, kind, change))
        if refusals:
            raise BulkRefused(refusals)  # leaving the block rolls every change back
    return len(records)
