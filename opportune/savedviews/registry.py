"""The record lists a saved view, a count or a bulk action applies to, by the name views
store (``leads``...): each list's page, FilterSet and record kind, imported late so this
module (read by the web layer's list helper) pulls in no sales app at import time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from opportune.filtering import ListFilterSet

ListName = Literal["leads", "accounts", "contacts", "opportunities"]
PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50


@dataclass(frozen=True)
class RecordList:
    name: str
    label: str
    url_name: str
    filterset_path: str
    record_kind: str  # policy's kind: lead, account, contact, opportunity

    @property
    def filterset(self) -> type[ListFilterSet]:
        found: type[ListFilterSet] = import_string(self.filterset_path)
        return found


LISTS: dict[str, RecordList] = {
    "leads": RecordList(
        "leads", "Leads", "leads:list", "opportune.leads.filters.LeadFilterSet", "lead"
    ),
    "accounts": RecordList(
        "accounts",
        "Accounts",
        "accounts:list",
        "opportune.accounts.filters.AccountFilterSet",
        "account",
    ),
    "contacts": RecordList(
        "contacts",
        "Contacts",
        "accounts:contacts",
        "opportune.accounts.filters.ContactFilterSet",
        "contact",
    ),
    "opportunities": RecordList(
        "opportunities",
        "Opportunities",
        "opportunities:list",
        "opportune.opportunities.filters.OpportunityFilterSet",
        "opportunity",
    ),
}
assert set(LISTS) == set(ListName.__args__)  # type: ignore[attr-defined]
