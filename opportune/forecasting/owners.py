"""The deals (and leads) a viewer sees, as a filter on the owner column alone.

``visible_to`` says what a manager sees as a condition on the owner's team (``owner_q``): the
database joins the owner of every deal it reads, so a region's manager reads as many deals as
the admin. The predicted forecast resolves the owners once instead (one query over the small
user table) and filters ``owner_id IN (...)``, a range of the index ``opp_open_by_owner``
per owner: a manager's read touches only her share of the deals.

The owners come from the policy (``policy.visible_owners``, the id form of ``owner_q`` that
the analytics reports read too), so the rule stays in ``identity``; a rule that is not a
list of owners falls back to ``visible_to``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import QuerySet

from opportune.identity import policy
from opportune.identity.models import User
from opportune.leads.models import Lead
from opportune.opportunities.models import Opportunity, OpportunityHistory


@dataclass(frozen=True)
class Owners:
    """The owners whose deals a viewer sees, and whether she sees unowned deals too."""

    ids: frozenset[int]
    unowned: bool

    def sees(self, owner_id: int | None) -> bool:
        return self.unowned if owner_id is None else owner_id in self.ids


def visible_owners(viewer: User, kind: str = policy.OPPORTUNITY) -> Owners | None:
    """The owners of the records of ``kind`` (deals by default) ``viewer`` sees, as the
    policy resolves them once for the request (``policy.visible_owners``); None when she sees
    every one or none, or when her rule is not a list of owners (then ``visible_to``
    answers)."""
    scope = policy.visible_owners(viewer, kind)
    if scope is None or scope.everyone or scope.nothing:
        return None
    return Owners(scope.owner_ids, scope.unowned)


def visible_deals(viewer: User, owners: Owners | None) -> list[QuerySet[Opportunity]]:
    """The deals ``viewer`` sees (as ``Opportunity.objects.visible_to``), as disjoint parts
    each filtered on ``owner_id`` alone (``owners`` from ``visible_owners``): the deals of
    her owners (``owner_id IN (...)``) and, for a manager, the unowned ones
    (``owner_id IS NULL``). Two parts, not one ``OR``: under an ``OR`` neither database
    reads the covering index (SQLite picks a non-covering one, PostgreSQL a bitmap scan of
    the table)."""
    return _in_parts(Opportunity, viewer, owners)


def visible_leads(viewer: User) -> list[QuerySet[Lead]]:
    """The leads ``viewer`` sees, in the same disjoint parts as ``visible_deals``, each a
    range of the funnel's index starting with the owner (``lead_owner_created``); the owners
    from the policy for the lead kind (marketing sees every lead: one part)."""
    return _in_parts(Lead, viewer, visible_owners(viewer, policy.LEAD))


def visible_history(owners: Owners) -> list[QuerySet[OpportunityHistory]]:
    """The history rows of the deals of ``owners`` (from ``visible_owners``), by the deal's
    owner kept on each row (``deal_owner``), in the same disjoint parts as ``visible_deals``:
    each a range of ``opp_history_by_owner``. The rows of a deal in the bin are among them:
    the caller joins the rows to the visible deals (``visible_deals``) it reads anyway."""
    return _parts(OpportunityHistory.objects.all(), owners, "deal_owner_id")


M = TypeVar("M", Opportunity, Lead, OpportunityHistory)


def _in_parts(model: type[M], viewer: User, owners: Owners | None) -> list[QuerySet[M]]:
    manager: Any = model._default_manager  # each sales record's manager has visible_to
    if owners is None:
        return [manager.visible_to(viewer)]
    return _parts(manager.all(), owners, "owner_id")


def _parts(rows: QuerySet[M], owners: Owners, field: str) -> list[QuerySet[M]]:
    parts = [rows.filter(**{f"{field}__in": sorted(owners.ids)})]
    if owners.unowned:
        parts.append(rows.filter(**{f"{field}__isnull": True}))
    return parts
