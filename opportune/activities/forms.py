"""The quick "log a call / add a task / add a note" forms of every record's timeline."""

from __future__ import annotations

from typing import Any

from django import forms

from opportune.web.forms import DateInput, SchemaForm

from .schemas import ActivityChanges, ActivityCreate


class QuickActivityForm(SchemaForm):
    schema = ActivityCreate

    kind = forms.CharField(widget=forms.HiddenInput)
    subject = forms.CharField(label="Subject", required=False)
    body = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    due_date = forms.DateField(label="Due", required=False, widget=DateInput())

    def __init__(self, *args: Any, link: dict[str, int] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.link = link or {}

    def schema_input(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        data = super().schema_input(cleaned)
        data.update(self.link)
        if data.get("kind") == "note" and not data.get("subject"):
            # A note is often just a body: its first line is a fine subject.
            data["subject"] = (data.get("body") or "").strip().split("\n")[0][:120]
        if data.get("kind") != "task":
            data.pop("due_date", None)
        # Calls, meetings, emails and notes are logged after the fact; tasks are to do.
        data["is_done"] = data.get("kind") != "task"
        return data


class DoneForm(SchemaForm):
    schema = ActivityChanges

    is_done = forms.BooleanField(required=False)
