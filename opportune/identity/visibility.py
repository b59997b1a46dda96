"""The visibility rule (PRODUCT.md section 8) as a queryset: ``Model.objects.visible_to(user)``.

Every read path (API, web views, CLI reports, analytics) starts from it, through
``identity.policy``. A record outside it is a 404 for every verb.

- admins see everything;
- sales managers and read-only users see records owned by anyone in their team's subtree,
  and managers also see unowned records (the queue they assign from);
- sales reps see what they own (and their team's records when OPPORTUNE_REPS_SEE_TEAM is on);
- which kinds a role sees whole (marketing: every lead) or not at all (marketing: deals and
  forecasts) is the policy's to say (``policy.sees_kind``, ``policy.sees_all``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Self, TypeVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from .models import Role, Team

if TYPE_CHECKING:
    from .models import User

M = TypeVar("M", bound=models.Model)


def _subtree(roots: set[int], children: dict[int | None, list[int]]) -> set[int]:
    found, stack = set(roots), list(roots)
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def team_subtree_ids(*team_ids: int | None) -> set[int]:
    """The teams and all teams under them, from one query over the (small) team table."""
    roots = {t for t in team_ids if t is not None}
    if not roots:
        return set()
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Team.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    return _subtree(roots, children)


def _scope(user: User) -> tuple[set[int], frozenset[int]]:
    """Teams whose members' records the user may see, and those members (with the user):
    one query over the team table and its members, cached on the user for one request."""
    teams: set[int] | None = getattr(user, "_visible_team_ids", None)
    owners: frozenset[int] | None = getattr(user, "_visible_owner_ids", None)
    if teams is None or owners is None:
        roots = {user.team_id} if user.team_id else set()
        if user.role == Role.SALES_MANAGER:
            roots |= set(user.managed_teams.values_list("pk", flat=True))
        children: dict[int | None, list[int]] = {}
        members: dict[int, set[int]] = {}
        for pk, parent_id, member in Team.objects.values_list("pk", "parent_id", "members__pk"):
            if pk not in members:
                children.setdefault(parent_id, []).append(pk)
                members[pk] = set()
            if member is not None:
                members[pk].add(member)
        teams = _subtree(roots, children) if roots else set()
        owners = frozenset({user.pk}.union(*(members.get(t, set()) for t in teams)))
        user._visible_team_ids, user._visible_owner_ids = teams, owners
    return teams, owners


def _scope_teams(user: User) -> set[int]:
    """Teams whose members' records the user may see, cached on the user for one request."""
    return _scope(user)[0]


def scope_team_ids(user: User) -> set[int]:
    """The teams whose members' records the user sees by the team rule (not admins)."""
    if user.role == Role.SALES_REP:
        return {user.team_id} if user.team_id else set()
    return _scope_teams(user)


def owner_q(user: User, owner_field: str = "owner") -> Q | None:
    """The filter on an owner field that expresses what the user sees; None means everything."""
    if not user.is_active:
        return Q(pk__in=[])
    if user.is_admin:
        return None
    own = Q(**{owner_field: user})
    if user.role == Role.SALES_REP:
        if settings.OPPORTUNE_REPS_SEE_TEAM and user.team_id:
            return own | Q(**{f"{owner_field}__team_id": user.team_id})
        return own
    scope = own | Q(**{f"{owner_field}__team_id__in": _scope_teams(user)})
    if user.role == Role.SALES_MANAGER:
        scope |= Q(**{f"{owner_field}__isnull": True})
    return scope


@dataclass(frozen=True)
class OwnerScope:
    """What a user sees of a kind, when the rule is about owners: every record, or the
    records of these owners (and the unowned ones if ``unowned``). Resolved once per request,
    so a report filters ``owner_id IN (...)`` on an index starting with the owner instead of
    joining every row to its owner's team."""

    everyone: bool = False
    owner_ids: frozenset[int] = frozenset()
    unowned: bool = False

    @property
    def nothing(self) -> bool:
        return not (self.everyone or self.owner_ids or self.unowned)

    def q(self, owner_field: str = "owner") -> Q | None:
        """The filter on an owner field; None means everything."""
        if self.everyone:
            return None
        found = Q(**{f"{owner_field}_id__in": sorted(self.owner_ids)})
        return found | Q(**{f"{owner_field}__isnull": True}) if self.unowned else found


def owner_scope(user: User) -> OwnerScope | None:
    """``owner_q``'s rule as a list of owner ids; None when the rule is not one (a rep who
    sees their team's records by the setting: ``owner_q``'s join stays the way)."""
    if not user.is_active:
        return OwnerScope()
    if user.is_admin:
        return OwnerScope(everyone=True)
    if user.role == Role.SALES_REP:
        if settings.OPPORTUNE_REPS_SEE_TEAM and user.team_id:
            return None
        return OwnerScope(owner_ids=frozenset({user.pk}))
    return OwnerScope(owner_ids=_scope(user)[1], unowned=user.role == Role.SALES_MANAGER)


class VisibleQuerySet(models.QuerySet[M]):
    """Base queryset of every owned record; subclasses may widen the rule for a model."""

    owner_field: ClassVar[str] = "owner"

    def visible_to(self, user: User) -> Self:
        return self._visible(user, by_owner_ids=False)

    def visible_by_owner_ids(self, user: User) -> Self:
        """The same records as ``visible_to``, the owner rule resolved to a list of owner ids
        (``owner_scope``) where it is one: for reports over many rows, which then read an
        index starting with the owner rather than every row joined to its owner."""
        return self._visible(user, by_owner_ids=True)

    def _visible(self, user: User, *, by_owner_ids: bool) -> Self:
        from . import policy  # the policy asks for querysets; this asks it about kinds

        kind = self.model._meta.model_name or ""
        if not policy.sees_kind(user, kind):
            return self.none()
        if policy.sees_all(user, kind):
            return self.all()
        scope = owner_scope(user) if by_owner_ids else None
        if scope is not None:
            condition = scope.q(self.owner_field)
        else:
            condition = owner_q(user, self.owner_field)
        return self.all() if condition is None else self.filter(condition)
