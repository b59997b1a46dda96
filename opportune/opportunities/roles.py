"""Contact roles on a deal: added, changed and removed here only.

Rules (issue 14): whoever may change the deal may change its roles; a role names a contact
the user can see (any visible account's: a partner's consultant may evaluate the deal);
while a deal has roles, exactly one is primary and it is the deal's primary contact, so
making a role primary goes through ``change_opportunity(primary_contact_id=...)`` (and its
``_mark_primary_role``), and the primary contact must belong to the deal's account. The
primary role cannot be un-marked or removed while other roles remain: the user makes
another one primary first, so the choice is never the software's. Every change writes the
deal's field history ("contact_roles", before and after, plus "primary_contact_id").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.http import Http404

from opportune.accounts.models import Contact
from opportune.audit.services import record_changes
from opportune.errors import field_error
from opportune.identity import policy

from .models import ContactRole, ContactRoleKind, Opportunity
from .services import _mark_primary_role, change_opportunity

if TYPE_CHECKING:
    from opportune.identity.models import User


def roles_summary(opportunity: Opportunity) -> str:
    """The deal's roles in words, as the field history shows them."""
    roles = ContactRole.objects.filter(opportunity=opportunity).select_related("contact")
    return "; ".join(
        f"{r.contact} ({r.get_role_display() or 'contact'}{', primary' if r.is_primary else ''})"
        for r in sorted(roles, key=lambda r: (not r.is_primary, r.pk))
    )


def _locked(actor: User, opportunity: Opportunity) -> Opportunity:
    policy.require(actor, policy.Verb.CHANGE, opportunity)
    return Opportunity.objects.select_for_update().get(pk=opportunity.pk)


def _check_role(role: str) -> None:
    if role not in ContactRoleKind.values and role != "":
        raise field_error("role", f"Unknown role '{role}'.")


def _make_primary(actor: User, opportunity: Opportunity, contact: Contact) -> None:
    if contact.account_id not in (None, opportunity.account_id):
        raise field_error(
            "is_primary", "The primary contact must be a contact of the deal's account."
        )
    if opportunity.primary_contact_id != contact.pk:
        change_opportunity(actor, opportunity, {"primary_contact_id": contact.pk})


def _get_role(opportunity: Opportunity, role_id: int) -> ContactRole:
    role = (
        ContactRole.objects.filter(opportunity=opportunity, pk=role_id)
        .select_related("contact")
        .first()
    )
    if role is None:
        raise Http404(f"No contact role {role_id} on this deal.")  # as any record not seen
    return role


@transaction.atomic
def add_contact_role(
    actor: User,
    opportunity: Opportunity,
    contact_id: int | None,
    role: str = "",
    is_primary: bool = False,
) -> ContactRole:
    """Add a contact to the deal; the first role is primary, whatever was asked."""
    opportunity = _locked(actor, opportunity)
    _check_role(role)
    if contact_id is None:
        raise field_error("contact_id", "Choose a contact.")
    contact = Contact.objects.visible_to(actor).filter(pk=contact_id).first()
    if contact is None:
        raise field_error("contact_id", "No such contact that you can see.")
    if ContactRole.objects.filter(opportunity=opportunity, contact=contact).exists():
        raise field_error("contact_id", f"{contact} already has a role on this deal.")
    before = roles_summary(opportunity)
    ContactRole.objects.create(opportunity=opportunity, contact=contact, role=role)
    has_primary = ContactRole.objects.filter(opportunity=opportunity, is_primary=True).exists()
    if is_primary or (opportunity.primary_contact_id is None and not has_primary):
        _make_primary(actor, opportunity, contact)  # which marks its role primary
    elif opportunity.primary_contact_id is not None and not has_primary:
        _mark_primary_role(opportunity)  # an older deal whose primary contact had no role
    record_changes(
        actor, opportunity, {"contact_roles": before}, {"contact_roles": roles_summary(opportunity)}
    )
    return ContactRole.objects.select_related("contact").get(
        opportunity=opportunity, contact=contact
    )


@transaction.atomic
def change_contact_role(
    actor: User,
    opportunity: Opportunity,
    role_id: int,
    *,
    role: str | None = None,
    is_primary: bool | None = None,
) -> ContactRole:
    """Change a role's kind, or make it the primary one (un-marking the primary is refused:
    mark another one instead)."""
    opportunity = _locked(actor, opportunity)
    found = _get_role(opportunity, role_id)
    before = roles_summary(opportunity)
    if role is not None:
        _check_role(role)
        found.role = role
        found.save(update_fields=["role"])
    if is_primary and not found.is_primary:
        _make_primary(actor, opportunity, found.contact)  # which marks its role primary
    elif is_primary is False and found.is_primary:
        raise field_error(
            "is_primary", "A deal with contacts has one primary: make another contact primary."
        )
    record_changes(
        actor, opportunity, {"contact_roles": before}, {"contact_roles": roles_summary(opportunity)}
    )
    return _get_role(opportunity, role_id)


@transaction.atomic
def remove_contact_role(actor: User, opportunity: Opportunity, role_id: int) -> None:
    """Remove a contact from the deal; the primary goes only when it is the last one, and
    then the deal has no primary contact either."""
    opportunity = _locked(actor, opportunity)
    found = _get_role(opportunity, role_id)
    before = roles_summary(opportunity)
    others = ContactRole.objects.filter(opportunity=opportunity).exclude(pk=found.pk)
    if found.is_primary and others.exists():
        raise field_error(
            "is_primary", "Make another contact primary before removing the primary one."
        )
    found.delete()
    if opportunity.primary_contact_id == found.contact_id:
        change_opportunity(actor, opportunity, {"primary_contact_id": None})
    record_changes(
        actor, opportunity, {"contact_roles": before}, {"contact_roles": roles_summary(opportunity)}
    )
