"""The deals a viewer sees, as a filter on the owner column alone.

``visible_to`` says what a manager sees as a condition on the owner's team (``owner_q``): the
database joins the owner of every deal it reads, so a region's manager reads as many deals as
the admin. The predicted forecast resolves the owners once instead (one query over the small
user table) and filters ``owner_id IN (...)``, a range of the index ``opp_open_by_owner``
per owner: a manager's read touches only her share of the deals.

The owners come from ``owner_q`` itself (its lookups on the owner moved onto the user
table), so the rule stays in ``identity``; a condition of any other shape falls back to
``visible_to``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from django.db.models import Q, QuerySet

from opportune.identity import policy
from opportune.identity.models import User
from opportune.identity.visibility import owner_q
from opportune.opportunities.models import Opportunity

PREFIX = "owner__"


class _Unsupported(Exception):
    """A visibility condition this module cannot move onto the user table."""


def _on_users(condition: Q) -> tuple[Q, bool]:
    """``condition`` (lookups on a deal's owner) as a condition on users, and whether it also
    holds for unowned deals (``owner__isnull=True`` under OR)."""
    if condition.negated:
        raise _Unsupported
    found, unowned = Q(), False
    parts: list[Q] = []
    for child in condition.children:
        if isinstance(child, Q):
            part, nulls = _on_users(child)
        else:
            lookup, value = cast(tuple[str, object], child)
            part, nulls = _lookup_on_users(lookup, value)
        if nulls and condition.connector != Q.OR:
            raise _Unsupported
        unowned = unowned or nulls
        parts.append(part)
    for part in parts:
        found = found | part if condition.connector == Q.OR else found & part
    return found, unowned


def _lookup_on_users(lookup: str, value: object) -> tuple[Q, bool]:
    if lookup == "owner":
        return Q(pk=getattr(value, "pk", value)), False
    if lookup == "owner__isnull":
        if value is not True:
            raise _Unsupported
        return Q(pk__in=[]), True
    if lookup == "pk__in" and not value:  # an inactive viewer: nothing
        return Q(pk__in=[]), False
    if lookup.startswith(PREFIX):
        return Q(**{lookup.removeprefix(PREFIX): value}), False
    raise _Unsupported


@dataclass(frozen=True)
class Owners:
    """The owners whose deals a viewer sees, and whether she sees unowned deals too."""

    ids: frozenset[int]
    unowned: bool

    def sees(self, owner_id: int | None) -> bool:
        return self.unowned if owner_id is None else owner_id in self.ids


def visible_owners(viewer: User) -> Owners | None:
    """The owners of the deals ``viewer`` sees, resolved in one query; None when she sees
    every deal or none, or when her condition has a shape this module does not know (then
    ``visible_to`` answers)."""
    kind = policy.OPPORTUNITY
    if not policy.sees_kind(viewer, kind) or policy.sees_all(viewer, kind):
        return None
    condition = owner_q(viewer, "owner")
    if condition is None:
        return None
    try:
        users, unowned = _on_users(condition)
    except _Unsupported:
        return None
    return Owners(frozenset(User.objects.filter(users).values_list("pk", flat=True)), unowned)


def visible_deals(viewer: User, owners: Owners | None) -> list[QuerySet[Opportunity]]:
    """The deals ``viewer`` sees (as ``Opportunity.objects.visible_to``), as disjoint parts
    each filtered on ``owner_id`` alone (``owners`` from ``visible_owners``): the deals of
    her owners (``owner_id IN (...)``) and, for a manager, the unowned ones
    (``owner_id IS NULL``). Two parts, not one ``OR``: under an ``OR`` neither database
    reads the covering index (SQLite picks a non-covering one, PostgreSQL a bitmap scan of
    the table)."""
    if owners is None:
        return [Opportunity.objects.visible_to(viewer)]
    parts: list[QuerySet[Opportunity]] = [
        Opportunity.objects.filter(owner_id__in=sorted(owners.ids))
    ]
    if owners.unowned:
        parts.append(Opportunity.objects.filter(owner_id__isnull=True))
    return parts
