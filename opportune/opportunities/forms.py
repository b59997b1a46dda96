"""Opportunity forms; every rule comes from ``schemas.py`` (SchemaForm) and ``services.py``."""

from __future__ import annotations

from typing import Any

from django import forms

from opportune.identity import policy
from opportune.identity.forms import owner_choices
from opportune.web.forms import DateInput, SchemaForm, choice_field

from .models import ForecastCategory, LostReason, OpportunityType
from .schemas import OpportunityChanges

PERIODS = [
    ("", "Any close date"),
    ("overdue", "Past close date"),
    ("this_month", "This month"),
    ("this_quarter", "This quarter"),
    ("next_quarter", "Next quarter"),
    ("this_year", "This fiscal year"),
]


class OpportunityForm(SchemaForm):
    schema = OpportunityChanges
    custom_kind = "opportunity"
    schema_names = {"owner": "owner_id", "primary_contact": "primary_contact_id"}

    name = forms.CharField(label="Name", required=False)
    amount = forms.DecimalField(label="Amount", required=False)
    close_date = forms.DateField(label="Close date", required=False, widget=DateInput())
    probability = forms.IntegerField(label="Probability (%)", required=False)
    forecast_category = forms.ChoiceField(
        label="Forecast category",
        choices=[c for c in ForecastCategory.choices if c[0] != ForecastCategory.CLOSED],
        required=False,
    )
    type = forms.ChoiceField(
        label="Type", choices=[("", "—"), *OpportunityType.choices], required=False
    )
    owner = forms.TypedChoiceField(label="Owner", coerce=int, empty_value=None, required=False)
    primary_contact = forms.TypedChoiceField(
        label="Primary contact", coerce=int, empty_value=None, required=False
    )
    next_step = forms.CharField(label="Next step", required=False)
    campaign = forms.CharField(label="Campaign", required=False)
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self, *args: Any, contacts: list[Any] | None = None, closed: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "owner").choices = owner_choices(policy.OPPORTUNITY)
        choice_field(self, "primary_contact").choices = [
            ("", "—"),
            *((c.pk, str(c)) for c in contacts or []),
        ]
        if closed:
            # Probability and category follow the stage once closed (the service says so too).
            del self.fields["probability"]
            del self.fields["forecast_category"]

    def schema_input(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        data = super().schema_input(cleaned)
        # Unchanged overrides are left out: sending them would pin values the stage sets.
        for name in ("probability", "forecast_category"):
            if name in data and name not in self.changed_data:
                data.pop(name)
        return data


def lost_reason_choices() -> list[tuple[str, str]]:
    return [
        ("", "Choose a reason"),
        *((r.key, r.label) for r in LostReason.objects.filter(is_active=True)),
    ]


class MoveForm(SchemaForm):
    """A card moved on the kanban (drag and drop, or the keyboard's stage select)."""

    schema = OpportunityChanges

    stage = forms.CharField(label="Stage")
    lost_reason = forms.ChoiceField(label="Lost reason", required=False)
    # Asked when closing won from the kanban: the amount and the day it closed.
    amount = forms.DecimalField(label="Amount", required=False)
    close_date = forms.DateField(label="Close date", required=False, widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "lost_reason").choices = lost_reason_choices()

    def schema_input(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        data = super().schema_input(cleaned)
        if not data.get("lost_reason"):
            data.pop("lost_reason", None)
        return data


class CloseForm(forms.Form):
    """Close won or lost; the lost reason list is configurable (the service checks it)."""

    outcome = forms.ChoiceField(
        label="Outcome", choices=[("won", "Won"), ("lost", "Lost")], widget=forms.RadioSelect
    )
    lost_reason = forms.ChoiceField(label="Lost reason", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "lost_reason").choices = lost_reason_choices()


class BoardFilterForm(forms.Form):
    owner = forms.ChoiceField(label="Owner", required=False)
    period = forms.ChoiceField(label="Close date", choices=PERIODS, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "owner").choices = [
            ("", "Everyone I can see"),
            ("me", "Me"),
            *((str(pk), label) for pk, label in owner_choices(policy.OPPORTUNITY)[1:]),
        ]
