"""The recycle bin (PRODUCT.md section 8): deleting is soft, restoring brings a record back
with its history, and purging (an admin at once, the worker after the retention period)
removes it for good.

Deleting sets ``deleted_at`` / ``deleted_by``; the default managers then hide the record from
every list, page, report, forecast, duplicate check, import and export. Nothing attached to
it moves: stage history, field history and activities stay, so a restore is exact.

An account is deleted only once its contacts and opportunities are (a 409 lists the live
ones): the simpler of Salesforce's two behaviours, and one where a restore never has to
guess which children went to the bin with their account. For the same reason a contact or an
opportunity whose account is in the bin is restored after its account, not before.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import IntegerField, ProtectedError, Q, Value
from django.utils import timezone

from opportune.errors import Conflict, field_error
from opportune.identity import policy
from opportune.identity.policy import Verb
from opportune.paging import read_cursor, sign_cursor

from .models import Deletable
from .services import record_changes

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from opportune.identity.models import User

# The kinds in the bin, in the order a purge removes them (children before their account).
KINDS = ("activity", "opportunity", "contact", "lead", "account")
LABELS = {
    "lead": "Lead",
    "account": "Account",
    "contact": "Contact",
    "opportunity": "Opportunity",
    "activity": "Activity",
}


def model_of(kind: str) -> type[Deletable]:
    from opportune.accounts.models import Account, Contact
    from opportune.activities.models import Activity
    from opportune.leads.models import Lead
    from opportune.opportunities.models import Opportunity

    models: dict[str, type[Deletable]] = {
        "lead": Lead,
        "account": Account,
        "contact": Contact,
        "opportunity": Opportunity,
        "activity": Activity,
    }
    if kind not in models:
        raise field_error("kind", f"Unknown kind '{kind}'.")
    return models[kind]


def retention() -> dt.timedelta:
    return dt.timedelta(days=settings.OPPORTUNE_RECYCLE_BIN_DAYS)


# --- deleting, restoring, purging --------------------------------------------------------


def _blockers(record: Deletable) -> list[str]:
    """What keeps an account out of the bin: its live contacts and opportunities."""
    from opportune.accounts.models import Account

    if not isinstance(record, Account):
        return []
    found = [f"contact {c}" for c in record.contacts.all()[:10]]
    found += [f"opportunity {o}" for o in record.opportunities.all()[:10]]
    return found


@transaction.atomic
def delete_record(actor: User, record: Deletable, *, now: dt.datetime | None = None) -> None:
    """Send a record the actor sees to the recycle bin."""
    policy.require(actor, Verb.DELETE, record)
    model = type(record)
    locked = model.objects.select_for_update().filter(pk=record.pk).first()
    if locked is None:
        raise Conflict("This record was deleted meanwhile.")
    blocking = _blockers(locked)
    if blocking:
        raise Conflict(
            "Delete or move the account's contacts and opportunities first: "
            + ", ".join(blocking)
            + ".",
            {"account": blocking},
        )
    record.deleted_at = now or timezone.now()
    record.deleted_by = actor
    model.with_deleted.filter(pk=record.pk).update(deleted_at=record.deleted_at, deleted_by=actor)
    record_changes(actor, record, {"deleted_at": None}, {"deleted_at": record.deleted_at})


def deleted(user: User, kind: str) -> QuerySet[Any]:
    """The records of a kind in the bin that the user sees (restoring asks the policy too)."""
    policy.require_kind(user, kind)
    manager: Any = model_of(kind).with_deleted
    rows: QuerySet[Any] = manager.visible_to(user).filter(deleted_at__isnull=False)
    return rows


def get_deleted(user: User, kind: str, pk: Any) -> Deletable:
    """A record in the bin, if the user sees it (a 404 otherwise); a live one is a 409."""
    policy.require_kind(user, kind)
    manager: Any = model_of(kind).with_deleted
    record: Deletable = policy.get_visible(user, manager.all(), pk)
    if record.deleted_at is None:
        raise Conflict("This record is not in the recycle bin.")
    return record


def _restore_refusal(record: Deletable) -> str | None:
    account_id = getattr(record, "account_id", None)
    if record._meta.model_name in ("contact", "opportunity") and account_id:
        from opportune.accounts.models import Account

        if not Account.objects.filter(pk=account_id).exists():
            return "Its account is in the recycle bin: restore the account first."
    return None


@transaction.atomic
def restore_record(actor: User, kind: str, pk: Any) -> Deletable:
    """Take a record out of the bin, with everything it kept (history, activities)."""
    record = get_deleted(actor, kind, pk)
    policy.require(actor, Verb.RESTORE, record)
    reason = _restore_refusal(record)
    if reason:
        raise Conflict(reason)
    was = record.deleted_at
    type(record).with_deleted.filter(pk=record.pk).update(deleted_at=None, deleted_by=None)
    record.deleted_at, record.deleted_by = None, None
    record_changes(actor, record, {"deleted_at": was}, {"deleted_at": None})
    return record


def _erase(record: Deletable) -> None:
    try:
        record.delete()
    except ProtectedError as exc:
        names = sorted({str(r) for r in exc.protected_objects})[:10]
        raise Conflict(
            "Records in the bin still refer to this one; purge them first: "
            + ", ".join(names)
            + "."
        ) from exc


@transaction.atomic
def purge_record(actor: User, kind: str, pk: Any) -> None:
    """Remove a record of the bin for good, now (admins only)."""
    record = get_deleted(actor, kind, pk)
    policy.require(actor, Verb.PURGE, record)
    record_changes(actor, record, {"purged": ""}, {"purged": "yes"})
    _erase(record)


def purge_expired(now: dt.datetime) -> int:
    """Purge every record deleted more than the retention period before ``now`` (the
    worker's periodic job); answers how many went. Each record goes in its own
    transaction, so one that something still protects does not keep the others."""
    cutoff = now - retention()
    purged = 0
    for kind in KINDS:
        model: Any = model_of(kind)
        for record in model.with_deleted.filter(deleted_at__lt=cutoff).order_by("pk").iterator():
            try:
                with transaction.atomic():
                    _erase(record)
            except Conflict:
                continue
            purged += 1
    return purged


# --- the bin's list ----------------------------------------------------------------------


@dataclass
class BinEntry:
    kind: str
    record: Deletable

    @property
    def id(self) -> int:
        return int(self.record.pk)

    @property
    def owner_id(self) -> int | None:
        return getattr(self.record, "owner_id", None)

    @property
    def deleted_by_id(self) -> int | None:
        return self.record.deleted_by_id

    @property
    def label(self) -> str:
        return str(self.record)

    @property
    def kind_label(self) -> str:
        return LABELS[self.kind]

    @property
    def deleted_at(self) -> dt.datetime:
        assert self.record.deleted_at is not None
        return self.record.deleted_at

    @property
    def purge_at(self) -> dt.datetime:
        return self.deleted_at + retention()

    @property
    def sort_key(self) -> tuple[dt.datetime, int, int]:
        return (self.deleted_at, KINDS.index(self.kind), self.id)


def restorable(user: User, kind: str) -> QuerySet[Any]:
    """What of a kind the user may restore: admins everything in the bin, others what they
    own or deleted (the restore rule of identity.policy)."""
    if not policy.sees_kind(user, kind):
        return model_of(kind).with_deleted.none()
    rows = deleted(user, kind)
    condition = policy.restorable(user)
    if condition is not None:
        rows = rows.filter(condition)
    return rows.select_related("owner", "deleted_by")


def _encode(key: tuple[dt.datetime, int, int]) -> str:
    return sign_cursor({"bin": [key[0].isoformat(), key[1], key[2]]})


def _decode(cursor: str) -> tuple[dt.datetime, int, int]:
    """The (deleted_at, kind rank, id) a bin cursor carries (the pager's signed cursors)."""
    try:
        when, rank, pk = read_cursor(cursor)["bin"]
        return dt.datetime.fromisoformat(when), int(rank), int(pk)
    except (KeyError, TypeError, ValueError) as exc:
        raise field_error("cursor", "This cursor is not one this API gave out.") from exc


def bin_page(user: User, limit: int, cursor: str | None) -> dict[str, Any]:
    """One page of the user's bin, most recently deleted first, across all kinds: one
    UNION ALL picks the page's rows, then one query per kind on the page loads them."""
    after = _decode(cursor) if cursor else None
    parts = []
    for rank, kind in enumerate(KINDS):
        if not policy.sees_kind(user, kind):
            continue
        rows = restorable(user, kind)
        if after is not None:
            when, their_rank, pk = after
            # Strictly after the cursor in (deleted_at, kind, id) descending order.
            if rank < their_rank:
                rows = rows.filter(deleted_at__lte=when)
            elif rank == their_rank:
                rows = rows.filter(Q(deleted_at__lt=when) | Q(deleted_at=when, pk__lt=pk))
            else:
                rows = rows.filter(deleted_at__lt=when)
        parts.append(
            rows.select_related(None)
            .annotate(kind_rank=Value(rank, output_field=IntegerField()))
            .values_list("deleted_at", "kind_rank", "pk")
            .order_by()
        )
    keys: list[tuple[dt.datetime, int, int]] = []
    if parts:
        union = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        keys = list(union.order_by("-deleted_at", "-kind_rank", "-pk")[: limit + 1])
    more = len(keys) > limit
    keys = keys[:limit]
    loaded: dict[tuple[int, int], Deletable] = {}
    for rank in sorted({rank for _, rank, _ in keys}):
        kind = KINDS[rank]
        pks = [pk for _, r, pk in keys if r == rank]
        for record in restorable(user, kind).filter(pk__in=pks):
            loaded[(rank, record.pk)] = record
    entries = [BinEntry(KINDS[r], loaded[(r, pk)]) for _, r, pk in keys if (r, pk) in loaded]
    last = keys[-1] if keys else None
    return {"items": entries, "next": _encode(last) if more and last else None}
