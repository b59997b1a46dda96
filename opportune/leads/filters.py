"""The lead list's filters and sorts: the one definition the UI list, the API list and the
CSV exports (UI, API, CLI) share."""

from __future__ import annotations

from typing import Any

import django_filters as df
from django import forms
from django.db.models import QuerySet, Value
from django.db.models.functions import Coalesce

from opportune.filtering import (
    BooleanFilter,
    CreatedOnOrAfter,
    CreatedOnOrBefore,
    IdFilter,
    ListFilterSet,
    OwnerFilter,
)
from opportune.identity import policy
from opportune.search.filters import PhoneAwareSearchFilter
from opportune.web.forms import DateInput

from .models import Lead, LeadSource, LeadStatus, Rating

OPEN = "open"
ALL = "all"
SCORE_SORT = "score_sort"  # the score with unscored leads as -1: keyset paging needs no nulls


def status_choices() -> list[tuple[str, str]]:
    return [
        (OPEN, "Open leads"),
        (ALL, "All statuses"),
        *((s.key, s.label) for s in LeadStatus.objects.all()),
    ]


class StatusFilter(df.ChoiceFilter):
    """``status``: a status key, ``open`` (every status that is not closed) or ``all``."""

    def filter(self, qs: QuerySet[Any], value: str) -> QuerySet[Any]:
        if value == OPEN:
            # "Not closed" rather than "open": a NOT IN cannot use the status index, so the
            # newest-first walk stays on the primary key and stops after one page.
            return qs.exclude(status__in=LeadStatus.objects.filter(is_closed=True))
        if value and value != ALL:
            return qs.filter(status__in=LeadStatus.objects.filter(key=value))
        return qs


class ScoreFilter(df.NumberFilter):
    field_class = forms.IntegerField


class LeadFilterSet(ListFilterSet):
    custom_kind = "lead"
    # "created" walks the primary key, which grows with creation and is what the
    # (owner, -id) and (status, -id) indexes serve.
    sorts = {
        "created": "id",
        "name": "last_name",
        "company": "company",
        "updated": "updated_at",
        "score": SCORE_SORT,
    }

    q = PhoneAwareSearchFilter(
        ["first_name", "last_name", "company", "email", "phone"],
        help_text="Every word must match the name, company, email or phone; a phone number "
        "matches in any format.",
    )
    status = StatusFilter(
        choices=status_choices,
        empty_label=None,
        label="Status",
        help_text="A lead status key (GET /lead-statuses), 'open' (not closed) or 'all'.",
    )
    source = df.ChoiceFilter(choices=LeadSource.choices, empty_label="Any source", label="Source")
    rating = df.ChoiceFilter(choices=Rating.choices, empty_label="Any rating", label="Rating")
    owner = OwnerFilter(policy.LEAD, help_text="me, none (unassigned) or a user id.")
    owner_id = IdFilter(field_name="owner_id", label="Owner id")
    is_converted = BooleanFilter(field_name="is_converted", label="Converted")
    score_min = ScoreFilter(
        field_name="score",
        lookup_expr="gte",
        min_value=0,
        max_value=100,
        label="Score at least",
        help_text="0-100: leads whose predicted conversion score is at least this.",
    )
    created_from = CreatedOnOrAfter(
        label="Created from", help_text="A day, inclusive.", widget=DateInput()
    )
    created_to = CreatedOnOrBefore(
        label="Created to", help_text="A day, inclusive.", widget=DateInput()
    )
    created_after = df.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="A moment, inclusive (ISO 8601)."
    )
    created_before = df.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="A moment, exclusive (ISO 8601)."
    )

    class Meta:
        model = Lead
        fields: list[str] = []

    @classmethod
    def with_custom_sort(cls, queryset: QuerySet[Any], params: Any) -> QuerySet[Any]:
        """Also the value ``sort=score`` walks (unscored leads last when descending)."""
        queryset = super().with_custom_sort(queryset, params)
        if str(params.get("sort") or "").removeprefix("-") == "score":
            queryset = queryset.annotate(**{SCORE_SORT: Coalesce("score", Value(-1))})
        return queryset
