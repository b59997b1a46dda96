"""Global search: the records of each kind a user sees whose words match, newest first.

Reads only: each kind is its visible, live queryset (``visible_to``: the one access
policy; the default manager leaves the recycle bin out) narrowed by the kind's index
(``index.matching_ids``). Contacts and opportunities also match by their account's name,
through the account index, so renaming an account needs no re-indexing of its deals.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, Model, Q, QuerySet, Window
from django.urls import reverse

from opportune.accounts.models import Account, Contact
from opportune.identity import policy
from opportune.identity.models import User
from opportune.leads.models import Lead
from opportune.opportunities.models import Opportunity

from . import index, words
from .terms import Terms, parse

COUNT_CAP = 1000  # beyond it, "1,000+": counting every match of a common word costs a scan
WINDOW = COUNT_CAP + 1  # the newest index matches read first (one more than the cap)
# Kinds matched by their own index only: their newest matches are their index's newest rows.
# (Contacts and deals also match by their account's name, so they take the full match.)
_WINDOWED = (index.LEAD, index.ACCOUNT)
LABELS = {
    index.LEAD: "leads",
    index.ACCOUNT: "accounts",
    index.CONTACT: "contacts",
    index.OPPORTUNITY: "opportunities",
}
_LIST_URLS = {
    index.LEAD: "leads:list",
    index.ACCOUNT: "accounts:list",
    index.CONTACT: "accounts:contacts",
    index.OPPORTUNITY: "opportunities:list",
}


@dataclass(frozen=True)
class Hit:
    kind: str
    id: int
    title: str
    detail: str
    url: str


@dataclass
class Group:
    kind: str
    hits: list[Hit]
    total: int  # at most COUNT_CAP
    capped: bool  # more than `total` matched (beyond COUNT_CAP, or beyond the index window)
    list_url: str  # the kind's list, searched for the same text

    @property
    def label(self) -> str:
        return LABELS[self.kind]

    @property
    def total_text(self) -> str:
        return f"{self.total:,}+" if self.capped else f"{self.total:,}"


@dataclass
class Results:
    q: str
    terms: Terms
    groups: list[Group] = field(default_factory=list)

    @property
    def found(self) -> int:
        return sum(group.total for group in self.groups)


def _matches(kind: str, terms: Terms) -> Q:
    vendor = connection.vendor
    own = Q(pk__in=index.matching_ids(kind, terms, vendor))
    if kind in (index.CONTACT, index.OPPORTUNITY):
        return own | Q(account_id__in=index.matching_ids(index.ACCOUNT, terms, vendor))
    return own


def _queryset(kind: str, user: User) -> QuerySet[Any]:
    if kind == index.LEAD:
        return Lead.objects.visible_to(user).only(
            "first_name", "last_name", "company", "email", "phone"
        )
    if kind == index.ACCOUNT:
        return Account.objects.visible_to(user).only("name", "website", "phone", "billing_city")
    if kind == index.CONTACT:
        return (
            Contact.objects.visible_to(user)
            .select_related("account")
            .only("first_name", "last_name", "email", "phone", "account__name")
        )
    return (
        Opportunity.objects.visible_to(user)
        .select_related("account", "stage")
        .only("name", "amount", "account__name", "stage__label")
    )


def _words(*parts: object) -> str:
    return " · ".join(str(part) for part in parts if part)


def _hit(kind: str, record: Any) -> Hit:
    if kind == index.LEAD:
        title, detail = record.full_name, _words(record.company, record.email, record.phone)
        url = reverse("leads:detail", args=[record.pk])
    elif kind == index.ACCOUNT:
        title, detail = record.name, _words(record.website, record.billing_city, record.phone)
        url = reverse("accounts:detail", args=[record.pk])
    elif kind == index.CONTACT:
        account = record.account.name if record.account else ""
        title, detail = record.full_name, _words(account, record.email, record.phone)
        url = reverse("accounts:contact", args=[record.pk])
    else:
        title = record.name
        detail = _words(record.account.name, record.stage.label)
        url = reverse("opportunities:detail", args=[record.pk])
    return Hit(kind=kind, id=record.pk, title=title, detail=detail, url=url)


def visible_kinds(user: User, kinds: Iterable[str] = index.KINDS) -> list[str]:
    """The asked kinds the user may see at all, in the index's order (marketing: no deals)."""
    wanted = set(kinds)
    return [kind for kind in index.KINDS if kind in wanted and policy.sees_kind(user, kind)]


def search(user: User, q: str, kinds: Iterable[str] = index.KINDS, limit: int = 5) -> Results:
    """Up to ``limit`` newest matches of each kind, with how many matched (capped)."""
    terms = parse(q)
    results = Results(q=q.strip(), terms=terms)
    if not terms:
        return results
    terms = words.expand(connection, terms)  # PostgreSQL: prefixes as whole words
    for kind in visible_kinds(user, kinds):
        records, total = _newest(kind, _queryset(kind, user), terms, limit)
        if not records:
            continue
        at_least = total < 0  # a floor, not a count: more may match outside the window
        total = abs(total)
        results.groups.append(
            Group(
                kind=kind,
                hits=[_hit(kind, record) for record in records],
                total=min(total, COUNT_CAP),
                capped=at_least or total > COUNT_CAP,
                list_url=_list_url(kind, results.q),
            )
        )
    return results


def _newest(kind: str, visible: QuerySet[Any], terms: Terms, limit: int) -> tuple[list[Model], int]:
    """The newest ``limit`` visible matches and how many there are (up to WINDOW; negative:
    at least that many).

    Leads and accounts first read the index's WINDOW newest matches (a LIMIT on the index
    walk itself, ``index.newest_ids``), then the visible ones among them, page and count in
    one query. That is the whole answer when the index has fewer matches, or when all of
    them are visible (an admin: "1,000+"), or when the window holds a full page of visible
    ones (a rep and a common word: the page is right, the count a floor, "20+"). Otherwise
    (the window holds fewer than a page of the user's matches) the full match decides, as
    it does for contacts and deals: one page query, a count capped at WINDOW when the page
    is full.

    Both databases: FTS5 walks its doclists newest-first; PostgreSQL walks the primary key
    backwards testing each row's stored ``search_doc`` for a common word, and reads the GIN
    index for a rare one (docs/search.md, "Cost")."""
    if kind in _WINDOWED:
        sql, params = index.newest_ids(kind, terms, connection.vendor, WINDOW)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return [], 0
        page = list(
            visible.filter(pk__in=ids)
            .annotate(_matched=Window(Count("pk")))
            .order_by("-pk")[:limit]
        )
        matched: int = page[0]._matched if page else 0
        if len(ids) < WINDOW or matched == WINDOW:
            return page, matched
        if len(page) == limit:
            # The page is right (the window holds `limit` visible matches, newer than any
            # outside it); the count is a floor: "20+" rather than a scan of every match.
            return page, -matched
    matching = visible.filter(_matches(kind, terms))
    records: list[Model] = list(matching.order_by("-pk")[:limit])
    total = len(records)
    if total == limit:
        total = matching.order_by()[:WINDOW].count()
    return records, total


def _list_url(kind: str, q: str) -> str:
    from django.utils.http import urlencode

    params = {"q": q}
    if kind == index.LEAD:
        params["status"] = "all"  # the list shows open leads by default; search finds any
    return f"{reverse(_LIST_URLS[kind])}?{urlencode(params)}"
