"""The lists' ``q`` (leads, accounts, contacts) with phone numbers in any format, through
the search index.

Words keep the list's own substring search (``filtering.SearchFilter``: 'cme' finds
'Acme', which the index's prefixes would not); a phone number, which a substring of the
stored text cannot match when written differently, goes through the index's digit forms,
so the global search's "show all N leads" link finds what the search found.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import QuerySet

from opportune.filtering import SearchFilter

from . import index
from .terms import parse


class PhoneAwareSearchFilter(SearchFilter):
    def filter(self, queryset: QuerySet[Any], value: str) -> QuerySet[Any]:
        terms = parse(value or "")
        if terms.phone_forms:
            kind = queryset.model._meta.model_name or ""
            return queryset.filter(pk__in=index.matching_ids(kind, terms, connection.vendor))
        return super().filter(queryset, value)
