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

from typing import TYPE_CHECKING, ClassVar, Self, TypeVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from .models import Role, Team

if TYPE_CHECKING:
    from .models import User

M = TypeVar("M", bound=models.Model)


def team_subtree_ids(*team_ids: int | None) -> set[int]:
    """The teams and all teams under them, from one query over the (small) team table."""
    roots = {t for t in team_ids if t is not None}
    if not roots:
        return set()
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Team.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, stack = set(roots), list(roots)
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def _scope_teams(user: User) -> set[int]:
    """Teams whose members' records the user may see, cached on the user for one request."""
    cached: set[int] | None = getattr(user, "_visible_team_ids", None)
    if cached is None:
        roots = [user.team_id]
        if user.role == Role.SALES_MANAGER:
            roots += list(user.managed_teams.values_list("pk", flat=True))
        cached = team_subtree_ids(*roots)
        user._visible_team_ids = cached
    return cached


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


class VisibleQuerySet(models.QuerySet[M]):
    """Base queryset of every owned record; subclasses may widen the rule for a model."""

    owner_field: ClassVar[str] = "owner"

    def visible_to(self, user: User) -> Self:
        from . import policy  # the policy asks for querysets; this asks it about kinds

        kind = self.model._meta.model_name or ""
        if not policy.sees_kind(user, kind):
            return self.none()
        if policy.sees_all(user, kind):
            return self.all()
        condition = owner_q(user, self.owner_field)
        return self.all() if condition is None else self.filter(condition)
