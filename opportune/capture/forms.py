"""Forms of the capture pages: web-to-lead form settings and the merge screen."""

from __future__ import annotations

from django import forms

from opportune.leads.models import Lead

from .models import WebForm

FORM_FIELDS = [
    f.name
    for f in Lead._meta.concrete_fields
    if f.editable
    and f.name
    in {
        "first_name", "last_name", "company", "title", "email", "phone", "website", "industry",
        "employees", "annual_revenue", "street", "city", "state", "postal_code", "country",
        "description", "utm_source", "utm_medium", "utm_campaign",
    }
]  # fmt: skip


class WebFormForm(forms.ModelForm[WebForm]):
    redirect_url = forms.URLField(
        label="Thank-you page", required=False, assume_scheme="https", max_length=200
    )

    class Meta:
        model = WebForm
        fields = [
            "name", "is_active", "fields", "required_fields", "source", "campaign",
            "default_owner", "redirect_url", "honeypot_field",
        ]  # fmt: skip

    def _names(self, name: str) -> str:
        value = self.cleaned_data[name]
        names = [n.strip() for n in value.split(",") if n.strip()]
        unknown = [n for n in names if n not in FORM_FIELDS]
        if unknown:
            raise forms.ValidationError(
                f"Not a lead field a form may set: {', '.join(unknown)}. "
                f"Choose from: {', '.join(FORM_FIELDS)}."
            )
        return ",".join(names)

    def clean_fields(self) -> str:
        return self._names("fields")

    def clean_required_fields(self) -> str:
        return self._names("required_fields")
