"""The records an imported activity concerns, found for a whole batch at once.

A row names its records in the other system's words: Salesforce's WhoId (a lead or contact)
and WhatId (an account or opportunity) and AccountId, HubSpot's associated contact, company
and deal ids, Pipedrive's person, organization and deal names, or our own export's
``lead_id``/``account_id``/``contact_id``/``opportunity_id``. Each is looked up:

1. among the external ids the records were imported with (``ExternalId``: a Salesforce id,
   a HubSpot record id, the id an Opportune export gave, so a round trip finds them);
2. for our own ``*_id`` columns, then as the record's id in this installation;
3. for the other columns, by email (leads, contacts), full name (contacts), name (accounts,
   opportunities);

always within what the importing user sees. One query for the external ids and one per
kind of record, whatever the batch's size: no query per row. A reference that finds nothing
is reported at its row, which is then not imported (never silently dropped).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q

from opportune.accounts.models import Account, Contact, normalize_company
from opportune.capture.keys import email_key
from opportune.identity.models import User
from opportune.leads.models import Lead
from opportune.opportunities.models import Opportunity
from opportune.probes import AnyOf, index_probes

from .mapping import Mapping
from .models import ExternalId, Target
from .rows import Issue

# Each link column and the kinds of record it may name, in the order they are tried.
TARGETS_OF: dict[str, tuple[Target, ...]] = {
    "lead": (Target.LEADS,),
    "contact": (Target.CONTACTS, Target.LEADS),  # a HubSpot contact may be imported as a lead
    "account": (Target.ACCOUNTS,),
    "opportunity": (Target.OPPORTUNITIES,),
    "who": (Target.CONTACTS, Target.LEADS),
    "what": (Target.OPPORTUNITIES, Target.ACCOUNTS),
    "lead_id": (Target.LEADS,),
    "contact_id": (Target.CONTACTS,),
    "account_id": (Target.ACCOUNTS,),
    "opportunity_id": (Target.OPPORTUNITIES,),
}
LINK_FIELDS = tuple(TARGETS_OF)
# Our own export's columns: their values may be this installation's ids.
OWN_IDS = {"lead_id", "contact_id", "account_id", "opportunity_id"}
FIELD_OF: dict[Target, str] = {
    Target.LEADS: "lead_id",
    Target.CONTACTS: "contact_id",
    Target.ACCOUNTS: "account_id",
    Target.OPPORTUNITIES: "opportunity_id",
}
_WORDS = {
    Target.LEADS: "lead",
    Target.CONTACTS: "contact",
    Target.ACCOUNTS: "account",
    Target.OPPORTUNITIES: "opportunity",
}


def first_reference(raw: str) -> str:
    """HubSpot lists several associated ids ("101;102"): the first is the activity's."""
    return raw.split(";")[0].strip()


def _name_key(target: Target, value: str) -> str:
    """How a record of ``target`` is found by its email or name ('' when it cannot be)."""
    if target == Target.ACCOUNTS:
        return normalize_company(value)
    if target == Target.LEADS:
        return email_key(value) if "@" in value else ""
    return value.strip().casefold()  # contacts (email, full name) and opportunities (name)


class LinkResolver:
    """Finds the records the rows of a batch link to (see the module's docstring)."""

    def __init__(self, actor: User, mapping: Mapping) -> None:
        self.actor = actor
        self.mapping = mapping

    def resolve(
        self, rows: Iterable[tuple[int, dict[str, str]]]
    ) -> dict[int, dict[str, int] | Issue]:
        """{line: {"lead_id": pk, …}} for each row, or the Issue of its first reference that
        finds nothing."""
        wanted = [(line, {k: first_reference(v) for k, v in links.items()}) for line, links in rows]
        values = {v for _, links in wanted for v in links.values() if v}
        external = self._external(values)
        found = self._visible(wanted, external)
        answers: dict[int, dict[str, int] | Issue] = {}
        for line, links in wanted:
            ids: dict[str, int] = {}
            problem: Issue | None = None
            for name, value in links.items():
                pk, target = self._find(name, value, external, found)
                if pk is None or target is None:
                    problem = self._issue(line, name, value)
                    break
                ids.setdefault(FIELD_OF[target], pk)
            answers[line] = problem or ids
        return answers

    def _external(self, values: set[str]) -> dict[tuple[str, str], int]:
        if not values:
            return {}
        with index_probes():
            rows = (
                ExternalId.objects.filter(target__in=list(FIELD_OF))
                .filter(AnyOf("external_id", values))
                .values_list("target", "external_id", "record_id")
            )
            return {(target, value): pk for target, value, pk in rows}

    def _visible(
        self, wanted: list[tuple[int, dict[str, str]]], external: dict[tuple[str, str], int]
    ) -> dict[Target, dict[str, Any]]:
        """Per kind, the visible records asked for: {"pks": set, "names": {key: pk}}; one
        query per kind that any row names."""
        pks: dict[Target, set[int]] = {t: set() for t in FIELD_OF}
        names: dict[Target, set[str]] = {t: set() for t in FIELD_OF}
        for _, links in wanted:
            for name, value in links.items():
                for target in TARGETS_OF[name]:
                    if (target, value) in external:
                        pks[target].add(external[(target, value)])
                    if name in OWN_IDS and value.isdigit():
                        pks[target].add(int(value))
                    elif name not in OWN_IDS and value.strip():
                        names[target].add(value.strip())
        found: dict[Target, dict[str, Any]] = {}
        for target in FIELD_OF:
            if pks[target] or names[target]:
                found[target] = self._query(target, pks[target], names[target])
        return found

    def _query(self, target: Target, pks: set[int], names: set[str]) -> dict[str, Any]:
        by_pk: set[int] = set()
        by_name: dict[str, int] = {}
        if target == Target.LEADS:
            keys = {_name_key(target, n) for n in names} - {""}
            rows = Lead.objects.visible_to(self.actor).filter(Q(pk__in=pks) | Q(email_key__in=keys))
            for pk, key in rows.order_by("pk").values_list("pk", "email_key"):
                by_pk.add(pk)
                by_name.setdefault(key, pk)
        elif target == Target.CONTACTS:
            emails = {e for n in names if "@" in n for e in (n, n.casefold())}
            lasts = {n.rpartition(" ")[2] for n in names if "@" not in n}
            contacts = Contact.objects.visible_to(self.actor).filter(
                Q(pk__in=pks) | Q(email__in=emails) | Q(last_name__in=lasts)
            )
            for pk, first, last, email in contacts.order_by("pk").values_list(
                "pk", "first_name", "last_name", "email"
            ):
                by_pk.add(pk)
                by_name.setdefault(email.casefold(), pk)
                by_name.setdefault(f"{first} {last}".strip().casefold(), pk)
        elif target == Target.ACCOUNTS:
            keys = {_name_key(target, n) for n in names} - {""}
            accounts = Account.objects.visible_to(self.actor).filter(
                Q(pk__in=pks) | Q(normalized_name__in=keys)
            )
            for pk, key in accounts.order_by("pk").values_list("pk", "normalized_name"):
                by_pk.add(pk)
                by_name.setdefault(key, pk)
        else:
            deals = Opportunity.objects.visible_to(self.actor).filter(
                Q(pk__in=pks) | Q(name__in=names)
            )
            for pk, name in deals.order_by("pk").values_list("pk", "name"):
                by_pk.add(pk)
                by_name.setdefault(name.casefold(), pk)
        return {"pks": by_pk, "names": by_name}

    def _find(
        self,
        name: str,
        value: str,
        external: dict[tuple[str, str], int],
        found: dict[Target, dict[str, Any]],
    ) -> tuple[int | None, Target | None]:
        for target in TARGETS_OF[name]:
            visible = found.get(target, {"pks": set(), "names": {}})
            pk = external.get((target, value))
            if pk is not None and pk in visible["pks"]:
                return pk, target
            if name in OWN_IDS and value.isdigit() and int(value) in visible["pks"]:
                return int(value), target
            if name not in OWN_IDS:
                key = _name_key(target, value)
                if key and key in visible["names"]:
                    return visible["names"][key], target
        return None, None

    def _issue(self, line: int, name: str, value: str) -> Issue:
        kinds = " or ".join(_WORDS[t] for t in TARGETS_OF[name])
        reason = (
            f"No {kinds} '{value}' that you can see (by its id in the other system"
            f"{', or its id here' if name in OWN_IDS else ', its email or its name'}): "
            "import it first, or fix the reference. The activity is not imported."
        )
        return Issue(line, self.mapping.header_of(name), reason, value[:255])
