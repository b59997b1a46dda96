"""Field history of leads and opportunities (PRODUCT.md section 8): who changed what, when."""

from django.conf import settings
from django.db import models


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

    class Meta:
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["record_type", "record_id"], name="field_change_record")]

    def __str__(self) -> str:
        return f"{self.record_type}#{self.record_id}.{self.field}"
