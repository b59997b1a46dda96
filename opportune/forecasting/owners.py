"""The deals a viewer sees, as a filter on the owner column alone.

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

from django.db.models import QuerySet

from opportune.identity import policy
from opportune.identity.models import User
from opportune.leads.models import Lead
from opportune.opportunities.models import Opportunity


@dataclass(frozen=True)
class Owners:
    """The owners whose deals a viewer sees, and whether she sees unowned deals too."""

    ids: frozenset[int]
    unowned: bool

    def sees(self, owner_id: int | None) -> bool:
        return self.unowned if owner_id is None else owner_id in self.ids


def visible_owners(viewer: User) -> Owners | None:
    """The owners of the deals ``viewer`` sees, as the policy resolves them once for the
    request (``policy.visible_owners``); None when she sees every deal or none, or when her
    rule is not a list of owners (then ``visible_to`` answers)."""
    scope = policy.visible_owners(viewer, policy.OPPORTUNITY)
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
    if owners is None:
        return [Opportunity.objects.visible_to(viewer)]
    parts: list[QuerySet[Opportunity]] = [
        Opportunity.objects.filter(owner_id__in=sorted(owners.ids))
    ]
    if owners.unowned:
        parts.append(Opportunity.objects.filter(owner_id__isnull=True))
    return parts


def visible_leads(viewer: User) -> list[QuerySet[Lead]]:
    """The leads ``viewer`` sees (as ``Lead.objects.visible_to``), in the same disjoint parts
    as ``visible_deals``: her owners' leads and, for a manager, the unowned ones, each a range
    of the funnel's index starting with the owner (``lead_owner_created``). The owners come
    from the policy for the lead kind (marketing sees every lead); a rule that is not a list
    of owners, or everything, is one part."""
    scope = policy.visible_owners(viewer, policy.LEAD)
    if scope is None or scope.everyone or scope.nothing:
        return [Lead.objects.visible_by_owner_ids(viewer)]
    parts: list[QuerySet[Lead]] = [Lead.objects.filter(owner_id__in=sorted(scope.owner_ids))]
    if scope.unowned:
        parts.append(Lead.objects.filter(owner_id__isnull=True))
    return parts
