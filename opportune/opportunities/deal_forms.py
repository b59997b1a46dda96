"""Forms for deals opened without a lead, their contact roles and pipeline moves; every rule
comes from ``schemas.py`` (SchemaForm) and the services (``services.py``, ``roles.py``)."""

from __future__ import annotations

from typing import Any

from django import forms

from opportune.identity import policy
from opportune.identity.forms import owner_choices
from opportune.web.forms import DateInput, SchemaForm, choice_field

from .models import ContactRoleKind, OpportunityType, Pipeline, Stage
from .schemas import ContactRoleCreate, OpportunityCreate


class NewOpportunityForm(SchemaForm):
    """ "New opportunity" from the pipeline, the list or an account page. The account comes
    from a lookup among the accounts the user sees (radio inputs named ``account``)."""

    schema = OpportunityCreate
    schema_names = {
        "account": "account_id",
        "primary_contact": "primary_contact_id",
        "owner": "owner_id",
    }

    name = forms.CharField(label="Name", required=False, max_length=120)
    account = forms.IntegerField(label="Account", required=False, widget=forms.HiddenInput)
    pipeline = forms.ChoiceField(label="Pipeline", required=False)
    stage = forms.ChoiceField(label="Stage", required=False)
    amount = forms.DecimalField(label="Amount", required=False)
    close_date = forms.DateField(label="Close date", required=False, widget=DateInput())
    type = forms.ChoiceField(
        label="Type", choices=[("", "—"), *OpportunityType.choices], required=False
    )
    primary_contact = forms.TypedChoiceField(
        label="Primary contact", coerce=int, empty_value=None, required=False
    )
    owner = forms.TypedChoiceField(label="Owner", coerce=int, empty_value=None, required=False)
    next_step = forms.CharField(label="Next step", required=False, max_length=255)
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self,
        *args: Any,
        pipelines: list[Pipeline],
        stages: list[Stage],
        contacts: list[Any],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "pipeline").choices = [(p.key, p.name) for p in pipelines]
        choice_field(self, "stage").choices = [(s.key, s.label) for s in stages]
        choice_field(self, "primary_contact").choices = [
            ("", "—"),
            *((c.pk, str(c)) for c in contacts),
        ]
        choice_field(self, "owner").choices = owner_choices(policy.OPPORTUNITY)
        self.fields["name"].widget.attrs["maxlength"] = 120

    def schema_input(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        data = super().schema_input(cleaned)
        for name in ("type", "next_step", "description"):
            if data.get(name) is None:
                data.pop(name, None)
        return data


class ContactRoleForm(SchemaForm):
    """Add a contact to a deal (the contact picked among the account's, or found by lookup)."""

    schema = ContactRoleCreate
    schema_names = {"contact": "contact_id"}

    contact = forms.TypedChoiceField(label="Contact", coerce=int, empty_value=None, required=False)
    role = forms.ChoiceField(
        label="Role", choices=[("", "—"), *ContactRoleKind.choices], required=False
    )
    is_primary = forms.BooleanField(label="Primary", required=False)

    def __init__(self, *args: Any, contacts: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "contact").choices = [
            ("", "Choose a contact"),
            *((c.pk, f"{c} · {c.account or 'no account'}") for c in contacts),
        ]

    def _nullable_text(self, name: str) -> bool:
        return name != "role" and super()._nullable_text(name)


class PipelineMoveForm(forms.Form):
    """The target pipeline, and the stage there (the proposal preselected)."""

    pipeline = forms.ChoiceField(label="Move to pipeline")
    stage = forms.ChoiceField(label="Stage in that pipeline")

    def __init__(
        self, *args: Any, pipelines: list[Pipeline], stages: list[Stage], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "pipeline").choices = [(p.key, p.name) for p in pipelines]
        choice_field(self, "stage").choices = [(s.key, s.label) for s in stages]
