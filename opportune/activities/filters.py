"""The activity list's filters (API only: the UI shows activities on their records)."""

from __future__ import annotations

import django_filters as df

from opportune.filtering import BooleanFilter, IdFilter, ListFilterSet, OwnerFilter
from opportune.identity import policy

from .models import Activity, ActivityKind


class ActivityFilterSet(ListFilterSet):
    kind = df.ChoiceFilter(choices=ActivityKind.choices)
    is_done = BooleanFilter(field_name="is_done")
    owner = OwnerFilter(policy.ACTIVITY, help_text="me, none (unassigned) or a user id.")
    owner_id = IdFilter(field_name="owner_id")
    lead_id = IdFilter(field_name="lead_id")
    account_id = IdFilter(field_name="account_id")
    contact_id = IdFilter(field_name="contact_id")
    opportunity_id = IdFilter(field_name="opportunity_id")
    due_before = df.DateFilter(field_name="due_date", lookup_expr="lt", help_text="Exclusive.")

    class Meta:
        model = Activity
        fields: list[str] = []
