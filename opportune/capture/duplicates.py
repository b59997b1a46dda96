"""Possible duplicates of a lead: same email, same phone (E.164), or a close name at a close
company. Each is an indexed lookup on the match keys the lead keeps (``capture.keys``); the
fuzzy comparison only runs over the few candidates those lookups return.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from django.db.models import Q
from rapidfuzz import fuzz

from opportune.accounts.models import Contact
from opportune.leads.models import Lead

if TYPE_CHECKING:
    from opportune.identity.models import User

# Similarity (0-100) that a name and a company must both reach to count as a fuzzy match.
FUZZY_THRESHOLD = 85
# How many leads are compared at most, per lookup: bounds the cost of a big company or of a
# common name.
EXACT_CANDIDATES = 50
SAME_COMPANY_CANDIDATES = 200
SAME_NAME_CANDIDATES = 50


@dataclass(frozen=True)
class DuplicateMatch:
    lead: Lead
    score: int
    reasons: list[str]


@dataclass(frozen=True)
class ContactMatch:
    """An existing contact a new lead may be: the person is already a customer's contact."""

    contact: Contact
    score: int
    reasons: list[str]


class Keys(NamedTuple):
    """A candidate's match keys: comparing these costs far less than loading whole leads."""

    pk: int
    email_key: str
    phone_key: str
    name_key: str
    company_key: str


KEY_FIELDS = ("pk", "email_key", "phone_key", "name_key", "company_key")


def _candidates(user: User, lead: Lead) -> list[Keys]:
    """At most three indexed lookups: exact email or phone; the same company (for a fuzzy
    name); the same name (for a fuzzy company). The last two are capped, not sorted, so a
    big company or a common name costs a bounded index range, never a scan."""
    visible = Lead.objects.visible_to(user).exclude(pk=lead.pk)
    found: dict[int, Keys] = {}

    def add(rows: Any) -> None:
        found.update((row[0], Keys(*row)) for row in rows.values_list(*KEY_FIELDS))

    exact = Q(pk__in=[])
    if lead.email_key:
        exact |= Q(email_key=lead.email_key)
    if lead.phone_key:
        exact |= Q(phone_key=lead.phone_key)
    if lead.email_key or lead.phone_key:
        add(visible.filter(exact).order_by("-pk")[:EXACT_CANDIDATES])
    if lead.company_key:
        add(visible.filter(company_key=lead.company_key).order_by()[:SAME_COMPANY_CANDIDATES])
    if lead.name_key:
        add(visible.filter(name_key=lead.name_key).order_by()[:SAME_NAME_CANDIDATES])
    return list(found.values())


def compare(lead: Lead | Keys, other: Lead | Keys) -> tuple[int, list[str]] | None:
    """Why ``other`` may be the same person as ``lead`` (score, reasons), or None."""
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
    return (score, reasons) if reasons else None


def find_duplicates(user: User, lead: Lead, limit: int = 20) -> list[DuplicateMatch]:
    """The leads the user can see that may be the same as ``lead``, best match first."""
    lead.fill_match_keys()  # it may be unsaved, or its fields edited since it was saved
    scored = {c.pk: found for c in _candidates(user, lead) if (found := compare(lead, c))}
    best = sorted(scored, key=lambda pk: (-scored[pk][0], -pk))[:limit]
    leads = Lead.objects.select_related("status").in_bulk(best)
    return [DuplicateMatch(leads[pk], *scored[pk]) for pk in best if pk in leads]


def find_matching_contacts(user: User, lead: Lead, limit: int = 20) -> list[ContactMatch]:
    """The contacts the user can see with the lead's email or phone, best match first (as
    Salesforce's duplicate rules match leads against contacts): two indexed lookups."""
    lead.fill_match_keys()
    exact = Q(pk__in=[])
    if lead.email_key:
        exact |= Q(email=lead.email_key)
    if lead.phone_key:
        exact |= Q(phone_key=lead.phone_key)
    if not (lead.email_key or lead.phone_key):
        return []
    contacts = Contact.objects.visible_to(user).filter(exact).select_related("account")
    matches = []
    for contact in contacts.order_by("-pk")[:EXACT_CANDIDATES]:
        reasons = [
            reason
            for reason, same in (
                ("email", lead.email_key and contact.email == lead.email_key),
                ("phone", lead.phone_key and contact.phone_key == lead.phone_key),
            )
            if same
        ]
        matches.append(ContactMatch(contact, 100 if "email" in reasons else 90, reasons))
    return sorted(matches, key=lambda m: (-m.score, -m.contact.pk))[:limit]
