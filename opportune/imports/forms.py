"""The import wizard's upload form: the file, what it holds and the mapping to start from
(validation of rows is the schemas' job, in the services; of mappings, ``spec``'s)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms

from .models import ImportMapping, Target

if TYPE_CHECKING:
    from opportune.identity.models import User

MATCH_CHOICES = [
    ("", "Always create new records"),
    ("email", "Update the record with the same email"),
    ("external_id", "Update the record with the same id from the other system"),
    ("name", "Update the account with the same name"),
]


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV or Excel file", help_text="CSV (UTF-8 or Latin-1, any delimiter) or .xlsx."
    )
    target = forms.ChoiceField(label="Import", choices=Target.choices, initial=Target.LEADS)
    mapping = forms.ModelChoiceField(
        label="Saved mapping",
        queryset=ImportMapping.objects.none(),
        required=False,
        empty_label="From the column names",
    )
    mapping_file = forms.FileField(
        label="Or a mapping file",
        required=False,
        help_text="The JSON file a previous import downloaded (the one `opportune import "
        "--mapping` takes).",
    )
    match_key = forms.ChoiceField(label="Existing records", choices=MATCH_CHOICES, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        mapping = self.fields["mapping"]
        assert isinstance(mapping, forms.ModelChoiceField)
        mapping.queryset = ImportMapping.objects.visible_to(user)
