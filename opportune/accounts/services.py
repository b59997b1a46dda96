"""Creating and changing accounts and contacts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import transaction

from opportune.audit.batch import change_owners
from opportune.audit.services import record_changes, record_creation, snapshot, tracked_fields
from opportune.customfields.services import apply_custom
from opportune.errors import DomainError, field_error
from opportune.identity import policy
from opportune.schemas import blank_strings

from .models import Account, Contact
from .schemas import AccountChanges, ContactChanges

if TYPE_CHECKING:
    from opportune.identity.models import User


def _text_fields(model: type[Account] | type[Contact]) -> set[str]:
    return {
        f.name
        for f in model._meta.concrete_fields
        if f.get_internal_type() in {"CharField", "TextField", "EmailField"}
    }


def _visible_account(actor: User, account_id: int | None, field: str) -> Account | None:
    if account_id is None:
        return None
    account = Account.objects.visible_to(actor).filter(pk=account_id).first()
    if account is None:
        raise field_error(field, f"No account {account_id} that you can see.")
    return account


def _is_below(account: Account, ancestor_id: int) -> bool:
    """Whether ``account`` is the account ``ancestor_id`` or one of its subsidiaries, at any
    depth: making it the parent would close a loop in the hierarchy."""
    seen: set[int] = set()
    current: int | None = account.pk
    while current is not None and current not in seen:
        if current == ancestor_id:
            return True
        seen.add(current)
        current = Account.objects.filter(pk=current).values_list("parent_id", flat=True).first()
    return False


ACCOUNT_FIELDS = tracked_fields(Account, "normalized_name", "domain")
CONTACT_FIELDS = tracked_fields(Contact)


def _save_recorded(actor: User, record: Account | Contact, values: dict[str, Any]) -> None:
    """Apply, save and write the field history (a creation is one "created" row)."""
    fields = ACCOUNT_FIELDS if isinstance(record, Account) else CONTACT_FIELDS
    new = record.pk is None
    before = snapshot(record, fields)
    _apply(actor, record, values)
    record.save()
    if new:
        record_creation(actor, record)
    else:
        record_changes(actor, record, before, snapshot(record, fields))


def _apply(actor: User, record: Account | Contact, values: dict[str, Any]) -> None:
    values = blank_strings(values, _text_fields(type(record)))
    custom = values.pop("custom", None)
    apply_custom(record, policy.kind_of(record), custom, creating=record.pk is None)
    if "owner_id" in values:
        kind = policy.kind_of(record)
        record.owner = policy.assignable_owner(values.pop("owner_id"), kind)
    if "parent_id" in values and isinstance(record, Account):
        parent = _visible_account(actor, values.pop("parent_id"), "parent_id")
        if parent is not None and record.pk is not None and _is_below(parent, record.pk):
            raise field_error("parent_id", "An account cannot be its own parent or ancestor.")
        record.parent = parent
    if "account_id" in values and isinstance(record, Contact):
        record.account = _visible_account(actor, values.pop("account_id"), "account_id")
    for name, value in values.items():
        if name in {"name", "last_name"} and not value:
            raise field_error(name, "This field is required.")
        setattr(record, name, value)


def _require_create_or_change(
    actor: User, model: type[Account] | type[Contact], record: Account | Contact | None
) -> None:
    if record is None:
        policy.require(actor, policy.Verb.CREATE, model)
    else:
        policy.require(actor, policy.Verb.CHANGE, record)


@transaction.atomic
def save_account(actor: User, changes: AccountChanges, account: Account | None = None) -> Account:
    """Create (no ``account``) or change an account; a new one belongs to its creator."""
    _require_create_or_change(actor, Account, account)
    account = account or Account(owner=actor)
    _save_recorded(actor, account, changes.model_dump(exclude_unset=True))
    return account


@transaction.atomic
def save_contact(actor: User, changes: ContactChanges, contact: Contact | None = None) -> Contact:
    _require_create_or_change(actor, Contact, contact)
    contact = contact or Contact(owner=actor)
    _save_recorded(actor, contact, changes.model_dump(exclude_unset=True))
    return contact


@transaction.atomic
def reassign_accounts(
    actor: User, ids: Sequence[int], owner_id: int | None
) -> list[Account | DomainError]:
    """Give many accounts (found among those the actor sees) one owner, set-based; each is
    answered as itself or its refusal, in order (opportune/audit/batch.py)."""
    return change_owners(actor, Account, ids, owner_id, "owner")


@transaction.atomic
def reassign_contacts(
    actor: User, ids: Sequence[int], owner_id: int | None
) -> list[Contact | DomainError]:
    """``reassign_accounts`` for contacts."""
    return change_owners(actor, Contact, ids, owner_id, "owner")
