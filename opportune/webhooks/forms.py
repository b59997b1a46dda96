from __future__ import annotations

from django import forms

from .events import EVENT_TYPES


class SubscriptionForm(forms.Form):
    url = forms.CharField(
        max_length=500, label="URL", help_text="Where Opportune POSTs each event (http or https)."
    )
    description = forms.CharField(max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        choices=[(t, t) for t in EVENT_TYPES], widget=forms.CheckboxSelectMultiple
    )
