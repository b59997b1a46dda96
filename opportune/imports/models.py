"""Import jobs, their row-level reports, saved column mappings, and external ids."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models

from opportune.identity.visibility import VisibleQuerySet

if TYPE_CHECKING:
    from opportune.identity.models import User


class Target(models.TextChoices):
    LEADS = "leads", "Leads"
    ACCOUNTS = "accounts", "Accounts"
    CONTACTS = "contacts", "Contacts"
    OPPORTUNITIES = "opportunities", "Opportunities"
    ACTIVITIES = "activities", "Activities"

    @property
    def kind(self) -> str:
        """The record kind imported (the access policy's name): "leads" -> "lead"."""
        if self == Target.OPPORTUNITIES:
            return "opportunity"
        if self == Target.ACTIVITIES:
            return "activity"
        return self.value.removesuffix("s")


class ImportMappingQuerySet(models.QuerySet["ImportMapping"]):
    def visible_to(self, user: User) -> ImportMappingQuerySet:
        """One's own mappings, the shared ones, and those shipped with Opportune."""
        if not user.is_active:
            return self.none()
        if user.is_admin:
            return self.all()
        return self.filter(
            models.Q(created_by=user) | models.Q(is_shared=True) | models.Q(created_by=None)
        )


class ImportMapping(models.Model):
    """A saved column mapping: which header feeds which field, how picklist values translate,
    and defaults for fields the file lacks. Reused for every file of the same shape.

    ``columns``: {"Lead Source": "source", "Prospect ID": "external_id", "Notes": ""} (an
    empty field ignores the column); ``values``: {"source": {"Olark Chat": "web"}};
    ``defaults``: {"company": "(individual)"}; ``options``: {"unknown_owner": "creator"};
    ``new_values``: {"status": {"on_hold": "On hold"}} (picklist values the import adds).
    """

    name = models.CharField(max_length=120, unique=True)
    target = models.CharField(max_length=20, choices=Target.choices, default=Target.LEADS)
    columns = models.JSONField(default=dict, blank=True)
    values = models.JSONField(default=dict, blank=True)
    defaults = models.JSONField(default=dict, blank=True)
    options = models.JSONField(default=dict, blank=True)
    new_values = models.JSONField(default=dict, blank=True)
    # {key: {"label", "type", "values"}}: custom fields the import creates (imports/spec.py).
    custom_fields = models.JSONField(default=dict, blank=True)
    # The mapping's owner, who alone (with admins) changes it; none for shipped mappings.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_shared = models.BooleanField(
        default=False, help_text="Others may import with it (only its owner or an admin edits it)."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ImportMappingQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ImportJobQuerySet(VisibleQuerySet["ImportJob"]):
    owner_field = "created_by"


class ImportJob(models.Model):
    """One file being imported. ``rows_done`` counts the data rows whose outcome is committed:
    it is written in the same transaction as each batch, so a resumed job starts exactly
    after the last committed row and never inserts a row twice."""

    target = models.CharField(max_length=20, choices=Target.choices)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    dry_run = models.BooleanField(default=False)
    match_key = models.CharField(max_length=20, blank=True, help_text="email or external_id")
    path = models.CharField(max_length=500, help_text="The uploaded file, in the data directory.")
    filename = models.CharField(max_length=255)
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=1, blank=True)
    mapping = models.JSONField(default=dict, help_text="Resolved columns, values, defaults.")
    saved_mapping = models.ForeignKey(
        ImportMapping, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="import_jobs"
    )
    total_rows = models.PositiveIntegerField(null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    invalid = models.PositiveIntegerField(default=0)
    possible_duplicates = models.PositiveIntegerField(default=0)
    failure = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"Import #{self.pk} of {self.filename} ({self.status})"

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status == JobStatus.DONE else 0
        return min(100, self.rows_done * 100 // self.total_rows)

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)


class RowIssue(models.TextChoices):
    INVALID = "invalid", "Invalid"
    DUPLICATE_IN_FILE = "duplicate_in_file", "Duplicate in the file"
    POSSIBLE_DUPLICATE = "possible_duplicate", "Possible duplicate of an existing record"
    UNMAPPED_VALUE = "unmapped_value", "A picklist value to map"


class ImportRowError(models.Model):
    """One reported row: its line in the file, the column (header) and the reason."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    line = models.PositiveIntegerField()
    column = models.CharField(max_length=255, blank=True)
    kind = models.CharField(max_length=20, choices=RowIssue.choices, default=RowIssue.INVALID)
    reason = models.TextField()
    value = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["job", "line", "pk"]
        indexes = [models.Index(fields=["job", "line"], name="import_error_job_line")]

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class SeenKey(models.Model):
    """A match key an import met, committed with the batch that met it (``seen.py``), so a
    job resumed after a crash still skips the later rows of a key met before the crash. The
    key is kept as a 64-bit digest; the rows go when the job is done."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="+")
    digest = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "digest"], name="import_seen_key_once")
        ]

    def __str__(self) -> str:
        return f"job {self.job_id}: {self.digest}"


class ExternalId(models.Model):
    """The id a record had in the system it was imported from (Salesforce Id, HubSpot
    Record ID…), so a later import of the same export updates instead of duplicating."""

    target = models.CharField(max_length=20, choices=Target.choices)
    external_id = models.CharField(max_length=255)
    record_id = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["target", "external_id"], name="one_external_id")
        ]

    def __str__(self) -> str:
        return f"{self.target}:{self.external_id} -> {self.record_id}"
