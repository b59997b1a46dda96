"""Rules about users that other services share."""

from __future__ import annotations

from opportune.errors import NotAllowed, field_error

from .models import Role, User


def require_writer(actor: User) -> None:
    if not actor.can_write:
        raise NotAllowed("Read-only users cannot change records.")


def assignable_owner(owner_id: int | None, field: str = "owner_id") -> User | None:
    """The active user a record may be assigned to, or a field error."""
    if owner_id is None:
        return None
    owner = User.objects.filter(pk=owner_id, is_active=True).first()
    if owner is None:
        raise field_error(field, f"No active user with id {owner_id}.")
    if owner.role == Role.READ_ONLY:
        raise field_error(field, "Read-only users cannot own records.")
    return owner
