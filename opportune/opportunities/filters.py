"""The opportunity list's filters and sorts: the one definition the UI list, the API list
and the CSV exports (UI, API, CLI) share."""

from __future__ import annotations

from typing import Any

import django_filters as df
from django.db.models import QuerySet

from opportune.filtering import BooleanFilter, IdFilter, ListFilterSet, OwnerFilter, SearchFilter
from opportune.identity import policy

from .models import ForecastCategory, Opportunity, Pipeline, Stage

STATES = [("open", "Open"), ("won", "Won"), ("lost", "Lost"), ("all", "All")]


class StateFilter(df.ChoiceFilter):
    """``state``: open, won, lost or all (the UI's tabs; ``is_closed``/``is_won`` also work)."""

    def filter(self, qs: QuerySet[Any], value: str) -> QuerySet[Any]:
        if value == "open":
            return qs.filter(is_closed=False)
        if value == "won":
            return qs.filter(is_won=True)
        if value == "lost":
            return qs.filter(is_closed=True, is_won=False)
        return qs


def pipeline_choices() -> list[tuple[str, str]]:
    return [(p.key, p.name) for p in Pipeline.objects.all()]


def stage_choices() -> list[tuple[str, str]]:
    keys = Stage.objects.order_by("key").values_list("key", "label").distinct()
    return list(dict(keys).items())


class OpportunityFilterSet(ListFilterSet):
    custom_kind = "opportunity"
    sorts = {"created": "id", "name": "name", "close_date": "close_date"}

    q = SearchFilter(
        ["name", "account__name"], help_text="Every word must match the deal or account name."
    )
    state = StateFilter(choices=STATES, empty_label=None, label="State")
    pipeline = df.ChoiceFilter(
        field_name="pipeline__key", choices=pipeline_choices, help_text="A pipeline key."
    )
    stage = df.ChoiceFilter(
        field_name="stage__key", choices=stage_choices, help_text="A stage key."
    )
    owner = OwnerFilter(policy.OPPORTUNITY, help_text="me, none (unassigned) or a user id.")
    owner_id = IdFilter(field_name="owner_id", label="Owner id")
    account_id = IdFilter(field_name="account_id", label="Account id")
    forecast_category = df.ChoiceFilter(choices=ForecastCategory.choices)
    is_closed = BooleanFilter(field_name="is_closed")
    is_won = BooleanFilter(field_name="is_won")
    close_date_from = df.DateFilter(
        field_name="close_date", lookup_expr="gte", help_text="A day, inclusive."
    )
    close_date_to = df.DateFilter(
        field_name="close_date", lookup_expr="lte", help_text="A day, inclusive."
    )

    class Meta:
        model = Opportunity
        fields: list[str] = []
