"""Assignment rules: which owner a new lead gets when nobody was named.

``assign_owner`` is called by ``leads.services.create_lead`` (UI, API, web forms), and
``assign_by_rules`` by the importer for whole batches; both follow the same rules and take the
same round-robin turns. Merges live in ``merge.py``, duplicate matching in ``duplicates.py``,
public form posts in ``web_forms.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F

from opportune.identity import policy
from opportune.identity.models import Role, User

from .models import AssignmentRule

if TYPE_CHECKING:
    from opportune.leads.models import Lead


@dataclass
class RuleSet:
    """The active rules and each round-robin team's active reps, loaded in two queries."""

    rules: list[tuple[AssignmentRule, dict[str, set[str]]]]
    reps: dict[int | None, list[User]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> RuleSet:
        rules = list(AssignmentRule.objects.filter(is_active=True).select_related("assign_to"))
        team_ids = {r.round_robin_team_id for r in rules if r.round_robin_team_id}
        reps: dict[int | None, list[User]] = {}
        for user in User.objects.filter(
            team_id__in=team_ids, is_active=True, role=Role.SALES_REP
        ).order_by("pk"):
            reps.setdefault(user.team_id, []).append(user)
        return cls([(r, r.criteria()) for r in rules], reps)

    def first_match(self, lead: Any) -> AssignmentRule | None:
        for rule, criteria in self.rules:
            if not self._can_assign(rule) or not rule.matches(lead, criteria):
                continue
            return rule
        return None

    def _can_assign(self, rule: AssignmentRule) -> bool:
        if rule.assign_to is not None:
            return policy.may_own(rule.assign_to, policy.LEAD)
        return bool(rule.round_robin_team_id and self.reps.get(rule.round_robin_team_id))


def assign_by_rules(
    matched: Sequence[tuple[Lead | Any, AssignmentRule | None]], rules: RuleSet
) -> None:
    """Give each lead the owner its matched rule assigns (``RuleSet.first_match``, which the
    importer runs ahead in its helper processes).

    A round-robin rule's turns are taken under a lock on its row, held until the caller's
    transaction ends, so concurrent requests never give two leads the same turn.
    """
    round_robin: dict[int, tuple[AssignmentRule, list[Lead | Any]]] = {}
    for lead, rule in matched:
        if rule is None:
            continue
        if rule.assign_to is not None:
            lead.owner = rule.assign_to
        else:
            round_robin.setdefault(rule.pk, (rule, []))[1].append(lead)
    for rule_id, (rule, group) in round_robin.items():
        with transaction.atomic():
            turn = AssignmentRule.objects.select_for_update().values_list("turn", flat=True)
            first = turn.get(pk=rule_id)
            team = rules.reps[rule.round_robin_team_id]
            for offset, lead in enumerate(group):
                lead.owner = team[(first + offset) % len(team)]
            AssignmentRule.objects.filter(pk=rule_id).update(turn=F("turn") + len(group))


def assign_owner(lead: Lead) -> User | None:
    """The owner the rules give this lead (set on it too), or None when no rule matches."""
    rules = RuleSet.load()
    rule = rules.first_match(lead)
    if rule is None:
        return None
    assign_by_rules([(lead, rule)], rules)
    return lead.owner


@dataclass(frozen=True)
class AssignmentPreview:
    rule: AssignmentRule | None
    owner: User | None


def preview_assignment(lead: Any) -> AssignmentPreview:
    """Which rule would assign this lead, and to whom, without taking a round-robin turn."""
    rules = RuleSet.load()
    rule = rules.first_match(lead)
    if rule is None:
        return AssignmentPreview(None, None)
    if rule.assign_to is not None:
        return AssignmentPreview(rule, rule.assign_to)
    team = rules.reps[rule.round_robin_team_id]
    turn = AssignmentRule.objects.values_list("turn", flat=True).get(pk=rule.pk)
    return AssignmentPreview(rule, team[turn % len(team)])
