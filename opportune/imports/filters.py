"""The import job list's filters (API; the import page shows the latest jobs)."""

from __future__ import annotations

import django_filters as df

from opportune.filtering import BooleanFilter, ListFilterSet

from .models import ImportJob, JobStatus, Target


class ImportJobFilterSet(ListFilterSet):
    target = df.ChoiceFilter(choices=Target.choices, help_text="What the file imports.")
    status = df.ChoiceFilter(choices=JobStatus.choices)
    dry_run = BooleanFilter(field_name="dry_run")

    class Meta:
        model = ImportJob
        fields: list[str] = []
