"""Account and contact forms; the rules come from ``schemas.py`` and ``services.py``."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from pydantic import BaseModel

from opportune.identity import policy
from opportune.identity.forms import owner_choices
from opportune.leads.models import LeadSource
from opportune.web.forms import SchemaForm, choice_field

from .schemas import AccountChanges, AccountCreate, ContactChanges, ContactCreate


def _text(label: str | None = None, **kwargs: Any) -> forms.CharField:
    return forms.CharField(label=label, required=False, **kwargs)


class AccountForm(SchemaForm):
    schema: ClassVar[type[BaseModel]] = AccountChanges
    custom_kind = "account"
    schema_names = {"owner": "owner_id"}

    name = _text("Name")
    website = _text("Website")
    industry = _text("Industry")
    phone = _text("Phone", widget=forms.TextInput(attrs={"type": "tel"}))
    annual_revenue = forms.DecimalField(label="Annual revenue", required=False)
    employees = forms.IntegerField(label="Employees", required=False)
    owner = forms.TypedChoiceField(label="Owner", coerce=int, empty_value=None, required=False)
    billing_street = _text("Street")
    billing_city = _text("City")
    billing_state = _text("State / region")
    billing_postal_code = _text("Postal code")
    billing_country = _text("Country")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "owner").choices = owner_choices(policy.ACCOUNT)


class AccountCreateForm(AccountForm):
    schema = AccountCreate


class ContactForm(SchemaForm):
    schema: ClassVar[type[BaseModel]] = ContactChanges
    custom_kind = "contact"
    schema_names = {"owner": "owner_id", "account": "account_id"}

    first_name = _text("First name")
    last_name = _text("Last name")
    account = forms.TypedChoiceField(label="Account", coerce=int, empty_value=None, required=False)
    title = _text("Title")
    email = _text("Email", widget=forms.EmailInput)
    phone = _text("Phone", widget=forms.TextInput(attrs={"type": "tel"}))
    lead_source = forms.ChoiceField(
        label="Lead source", choices=[("", "—"), *LeadSource.choices], required=False
    )
    owner = forms.TypedChoiceField(label="Owner", coerce=int, empty_value=None, required=False)
    mailing_street = _text("Street")
    mailing_city = _text("City")
    mailing_state = _text("State / region")
    mailing_postal_code = _text("Postal code")
    mailing_country = _text("Country")
    do_not_call = forms.BooleanField(label="Do not call", required=False)
    email_opt_out = forms.BooleanField(label="Email opt-out", required=False)

    def __init__(self, *args: Any, accounts: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "owner").choices = owner_choices(policy.CONTACT)
        choice_field(self, "account").choices = [
            ("", "No account"),
            *((a.pk, a.name) for a in accounts),
        ]


class ContactCreateForm(ContactForm):
    schema = ContactCreate
