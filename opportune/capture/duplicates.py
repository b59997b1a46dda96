"""Possible duplicates of a lead: same email, same phone (E.164), or a close name at a close
company. Each is an indexed lookup on the match keys the lead keeps (``capture.keys``); the
fuzzy comparison only runs over the few candidates those lookups return.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q
from rapidfuzz import fuzz

from opportune.leads.models import Lead

if TYPE_CHECKING:
    from opportune.identity.models import User

# Similarity (0-100) that a name and a company must both reach to count as a fuzzy match.
FUZZY_THRESHOLD = 85
# How many leads at the same company are compared by name: bounds the cost of a big company.
SAME_COMPANY_CANDIDATES = 200


@dataclass(frozen=True)
class DuplicateMatch:
    lead: Lead
    score: int
    reasons: list[str]


def _candidates(user: User, lead: Lead) -> list[Lead]:
    visible = Lead.objects.visible_to(user).exclude(pk=lead.pk).select_related("status")
    exact = Q(pk__in=[])
    if lead.email_key:
        exact |= Q(email_key=lead.email_key)
    if lead.phone_key:
        exact |= Q(phone_key=lead.phone_key)
    if lead.name_key:
        exact |= Q(name_key=lead.name_key)
    found = {c.pk: c for c in visible.filter(exact).order_by("-pk")[:100]}
    if lead.company_key:
        same_company = visible.filter(company_key=lead.company_key).exclude(pk__in=found)
        found.update((c.pk, c) for c in same_company.order_by("-pk")[:SAME_COMPANY_CANDIDATES])
    return list(found.values())


def compare(lead: Lead, other: Lead) -> DuplicateMatch | None:
    """Why ``other`` may be the same person as ``lead``, or None."""
    reasons, score = [], 0
    if lead.email_key and lead.email_key == other.email_key:
        reasons.append("email")
        score = 100
    if lead.phone_key and lead.phone_key == other.phone_key:
        reasons.append("phone")
        score = max(score, 90)
    if lead.name_key and other.name_key:
        name = fuzz.token_sort_ratio(lead.name_key, other.name_key)
        company = fuzz.token_set_ratio(lead.company_key, other.company_key)
        if min(name, company) >= FUZZY_THRESHOLD:
            reasons.append("name_company")
            score = max(score, int(min(name, company) * 0.85))
    return DuplicateMatch(other, score, reasons) if reasons else None


def find_duplicates(user: User, lead: Lead, limit: int = 20) -> list[DuplicateMatch]:
    """The leads the user can see that may be the same as ``lead``, best match first."""
    lead.fill_match_keys()  # it may be unsaved, or its fields edited since it was saved
    matches = [m for c in _candidates(user, lead) if (m := compare(lead, c)) is not None]
    matches.sort(key=lambda m: (-m.score, -m.lead.pk))
    return matches[:limit]
