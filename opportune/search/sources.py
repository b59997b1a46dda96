"""What each kind's search document is made of: the table and its searched columns (one
place for both databases' indexes, opportune/search/index.py and postgres.py)."""

from __future__ import annotations

from dataclasses import dataclass

LEAD, ACCOUNT, CONTACT, OPPORTUNITY = "lead", "account", "contact", "opportunity"
KINDS = (LEAD, ACCOUNT, CONTACT, OPPORTUNITY)


@dataclass(frozen=True)
class Source:
    table: str
    text_columns: tuple[str, ...]  # searched as they are
    phone_columns: tuple[str, ...] = ()  # also searched as bare digits


SOURCES = {
    LEAD: Source(
        "leads_lead",
        ("first_name", "last_name", "company", "email", "phone", "phone_key"),
        ("phone",),
    ),
    ACCOUNT: Source("accounts_account", ("name", "website", "phone"), ("phone",)),
    CONTACT: Source(
        "accounts_contact", ("first_name", "last_name", "email", "phone", "phone_key"), ("phone",)
    ),
    OPPORTUNITY: Source("opportunities_opportunity", ("name",)),
}
