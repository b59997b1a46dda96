"""Lead forms: every rule comes from ``schemas.py`` (through SchemaForm) and the services."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from pydantic import BaseModel

from opportune.identity import policy
from opportune.identity.forms import owner_choices
from opportune.web.forms import DateInput, SchemaForm, choice_field

from .models import LeadSource, LeadStatus, Rating
from .schemas import ConversionOptions, LeadChanges, LeadCreate

CRITERIA_LABELS = {
    "need_identified": "Need identified",
    "budget_confirmed": "Budget confirmed",
    "authority_confirmed": "Decision maker confirmed",
    "expected_purchase_date": "Timeline (expected purchase date)",
}


def _text(label: str | None = None, **kwargs: Any) -> forms.CharField:
    return forms.CharField(label=label, required=False, strip=True, **kwargs)


class LeadForm(SchemaForm):
    schema: ClassVar[type[BaseModel]] = LeadChanges
    custom_kind = "lead"
    schema_names = {"owner": "owner_id"}

    first_name = _text()
    last_name = _text()
    company = _text()
    title = _text()
    email = _text(widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    phone = _text(widget=forms.TextInput(attrs={"type": "tel"}))
    website = _text()
    industry = _text()
    annual_revenue = forms.DecimalField(label="Annual revenue", required=False)
    employees = forms.IntegerField(required=False)
    source = forms.ChoiceField(choices=[("", "—"), *LeadSource.choices], required=False)
    campaign = _text()
    rating = forms.ChoiceField(choices=[("", "—"), *Rating.choices], required=False)
    owner = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    street = _text()
    city = _text()
    state = _text(label="State / region")
    postal_code = _text(label="Postal code")
    country = _text()
    description = _text(widget=forms.Textarea(attrs={"rows": 3}))
    do_not_call = forms.BooleanField(label="Do not call", required=False)
    email_opt_out = forms.BooleanField(label="Email opt-out", required=False)

    owner_blank = "Unassigned"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "owner").choices = owner_choices(policy.LEAD, self.owner_blank)


class LeadCreateForm(LeadForm):
    schema = LeadCreate
    owner_blank = "Me"


class QualificationForm(SchemaForm):
    """The BANT checklist of PRODUCT.md section 2."""

    schema = LeadChanges

    need_identified = forms.BooleanField(label="Need identified", required=False)
    need_description = _text("What they need", widget=forms.Textarea(attrs={"rows": 2}))
    budget_confirmed = forms.BooleanField(label="Budget confirmed", required=False)
    budget_amount = forms.DecimalField(label="Budget", required=False)
    authority_confirmed = forms.BooleanField(label="Decision maker confirmed", required=False)
    decision_maker = _text("Decision maker")
    decision_maker_title = _text("Their title")
    expected_purchase_date = forms.DateField(
        label="Expected purchase date", required=False, widget=DateInput()
    )


def status_choices(include_closed: bool = True) -> list[tuple[str, str]]:
    """Statuses a user may pick; "converted" is reached only by converting."""
    statuses = LeadStatus.objects.filter(is_converted=False)
    if not include_closed:
        statuses = statuses.filter(is_closed=False)
    return [(s.key, s.label) for s in statuses]


class StatusForm(SchemaForm):
    schema = LeadChanges

    status = forms.ChoiceField(label="Status")
    disqualify_reason = _text("Reason", help_text="Why this lead will not buy.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        statuses = list(LeadStatus.objects.filter(is_converted=False))
        choice_field(self, "status").choices = [(s.key, s.label) for s in statuses]
        self.reason_statuses = ",".join(s.key for s in statuses if s.requires_reason)


class ConvertForm(SchemaForm):
    """The convert dialog (PRODUCT.md section 3); prefilled by ``conversion_defaults``."""

    schema = ConversionOptions
    schema_names = {"account": "account_id", "contact": "contact_id", "owner": "owner_id"}

    # Any account or contact the user sees (flagged duplicates or found by the lookup); the
    # service checks visibility, the template renders the radio inputs.
    account = forms.IntegerField(label="Account", required=False, widget=forms.HiddenInput)
    contact = forms.IntegerField(label="Contact", required=False, widget=forms.HiddenInput)
    create_opportunity = forms.BooleanField(label="Create an opportunity", required=False)
    opportunity_name = _text("Opportunity name")
    amount = forms.DecimalField(label="Amount", required=False)
    close_date = forms.DateField(label="Close date", required=False, widget=DateInput())
    pipeline = forms.ChoiceField(label="Pipeline", required=False)
    stage = forms.ChoiceField(label="Stage", required=False)
    owner = forms.TypedChoiceField(
        label="Record owner", coerce=int, empty_value=None, required=False
    )
    overwrite_lead_source = forms.BooleanField(
        label="Overwrite the contact's lead source", required=False
    )
    override_qualification = forms.BooleanField(
        label="Convert although the qualification policy is not met", required=False
    )

    def __init__(
        self,
        *args: Any,
        pipelines: list[Any],
        stages: list[Any],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "pipeline").choices = [(p.key, p.name) for p in pipelines]
        choice_field(self, "stage").choices = [(s.key, s.label) for s in stages]
        choice_field(self, "owner").choices = owner_choices(policy.OPPORTUNITY, "The lead's owner")

    def schema_input(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        data = super().schema_input(cleaned)
        if not data.get("create_opportunity"):
            # The opportunity fields are hidden then; sending them would be refused.
            for name in ("opportunity_name", "amount", "stage", "close_date", "pipeline"):
                data.pop(name, None)
        return data
