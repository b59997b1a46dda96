"""Field history of sales records (PRODUCT.md section 8): who changed what, when; and the
columns and managers of the recycle bin every deletable record shares."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.conf import settings
from django.db import models

M = TypeVar("M", bound=models.Model, covariant=True)


class FieldChange(models.Model):
    record_type = models.CharField(max_length=30)
    record_id = models.BigIntegerField()
    field = models.CharField(max_length=60)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    # The changed field's label, set for display by audit.history (not a column).
    label: str

    class Meta:
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["record_type", "record_id"], name="field_change_record")]

    def __str__(self) -> str:
        return f"{self.record_type}#{self.record_id}.{self.field}"


class LiveManager(models.Manager[M]):
    """The default manager of a deletable record: records in the recycle bin do not exist
    for lists, pages, reports, forecasts, duplicate checks, imports or exports."""

    def get_queryset(self) -> models.QuerySet[M]:
        return super().get_queryset().filter(deleted_at__isnull=True)


class BinManager(models.Manager[M]):
    """Every row, deleted or not: for the recycle bin, restores and purges only."""


class Deletable(models.Model):
    """A record that deleting sends to the recycle bin (soft delete) until it is purged."""

    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    if TYPE_CHECKING:
        # Each deletable model sets both, from its VisibleQuerySet.
        objects: LiveManager[Deletable]
        with_deleted: BinManager[Deletable]

    class Meta:
        abstract = True
