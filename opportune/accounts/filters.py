"""The account and contact lists' filters and sorts: the one definition the UI lists, the
API lists and the CSV exports (UI, API, CLI) share."""

from __future__ import annotations

from typing import Any

import django_filters as df
from django.db.models import QuerySet

from opportune.filtering import IdFilter, ListFilterSet, OwnerFilter
from opportune.identity import policy
from opportune.search.filters import PhoneAwareSearchFilter

from .models import Account, Contact


class AccountFilterSet(ListFilterSet):
    custom_kind = "account"
    sorts = {"created": "id", "name": "normalized_name"}

    q = PhoneAwareSearchFilter(
        ["name", "website", "phone"],
        help_text="Every word must match the name, website or phone; a phone number matches "
        "in any format.",
    )
    owner = OwnerFilter(policy.ACCOUNT, help_text="me, none (unassigned) or a user id.")
    owner_id = IdFilter(field_name="owner_id", label="Owner id")
    industry = df.CharFilter(field_name="industry", label="Industry", help_text="Exact industry.")

    class Meta:
        model = Account
        fields: list[str] = []


class EmailFilter(df.CharFilter):
    """Emails are stored lower-cased; the filter matches the whole address."""

    def filter(self, qs: QuerySet[Any], value: str) -> QuerySet[Any]:
        return qs.filter(email=value.strip().lower()) if value else qs


class ContactFilterSet(ListFilterSet):
    custom_kind = "contact"
    sorts = {"created": "id", "name": "last_name"}

    q = PhoneAwareSearchFilter(
        ["first_name", "last_name", "email", "phone"],
        help_text="Every word must match the name, email or phone; a phone number matches in "
        "any format.",
    )
    owner = OwnerFilter(policy.CONTACT, help_text="me, none (unassigned) or a user id.")
    owner_id = IdFilter(field_name="owner_id", label="Owner id")
    account_id = IdFilter(field_name="account_id", label="Account id")
    email = EmailFilter(label="Email", help_text="The exact email address.")

    class Meta:
        model = Contact
        fields: list[str] = []
