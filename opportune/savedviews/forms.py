"""The "save this view" and "edit view" forms; both validate through the API's schemas."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms

from opportune.identity import policy
from opportune.identity.models import User
from opportune.web.forms import SchemaForm

from .registry import LISTS, PAGE_SIZES
from .schemas import ViewChanges, ViewCreate


class ViewForm(SchemaForm):
    """Name and sharing; the list's query string and page size ride along as hidden fields
    (the list page fills them with what it shows)."""

    schema: ClassVar[type[ViewChanges]] = ViewChanges
    schema_names = {"team": "team_id"}

    name = forms.CharField(
        label="Name", max_length=80, widget=forms.TextInput(attrs={"maxlength": 80})
    )
    team = forms.TypedChoiceField(label="Share with", coerce=int, empty_value=None, required=False)
    query = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2000)
    page_size = forms.TypedChoiceField(
        coerce=int, choices=[(size, size) for size in PAGE_SIZES], widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        teams = [(team.pk, team.name) for team in policy.sharable_teams(user)]
        self.fields["team"].choices = [("", "Nobody (only me)"), *teams]  # type: ignore[attr-defined]

    def _nullable_text(self, name: str) -> bool:
        return name == "team"


class NewViewForm(ViewForm):
    schema = ViewCreate

    kind = forms.ChoiceField(
        choices=[(k, v.label) for k, v in LISTS.items()], widget=forms.HiddenInput
    )


class IdListField(forms.Field):
    """Selected row ids; which of them the user may touch is the bulk action's business."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        try:
            return [int(v) for v in value or []]
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError("Select rows from the list.") from exc

    def validate(self, value: list[int]) -> None:
        if not value:
            raise forms.ValidationError("Select at least one row.")


ACTIONS = {
    "leads": [("assign", "Change owner"), ("status", "Change status"), ("delete", "Delete")],
    "accounts": [("assign", "Change owner"), ("delete", "Delete")],
    "contacts": [("assign", "Change owner"), ("delete", "Delete")],
    "opportunities": [("assign", "Change owner"), ("stage", "Change stage"), ("delete", "Delete")],
}


class BulkForm(forms.Form):
    """Bulk actions on a list's selected rows (opportune/savedviews/bulk.py applies them)."""

    action = forms.ChoiceField(label="Action")
    ids = IdListField(label="Rows")
    owner = forms.TypedChoiceField(label="New owner", coerce=int, empty_value=None, required=False)
    status = forms.ChoiceField(label="New status", required=False)
    reason = forms.CharField(
        label="Reason (for a disqualifying status)",
        required=False,
        max_length=255,
        widget=forms.TextInput(attrs={"placeholder": "Reason, if disqualifying", "maxlength": 255}),
    )
    stage = forms.ChoiceField(label="New stage", required=False)

    def __init__(
        self, *args: Any, kind: str, owners: list[tuple[int, str]] | None = None, **kwargs: Any
    ) -> None:
        """``owners``: the possible owners (id, name) when the caller has read them already."""
        kwargs.setdefault("prefix", "bulk")
        super().__init__(*args, **kwargs)
        from opportune.identity.forms import owner_choices

        self.kind = kind
        self.fields["action"].choices = ACTIONS[kind]  # type: ignore[attr-defined]
        record_kind = LISTS[kind].record_kind
        self.fields["owner"].choices = (  # type: ignore[attr-defined]
            owner_choices(record_kind) if owners is None else [("", "Unassigned"), *owners]
        )
        if kind == "leads":
            from opportune.leads.forms import status_choices

            self.fields["status"].choices = [("", "—"), *status_choices()]  # type: ignore[attr-defined]
        else:
            del self.fields["status"], self.fields["reason"]
        if kind == "opportunities":
            self.fields["stage"].choices = [("", "—"), *stage_choices()]  # type: ignore[attr-defined]
        else:
            del self.fields["stage"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        action = cleaned.get("action")
        if action == "status" and not cleaned.get("status"):
            self.add_error("status", "Choose the new status.")
        if action == "stage" and not cleaned.get("stage"):
            self.add_error("stage", "Choose the new stage.")
        return cleaned


def stage_choices() -> list[tuple[str, str]]:
    """Stage keys of the active pipelines (a deal moves to the stage of that key in its own
    pipeline); one query."""
    from opportune.opportunities.models import Stage

    seen: dict[str, str] = {}
    for key, label in (
        Stage.objects.filter(is_active=True)
        .order_by("-pipeline__is_default", "order")
        .values_list("key", "label")
    ):
        seen.setdefault(key, label)
    return list(seen.items())
